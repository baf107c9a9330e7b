-- Closed months, enforced in the database as well as in the services.
-- The services refuse each batch item dated in a closed month and name it;
-- these triggers are the guard underneath: they refuse any change to a row
-- already stored in a closed month (an update that would move it out, a
-- delete) and any update into one, whatever path the write takes. Inserts
-- into the low-volume tables (plans, commitments, FX rates) are guarded
-- here too; inserts into spend, touchpoints and revenue are guarded by the
-- services alone, because a per-row trigger measured half again the time
-- of a 1,000,000-row touchpoint insert. The message names the month and
-- the table: period_closed:<month>:<table>.
SELECT 1;
--> statement-breakpoint
CREATE TRIGGER `plans_closed_update` BEFORE UPDATE ON `plans`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month IN (old.month, new.month))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months WHERE month IN (old.month, new.month) ORDER BY month LIMIT 1) || ':plans'); END;
--> statement-breakpoint
CREATE TRIGGER `plans_closed_delete` BEFORE DELETE ON `plans`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month = old.month)
BEGIN SELECT RAISE(ABORT, 'period_closed:' || old.month || ':plans'); END;
--> statement-breakpoint
CREATE TRIGGER `plans_closed_insert` BEFORE INSERT ON `plans`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month = new.month)
BEGIN SELECT RAISE(ABORT, 'period_closed:' || new.month || ':plans'); END;
--> statement-breakpoint
CREATE TRIGGER `commitments_closed_update` BEFORE UPDATE ON `commitments`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month IN (old.month, new.month))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months WHERE month IN (old.month, new.month) ORDER BY month LIMIT 1) || ':commitments'); END;
--> statement-breakpoint
CREATE TRIGGER `commitments_closed_delete` BEFORE DELETE ON `commitments`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month = old.month)
BEGIN SELECT RAISE(ABORT, 'period_closed:' || old.month || ':commitments'); END;
--> statement-breakpoint
CREATE TRIGGER `commitments_closed_insert` BEFORE INSERT ON `commitments`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month = new.month)
BEGIN SELECT RAISE(ABORT, 'period_closed:' || new.month || ':commitments'); END;
--> statement-breakpoint
CREATE TRIGGER `fx_rates_closed_update` BEFORE UPDATE ON `fx_rates`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month IN (substr(old.date, 1, 7), substr(new.date, 1, 7)))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months WHERE month IN (substr(old.date, 1, 7), substr(new.date, 1, 7)) ORDER BY month LIMIT 1) || ':fx_rates'); END;
--> statement-breakpoint
CREATE TRIGGER `fx_rates_closed_delete` BEFORE DELETE ON `fx_rates`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month = substr(old.date, 1, 7))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || substr(old.date, 1, 7) || ':fx_rates'); END;
--> statement-breakpoint
CREATE TRIGGER `fx_rates_closed_insert` BEFORE INSERT ON `fx_rates`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month = substr(new.date, 1, 7))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || substr(new.date, 1, 7) || ':fx_rates'); END;
--> statement-breakpoint
CREATE TRIGGER `spend_closed_update` BEFORE UPDATE ON `spend`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month IN (substr(old.date, 1, 7), substr(new.date, 1, 7)))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months WHERE month IN (substr(old.date, 1, 7), substr(new.date, 1, 7)) ORDER BY month LIMIT 1) || ':spend'); END;
--> statement-breakpoint
CREATE TRIGGER `spend_closed_delete` BEFORE DELETE ON `spend`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE month = substr(old.date, 1, 7))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || substr(old.date, 1, 7) || ':spend'); END;
--> statement-breakpoint
CREATE TRIGGER `touchpoints_closed_update` BEFORE UPDATE ON `touchpoints`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE (old.occurred_at >= start_ms AND old.occurred_at < end_ms) OR (new.occurred_at >= start_ms AND new.occurred_at < end_ms))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months WHERE (old.occurred_at >= start_ms AND old.occurred_at < end_ms) OR (new.occurred_at >= start_ms AND new.occurred_at < end_ms) ORDER BY month LIMIT 1) || ':touchpoints'); END;
--> statement-breakpoint
CREATE TRIGGER `touchpoints_closed_delete` BEFORE DELETE ON `touchpoints`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE (old.occurred_at >= start_ms AND old.occurred_at < end_ms))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months WHERE (old.occurred_at >= start_ms AND old.occurred_at < end_ms)) || ':touchpoints'); END;
--> statement-breakpoint
CREATE TRIGGER `revenue_closed_update` BEFORE UPDATE ON `revenue`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE (old.occurred_at >= start_ms AND old.occurred_at < end_ms) OR (new.occurred_at >= start_ms AND new.occurred_at < end_ms))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months WHERE (old.occurred_at >= start_ms AND old.occurred_at < end_ms) OR (new.occurred_at >= start_ms AND new.occurred_at < end_ms) ORDER BY month LIMIT 1) || ':revenue'); END;
--> statement-breakpoint
CREATE TRIGGER `revenue_closed_delete` BEFORE DELETE ON `revenue`
WHEN EXISTS (SELECT 1 FROM closed_months WHERE (old.occurred_at >= start_ms AND old.occurred_at < end_ms))
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months WHERE (old.occurred_at >= start_ms AND old.occurred_at < end_ms)) || ':revenue'); END;
--> statement-breakpoint
CREATE TRIGGER `forecast_snapshots_no_update` BEFORE UPDATE ON `forecast_snapshots`
BEGIN SELECT RAISE(ABORT, 'snapshot_immutable:forecast_snapshots'); END;
--> statement-breakpoint
CREATE TRIGGER `forecast_snapshots_no_delete` BEFORE DELETE ON `forecast_snapshots`
BEGIN SELECT RAISE(ABORT, 'snapshot_immutable:forecast_snapshots'); END;
--> statement-breakpoint
CREATE TRIGGER `period_events_no_update` BEFORE UPDATE ON `period_events`
BEGIN SELECT RAISE(ABORT, 'history_immutable:period_events'); END;
--> statement-breakpoint
CREATE TRIGGER `period_events_no_delete` BEFORE DELETE ON `period_events`
BEGIN SELECT RAISE(ABORT, 'history_immutable:period_events'); END;
