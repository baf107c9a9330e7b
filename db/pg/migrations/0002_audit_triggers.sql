-- Mirrors SQLite migrations 0007_audit.sql (its audit_context table) and
-- 0008_audit_triggers.sql: every insert, update and delete of the data writes
-- an audit event in the same transaction, with the same action, entity,
-- entity id and before/after documents, byte for byte (compact JSON, keys in
-- SQLite's order, amounts in micros as text). Updates are recorded only when
-- an audited column changed. Inserts into spend, touchpoints and revenue are
-- recorded per batch by the services, as on SQLite.
--
-- PostgreSQL adds TRUNCATE, which fires no row trigger: it would empty an
-- audited table with nothing in the trail (and pass the closed-month guards),
-- so the audited tables refuse it (truncate_refused:<table>); delete instead.
--
-- The actor: not an audit_context row but three transaction-local settings
-- the unit of work sets first in each write transaction,
--   select set_config('spendbook.actor_key_id', $1, true),
--          set_config('spendbook.actor_name', $2, true),
--          set_config('spendbook.actor_at', $3, true)   -- ISO 8601 UTC, ms
-- so nothing outlives the transaction and concurrent transactions never see
-- each other's actor. Outside such a transaction a setting reads as '' (once
-- the session has used it) or NULL (never): both mean "none", so a write made
-- around the service is recorded with no actor, at the statement's time.
CREATE FUNCTION spendbook_setting(name text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting(name, true), '')
$$;
--> statement-breakpoint
-- A json value as SQLite's json_object prints it: no spaces, keys in order
-- (PostgreSQL's json_build_object puts ' : ' and ', ' between them).
CREATE FUNCTION spendbook_json_text(doc json) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT '{' || coalesce(string_agg(to_json(e.key)::text || ':' || e.value::text, ',' ORDER BY e.ord), '') || '}'
  FROM json_each(doc) WITH ORDINALITY AS e(key, value, ord)
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit(action text, entity text, entity_id text, before text, after text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
  VALUES (
    coalesce(spendbook_setting('spendbook.actor_at'), to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
    spendbook_setting('spendbook.actor_key_id'),
    spendbook_setting('spendbook.actor_name'),
    $1, $2, $3, $4, $5)
$$;
--> statement-breakpoint
-- What each table records: its entity id and its document (the audited
-- columns). One overload per row type; the generic trigger function below
-- calls them with OLD/NEW, which PL/pgSQL types as the trigger's table.
CREATE FUNCTION spendbook_audit_id(r settings) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'settings'::text $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r settings) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('base_currency', r.base_currency, 'fiscal_year_start_month', r.fiscal_year_start_month, 'pacing_tolerance', r.pacing_tolerance))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r api_keys) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.id $$;
--> statement-breakpoint
-- Never the key's hash.
CREATE FUNCTION spendbook_audit_doc(r api_keys) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('id', r.id, 'name', r.name, 'role', r.role, 'prefix', r.prefix, 'created_at', r.created_at, 'revoked_at', r.revoked_at))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r campaigns) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.id $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r campaigns) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('id', r.id, 'name', r.name, 'channel', r.channel, 'start_date', r.start_date, 'end_date', r.end_date, 'tags', r.tags))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r campaign_external_refs) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.source || ':' || r.external_id $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r campaign_external_refs) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('source', r.source, 'external_id', r.external_id, 'campaign_id', r.campaign_id))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r plans) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.campaign_id || ' ' || r.month $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r plans) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('campaign_id', r.campaign_id, 'month', r.month, 'amount_micros', r.amount_micros::text, 'currency', r.currency, 'revision', r.revision))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r commitments) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.id $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r commitments) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('id', r.id, 'campaign_id', r.campaign_id, 'month', r.month, 'amount_micros', r.amount_micros::text, 'currency', r.currency, 'status', r.status))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r fx_rates) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.currency || ' ' || r.date $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r fx_rates) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('currency', r.currency, 'date', r.date, 'rate', r.rate))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r spend) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.source || ' ' || r.campaign_id || ' ' || r.date || ' ' || r.reference $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r spend) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('id', r.id, 'source', r.source, 'campaign_id', r.campaign_id, 'date', r.date, 'reference', r.reference, 'amount_micros', r.amount_micros::text, 'currency', r.currency, 'version', r.version))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r touchpoints) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.id $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r touchpoints) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('id', r.id, 'customer_id', r.customer_id, 'campaign_id', r.campaign_id, 'occurred_at', r.occurred_at))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r revenue) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.id $$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_doc(r revenue) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('id', r.id, 'customer_id', r.customer_id, 'occurred_at', r.occurred_at, 'amount_micros', r.amount_micros::text, 'currency', r.currency, 'refund_of', r.refund_of))
$$;
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_id(r forecast_snapshots) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT r.id $$;
--> statement-breakpoint
-- Not the report itself (the snapshot keeps it, immutable).
CREATE FUNCTION spendbook_audit_doc(r forecast_snapshots) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT spendbook_json_text(json_build_object('id', r.id, 'name', r.name, 'from_month', r.from_month, 'to_month', r.to_month, 'as_of', r.as_of, 'method', r.method, 'group_by', r.group_by, 'currency', r.currency))
$$;
--> statement-breakpoint
-- The trigger's argument is the entity's name; the action is the operation.
CREATE FUNCTION spendbook_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM spendbook_audit('insert', TG_ARGV[0], spendbook_audit_id(NEW), NULL, spendbook_audit_doc(NEW));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM spendbook_audit('update', TG_ARGV[0], spendbook_audit_id(NEW), spendbook_audit_doc(OLD), spendbook_audit_doc(NEW));
  ELSE
    PERFORM spendbook_audit('delete', TG_ARGV[0], spendbook_audit_id(OLD), spendbook_audit_doc(OLD), NULL);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Closes and reopens, from period_events: the action is the event's, with its reason.
