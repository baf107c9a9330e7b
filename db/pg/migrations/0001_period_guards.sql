-- Mirrors SQLite migrations 0005_period_guards.sql and 0006_closed_history.sql:
-- the closed-month guards and the append-only tables, with the same rules and
-- the same messages (period_closed:<month>:<table>, history_immutable:<table>,
-- snapshot_immutable:<table>). Each trigger keeps its SQLite name.
-- The refusal is SQLSTATE 23000 (integrity_constraint_violation), the
-- counterpart of SQLITE_CONSTRAINT_TRIGGER: the store maps `period_closed:`
-- messages with that code to the 409 period_closed problem, as the app does
-- for SQLite.
-- As there: inserts into plans, commitments and FX rates are guarded here;
-- inserts into spend, touchpoints and revenue by the services alone (a per-row
-- trigger would slow the bulk ingests). PostgreSQL adds TRUNCATE, which skips
-- row triggers: the append-only tables refuse it too.
CREATE FUNCTION spendbook_refuse(message text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = message, ERRCODE = 'integrity_constraint_violation';
END $$;
--> statement-breakpoint
-- Plans and commitments: the row's `month`. An update is refused when its old
-- or new month is closed (the earliest named), as in SQLite.
CREATE FUNCTION spendbook_closed_guard_month() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE closed text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT month INTO closed FROM closed_months WHERE month = NEW.month;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT month INTO closed FROM closed_months WHERE month = OLD.month;
  ELSE
    SELECT month INTO closed FROM closed_months WHERE month IN (OLD.month, NEW.month) ORDER BY month LIMIT 1;
  END IF;
  IF closed IS NOT NULL THEN
    PERFORM spendbook_refuse('period_closed:' || closed || ':' || TG_TABLE_NAME);
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
-- FX rates and spend: the month of the row's `date` (YYYY-MM-DD).
CREATE FUNCTION spendbook_closed_guard_date() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE closed text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT month INTO closed FROM closed_months WHERE month = substr(NEW.date, 1, 7);
  ELSIF TG_OP = 'DELETE' THEN
    SELECT month INTO closed FROM closed_months WHERE month = substr(OLD.date, 1, 7);
  ELSE
    SELECT month INTO closed FROM closed_months WHERE month IN (substr(OLD.date, 1, 7), substr(NEW.date, 1, 7)) ORDER BY month LIMIT 1;
  END IF;
  IF closed IS NOT NULL THEN
    PERFORM spendbook_refuse('period_closed:' || closed || ':' || TG_TABLE_NAME);
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
-- Touchpoints (0006): a conversion's lookback reaches back before its month,
-- so no touchpoint dated before the end of the latest closed month may change,
-- go, or move there; the message names that latest month.
CREATE FUNCTION spendbook_closed_guard_touchpoints() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE latest_end bigint; latest text;
BEGIN
  SELECT max(end_ms) INTO latest_end FROM closed_months;
  IF OLD.occurred_at < latest_end OR (TG_OP = 'UPDATE' AND NEW.occurred_at < latest_end) THEN
    SELECT month INTO latest FROM closed_months ORDER BY end_ms DESC LIMIT 1;
    PERFORM spendbook_refuse('period_closed:' || latest || ':touchpoints');
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
-- Revenue: a row dated in a closed month (0005), and a conversion with a
-- refund dated in a closed month (0006: a refund is split as the conversion
-- it refunds), may not change or go; an update may not move a row into a
-- closed month. The checks run in the order SQLite fires its triggers
-- (the newest first), so a row caught by both is named the same way.
CREATE FUNCTION spendbook_closed_guard_revenue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE closed text;
BEGIN
  SELECT c.month INTO closed FROM revenue r JOIN closed_months c ON r.occurred_at >= c.start_ms AND r.occurred_at < c.end_ms
    WHERE r.refund_of = OLD.id ORDER BY c.month LIMIT 1;
  IF closed IS NULL THEN
    SELECT month INTO closed FROM closed_months
      WHERE (OLD.occurred_at >= start_ms AND OLD.occurred_at < end_ms)
         OR (TG_OP = 'UPDATE' AND NEW.occurred_at >= start_ms AND NEW.occurred_at < end_ms)
      ORDER BY month LIMIT 1;
  END IF;
  IF closed IS NOT NULL THEN
    PERFORM spendbook_refuse('period_closed:' || closed || ':revenue');
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
-- Append-only tables: the message is the trigger's argument.
CREATE FUNCTION spendbook_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM spendbook_refuse(TG_ARGV[0]);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER plans_closed_update BEFORE UPDATE ON plans FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_month();
--> statement-breakpoint
CREATE TRIGGER plans_closed_delete BEFORE DELETE ON plans FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_month();
--> statement-breakpoint
CREATE TRIGGER plans_closed_insert BEFORE INSERT ON plans FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_month();
--> statement-breakpoint
CREATE TRIGGER commitments_closed_update BEFORE UPDATE ON commitments FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_month();
--> statement-breakpoint
CREATE TRIGGER commitments_closed_delete BEFORE DELETE ON commitments FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_month();
--> statement-breakpoint
CREATE TRIGGER commitments_closed_insert BEFORE INSERT ON commitments FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_month();
--> statement-breakpoint
CREATE TRIGGER fx_rates_closed_update BEFORE UPDATE ON fx_rates FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_date();
--> statement-breakpoint
CREATE TRIGGER fx_rates_closed_delete BEFORE DELETE ON fx_rates FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_date();
--> statement-breakpoint
CREATE TRIGGER fx_rates_closed_insert BEFORE INSERT ON fx_rates FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_date();
--> statement-breakpoint
CREATE TRIGGER spend_closed_update BEFORE UPDATE ON spend FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_date();
--> statement-breakpoint
CREATE TRIGGER spend_closed_delete BEFORE DELETE ON spend FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_date();
--> statement-breakpoint
CREATE TRIGGER touchpoints_closed_update BEFORE UPDATE ON touchpoints FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_touchpoints();
--> statement-breakpoint
CREATE TRIGGER touchpoints_closed_delete BEFORE DELETE ON touchpoints FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_touchpoints();
--> statement-breakpoint
CREATE TRIGGER revenue_closed_update BEFORE UPDATE ON revenue FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_revenue();
--> statement-breakpoint
CREATE TRIGGER revenue_closed_delete BEFORE DELETE ON revenue FOR EACH ROW EXECUTE FUNCTION spendbook_closed_guard_revenue();
--> statement-breakpoint
CREATE TRIGGER forecast_snapshots_no_update BEFORE UPDATE ON forecast_snapshots FOR EACH ROW EXECUTE FUNCTION spendbook_append_only('snapshot_immutable:forecast_snapshots');
--> statement-breakpoint
CREATE TRIGGER forecast_snapshots_no_delete BEFORE DELETE ON forecast_snapshots FOR EACH ROW EXECUTE FUNCTION spendbook_append_only('snapshot_immutable:forecast_snapshots');
--> statement-breakpoint
CREATE TRIGGER forecast_snapshots_no_truncate BEFORE TRUNCATE ON forecast_snapshots FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('snapshot_immutable:forecast_snapshots');
--> statement-breakpoint
CREATE TRIGGER period_events_no_update BEFORE UPDATE ON period_events FOR EACH ROW EXECUTE FUNCTION spendbook_append_only('history_immutable:period_events');
--> statement-breakpoint
CREATE TRIGGER period_events_no_delete BEFORE DELETE ON period_events FOR EACH ROW EXECUTE FUNCTION spendbook_append_only('history_immutable:period_events');
--> statement-breakpoint
CREATE TRIGGER period_events_no_truncate BEFORE TRUNCATE ON period_events FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('history_immutable:period_events');
--> statement-breakpoint
CREATE TRIGGER plan_revisions_no_update BEFORE UPDATE ON plan_revisions FOR EACH ROW EXECUTE FUNCTION spendbook_append_only('history_immutable:plan_revisions');
--> statement-breakpoint
CREATE TRIGGER plan_revisions_no_delete BEFORE DELETE ON plan_revisions FOR EACH ROW EXECUTE FUNCTION spendbook_append_only('history_immutable:plan_revisions');
--> statement-breakpoint
CREATE TRIGGER plan_revisions_no_truncate BEFORE TRUNCATE ON plan_revisions FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('history_immutable:plan_revisions');