CREATE FUNCTION spendbook_audit_period_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM spendbook_audit(NEW.action, 'period', NEW.month, NULL,
    spendbook_json_text(json_build_object('month', NEW.month, 'action', NEW.action, 'reason', NEW.reason)));
  RETURN NULL;
END $$;
--> statement-breakpoint
-- An update is recorded when an audited column changed, that is when the
-- document changed (it holds exactly the audited columns, as SQLite's WHEN).
CREATE TRIGGER audit_settings_update AFTER UPDATE ON settings FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('settings');
--> statement-breakpoint
CREATE TRIGGER audit_api_keys_insert AFTER INSERT ON api_keys FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('api_key');
--> statement-breakpoint
CREATE TRIGGER audit_api_keys_update AFTER UPDATE ON api_keys FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('api_key');
--> statement-breakpoint
CREATE TRIGGER audit_api_keys_delete AFTER DELETE ON api_keys FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('api_key');
--> statement-breakpoint
CREATE TRIGGER audit_campaigns_insert AFTER INSERT ON campaigns FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('campaign');
--> statement-breakpoint
CREATE TRIGGER audit_campaigns_update AFTER UPDATE ON campaigns FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('campaign');
--> statement-breakpoint
CREATE TRIGGER audit_campaigns_delete AFTER DELETE ON campaigns FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('campaign');
--> statement-breakpoint
CREATE TRIGGER audit_campaign_external_refs_insert AFTER INSERT ON campaign_external_refs FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('campaign_external_ref');
--> statement-breakpoint
CREATE TRIGGER audit_campaign_external_refs_update AFTER UPDATE ON campaign_external_refs FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('campaign_external_ref');
--> statement-breakpoint
CREATE TRIGGER audit_campaign_external_refs_delete AFTER DELETE ON campaign_external_refs FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('campaign_external_ref');
--> statement-breakpoint
CREATE TRIGGER audit_plans_insert AFTER INSERT ON plans FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('plan');
--> statement-breakpoint
CREATE TRIGGER audit_plans_update AFTER UPDATE ON plans FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('plan');
--> statement-breakpoint
CREATE TRIGGER audit_plans_delete AFTER DELETE ON plans FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('plan');
--> statement-breakpoint
CREATE TRIGGER audit_commitments_insert AFTER INSERT ON commitments FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('commitment');
--> statement-breakpoint
CREATE TRIGGER audit_commitments_update AFTER UPDATE ON commitments FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('commitment');
--> statement-breakpoint
CREATE TRIGGER audit_commitments_delete AFTER DELETE ON commitments FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('commitment');
--> statement-breakpoint
CREATE TRIGGER audit_fx_rates_insert AFTER INSERT ON fx_rates FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('fx_rate');
--> statement-breakpoint
CREATE TRIGGER audit_fx_rates_update AFTER UPDATE ON fx_rates FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('fx_rate');
--> statement-breakpoint
CREATE TRIGGER audit_fx_rates_delete AFTER DELETE ON fx_rates FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('fx_rate');
--> statement-breakpoint
CREATE TRIGGER audit_spend_update AFTER UPDATE ON spend FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('spend');
--> statement-breakpoint
CREATE TRIGGER audit_spend_delete AFTER DELETE ON spend FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('spend');
--> statement-breakpoint
CREATE TRIGGER audit_touchpoints_update AFTER UPDATE ON touchpoints FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('touchpoint');
--> statement-breakpoint
CREATE TRIGGER audit_touchpoints_delete AFTER DELETE ON touchpoints FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('touchpoint');
--> statement-breakpoint
CREATE TRIGGER audit_revenue_update AFTER UPDATE ON revenue FOR EACH ROW
  WHEN (spendbook_audit_doc(OLD) IS DISTINCT FROM spendbook_audit_doc(NEW)) EXECUTE FUNCTION spendbook_audit_row('revenue');
--> statement-breakpoint
CREATE TRIGGER audit_revenue_delete AFTER DELETE ON revenue FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('revenue');
--> statement-breakpoint
CREATE TRIGGER audit_forecast_snapshots_insert AFTER INSERT ON forecast_snapshots FOR EACH ROW EXECUTE FUNCTION spendbook_audit_row('forecast_snapshot');
--> statement-breakpoint
CREATE TRIGGER audit_period_events_insert AFTER INSERT ON period_events FOR EACH ROW EXECUTE FUNCTION spendbook_audit_period_event();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW EXECUTE FUNCTION spendbook_append_only('history_immutable:audit_events');
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION spendbook_append_only('history_immutable:audit_events');
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('history_immutable:audit_events');
--> statement-breakpoint
CREATE TRIGGER audit_settings_no_truncate BEFORE TRUNCATE ON settings FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:settings');
--> statement-breakpoint
CREATE TRIGGER audit_api_keys_no_truncate BEFORE TRUNCATE ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:api_keys');
--> statement-breakpoint
CREATE TRIGGER audit_campaigns_no_truncate BEFORE TRUNCATE ON campaigns FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:campaigns');
--> statement-breakpoint
CREATE TRIGGER audit_campaign_external_refs_no_truncate BEFORE TRUNCATE ON campaign_external_refs FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:campaign_external_refs');
--> statement-breakpoint
CREATE TRIGGER audit_plans_no_truncate BEFORE TRUNCATE ON plans FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:plans');
--> statement-breakpoint
CREATE TRIGGER audit_commitments_no_truncate BEFORE TRUNCATE ON commitments FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:commitments');
--> statement-breakpoint
CREATE TRIGGER audit_fx_rates_no_truncate BEFORE TRUNCATE ON fx_rates FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:fx_rates');
--> statement-breakpoint
CREATE TRIGGER audit_spend_no_truncate BEFORE TRUNCATE ON spend FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:spend');
--> statement-breakpoint
CREATE TRIGGER audit_touchpoints_no_truncate BEFORE TRUNCATE ON touchpoints FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:touchpoints');
--> statement-breakpoint
CREATE TRIGGER audit_revenue_no_truncate BEFORE TRUNCATE ON revenue FOR EACH STATEMENT EXECUTE FUNCTION spendbook_append_only('truncate_refused:revenue');
