-- PostgreSQL only (its SQLite counterparts, 0007 and 0008, need no change):
-- the audit trail of 0002, the same events byte for byte, at bulk speed.
--
-- 1. The documents. 0002 built each with json_build_object and reprinted it
--    through json_each (spendbook_json_text) to get SQLite's compact form: a
--    SQL function with a FROM, which PostgreSQL cannot inline and so plans
--    again at every call from a trigger, about 170 µs a document. Each
--    document is now the same text put together directly: '"key":' and
--    to_json(value), which is what json_build_object wrote for each value,
--    null for a null, keys in the same order. These are inlined.
--
-- 2. The bulk tables (spend, touchpoints, revenue): their update and delete
--    events were written by a row trigger, one INSERT a row; restating
--    100,000 spend lines took ~37 s. They are now written by one statement
--    trigger per statement, one INSERT ... SELECT over its transition tables
--    (REFERENCING OLD TABLE / NEW TABLE). PostgreSQL fills both tables row
--    by row together (an updated row's old and new versions at the same
--    position), in the order the row triggers fired, so pairing them by
--    position and inserting in that order gives the same events in the same
--    order as before, whatever the statement changed (even a key). An update
--    is recorded when the document changed, as the row trigger's WHEN did.
--    An INSERT ... ON CONFLICT DO UPDATE fires the UPDATE statement trigger
--    with the rows it updated. The other tables change a row at a time and
--    keep their row triggers (with the faster documents).
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r settings) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"base_currency":' || coalesce(to_json(r.base_currency)::text, 'null') || ',"fiscal_year_start_month":' || coalesce(to_json(r.fiscal_year_start_month)::text, 'null') || ',"pacing_tolerance":' || coalesce(to_json(r.pacing_tolerance)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r api_keys) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"id":' || coalesce(to_json(r.id)::text, 'null') || ',"name":' || coalesce(to_json(r.name)::text, 'null') || ',"role":' || coalesce(to_json(r.role)::text, 'null') || ',"prefix":' || coalesce(to_json(r.prefix)::text, 'null') || ',"created_at":' || coalesce(to_json(r.created_at)::text, 'null') || ',"revoked_at":' || coalesce(to_json(r.revoked_at)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r campaigns) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"id":' || coalesce(to_json(r.id)::text, 'null') || ',"name":' || coalesce(to_json(r.name)::text, 'null') || ',"channel":' || coalesce(to_json(r.channel)::text, 'null') || ',"start_date":' || coalesce(to_json(r.start_date)::text, 'null') || ',"end_date":' || coalesce(to_json(r.end_date)::text, 'null') || ',"tags":' || coalesce(to_json(r.tags)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r campaign_external_refs) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"source":' || coalesce(to_json(r.source)::text, 'null') || ',"external_id":' || coalesce(to_json(r.external_id)::text, 'null') || ',"campaign_id":' || coalesce(to_json(r.campaign_id)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r plans) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"campaign_id":' || coalesce(to_json(r.campaign_id)::text, 'null') || ',"month":' || coalesce(to_json(r.month)::text, 'null') || ',"amount_micros":' || coalesce(to_json(r.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(r.currency)::text, 'null') || ',"revision":' || coalesce(to_json(r.revision)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r commitments) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"id":' || coalesce(to_json(r.id)::text, 'null') || ',"campaign_id":' || coalesce(to_json(r.campaign_id)::text, 'null') || ',"month":' || coalesce(to_json(r.month)::text, 'null') || ',"amount_micros":' || coalesce(to_json(r.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(r.currency)::text, 'null') || ',"status":' || coalesce(to_json(r.status)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r fx_rates) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"currency":' || coalesce(to_json(r.currency)::text, 'null') || ',"date":' || coalesce(to_json(r.date)::text, 'null') || ',"rate":' || coalesce(to_json(r.rate)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r spend) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"id":' || coalesce(to_json(r.id)::text, 'null') || ',"source":' || coalesce(to_json(r.source)::text, 'null') || ',"campaign_id":' || coalesce(to_json(r.campaign_id)::text, 'null') || ',"date":' || coalesce(to_json(r.date)::text, 'null') || ',"reference":' || coalesce(to_json(r.reference)::text, 'null') || ',"amount_micros":' || coalesce(to_json(r.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(r.currency)::text, 'null') || ',"version":' || coalesce(to_json(r.version)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r touchpoints) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"id":' || coalesce(to_json(r.id)::text, 'null') || ',"customer_id":' || coalesce(to_json(r.customer_id)::text, 'null') || ',"campaign_id":' || coalesce(to_json(r.campaign_id)::text, 'null') || ',"occurred_at":' || coalesce(to_json(r.occurred_at)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r revenue) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"id":' || coalesce(to_json(r.id)::text, 'null') || ',"customer_id":' || coalesce(to_json(r.customer_id)::text, 'null') || ',"occurred_at":' || coalesce(to_json(r.occurred_at)::text, 'null') || ',"amount_micros":' || coalesce(to_json(r.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(r.currency)::text, 'null') || ',"refund_of":' || coalesce(to_json(r.refund_of)::text, 'null') || '}'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION spendbook_audit_doc(r forecast_snapshots) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"id":' || coalesce(to_json(r.id)::text, 'null') || ',"name":' || coalesce(to_json(r.name)::text, 'null') || ',"from_month":' || coalesce(to_json(r.from_month)::text, 'null') || ',"to_month":' || coalesce(to_json(r.to_month)::text, 'null') || ',"as_of":' || coalesce(to_json(r.as_of)::text, 'null') || ',"method":' || coalesce(to_json(r.method)::text, 'null') || ',"group_by":' || coalesce(to_json(r.group_by)::text, 'null') || ',"currency":' || coalesce(to_json(r.currency)::text, 'null') || '}'
$$;
--> statement-breakpoint
-- The statement triggers' functions, one per table: the documents are
-- written out over the transition tables' columns (a call of
-- spendbook_audit_doc on a transition row would not be inlined). EXECUTE,
-- not a static statement: PL/pgSQL would keep the plan made for the first
-- statement of the session, often one that changed no row, and join 25,000
-- old rows to 25,000 new ones in a nested loop; planned each time, it sees
-- the transition tables' real sizes.
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_spend_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    EXECUTE $q$
    INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
    SELECT coalesce(spendbook_setting('spendbook.actor_at'), to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         spendbook_setting('spendbook.actor_key_id'), spendbook_setting('spendbook.actor_name'),
           'update', 'spend', n.entity_id, o.doc, n.doc
    FROM (SELECT row_number() OVER () AS ord, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"source":' || coalesce(to_json(t.source)::text, 'null') || ',"campaign_id":' || coalesce(to_json(t.campaign_id)::text, 'null') || ',"date":' || coalesce(to_json(t.date)::text, 'null') || ',"reference":' || coalesce(to_json(t.reference)::text, 'null') || ',"amount_micros":' || coalesce(to_json(t.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(t.currency)::text, 'null') || ',"version":' || coalesce(to_json(t.version)::text, 'null') || '}' AS doc FROM spendbook_old_rows t) o
    JOIN (SELECT row_number() OVER () AS ord, t.source || ' ' || t.campaign_id || ' ' || t.date || ' ' || t.reference AS entity_id, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"source":' || coalesce(to_json(t.source)::text, 'null') || ',"campaign_id":' || coalesce(to_json(t.campaign_id)::text, 'null') || ',"date":' || coalesce(to_json(t.date)::text, 'null') || ',"reference":' || coalesce(to_json(t.reference)::text, 'null') || ',"amount_micros":' || coalesce(to_json(t.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(t.currency)::text, 'null') || ',"version":' || coalesce(to_json(t.version)::text, 'null') || '}' AS doc FROM spendbook_new_rows t) n USING (ord)
    WHERE o.doc IS DISTINCT FROM n.doc
    ORDER BY ord$q$;
  ELSE
    EXECUTE $q$
    INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
    SELECT coalesce(spendbook_setting('spendbook.actor_at'), to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         spendbook_setting('spendbook.actor_key_id'), spendbook_setting('spendbook.actor_name'),
           'delete', 'spend', o.entity_id, o.doc, NULL
    FROM (SELECT row_number() OVER () AS ord, t.source || ' ' || t.campaign_id || ' ' || t.date || ' ' || t.reference AS entity_id, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"source":' || coalesce(to_json(t.source)::text, 'null') || ',"campaign_id":' || coalesce(to_json(t.campaign_id)::text, 'null') || ',"date":' || coalesce(to_json(t.date)::text, 'null') || ',"reference":' || coalesce(to_json(t.reference)::text, 'null') || ',"amount_micros":' || coalesce(to_json(t.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(t.currency)::text, 'null') || ',"version":' || coalesce(to_json(t.version)::text, 'null') || '}' AS doc FROM spendbook_old_rows t) o
    ORDER BY ord$q$;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER audit_spend_update ON spend;
--> statement-breakpoint
CREATE TRIGGER audit_spend_update AFTER UPDATE ON spend REFERENCING OLD TABLE AS spendbook_old_rows NEW TABLE AS spendbook_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION spendbook_audit_spend_rows();
--> statement-breakpoint
DROP TRIGGER audit_spend_delete ON spend;
--> statement-breakpoint
CREATE TRIGGER audit_spend_delete AFTER DELETE ON spend REFERENCING OLD TABLE AS spendbook_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION spendbook_audit_spend_rows();
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_touchpoints_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    EXECUTE $q$
    INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
    SELECT coalesce(spendbook_setting('spendbook.actor_at'), to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         spendbook_setting('spendbook.actor_key_id'), spendbook_setting('spendbook.actor_name'),
           'update', 'touchpoint', n.entity_id, o.doc, n.doc
    FROM (SELECT row_number() OVER () AS ord, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"customer_id":' || coalesce(to_json(t.customer_id)::text, 'null') || ',"campaign_id":' || coalesce(to_json(t.campaign_id)::text, 'null') || ',"occurred_at":' || coalesce(to_json(t.occurred_at)::text, 'null') || '}' AS doc FROM spendbook_old_rows t) o
    JOIN (SELECT row_number() OVER () AS ord, t.id AS entity_id, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"customer_id":' || coalesce(to_json(t.customer_id)::text, 'null') || ',"campaign_id":' || coalesce(to_json(t.campaign_id)::text, 'null') || ',"occurred_at":' || coalesce(to_json(t.occurred_at)::text, 'null') || '}' AS doc FROM spendbook_new_rows t) n USING (ord)
    WHERE o.doc IS DISTINCT FROM n.doc
    ORDER BY ord$q$;
  ELSE
    EXECUTE $q$
    INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
    SELECT coalesce(spendbook_setting('spendbook.actor_at'), to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         spendbook_setting('spendbook.actor_key_id'), spendbook_setting('spendbook.actor_name'),
           'delete', 'touchpoint', o.entity_id, o.doc, NULL
    FROM (SELECT row_number() OVER () AS ord, t.id AS entity_id, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"customer_id":' || coalesce(to_json(t.customer_id)::text, 'null') || ',"campaign_id":' || coalesce(to_json(t.campaign_id)::text, 'null') || ',"occurred_at":' || coalesce(to_json(t.occurred_at)::text, 'null') || '}' AS doc FROM spendbook_old_rows t) o
    ORDER BY ord$q$;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER audit_touchpoints_update ON touchpoints;
--> statement-breakpoint
CREATE TRIGGER audit_touchpoints_update AFTER UPDATE ON touchpoints REFERENCING OLD TABLE AS spendbook_old_rows NEW TABLE AS spendbook_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION spendbook_audit_touchpoints_rows();
--> statement-breakpoint
DROP TRIGGER audit_touchpoints_delete ON touchpoints;
--> statement-breakpoint
CREATE TRIGGER audit_touchpoints_delete AFTER DELETE ON touchpoints REFERENCING OLD TABLE AS spendbook_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION spendbook_audit_touchpoints_rows();
--> statement-breakpoint
CREATE FUNCTION spendbook_audit_revenue_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    EXECUTE $q$
    INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
    SELECT coalesce(spendbook_setting('spendbook.actor_at'), to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         spendbook_setting('spendbook.actor_key_id'), spendbook_setting('spendbook.actor_name'),
           'update', 'revenue', n.entity_id, o.doc, n.doc
    FROM (SELECT row_number() OVER () AS ord, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"customer_id":' || coalesce(to_json(t.customer_id)::text, 'null') || ',"occurred_at":' || coalesce(to_json(t.occurred_at)::text, 'null') || ',"amount_micros":' || coalesce(to_json(t.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(t.currency)::text, 'null') || ',"refund_of":' || coalesce(to_json(t.refund_of)::text, 'null') || '}' AS doc FROM spendbook_old_rows t) o
    JOIN (SELECT row_number() OVER () AS ord, t.id AS entity_id, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"customer_id":' || coalesce(to_json(t.customer_id)::text, 'null') || ',"occurred_at":' || coalesce(to_json(t.occurred_at)::text, 'null') || ',"amount_micros":' || coalesce(to_json(t.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(t.currency)::text, 'null') || ',"refund_of":' || coalesce(to_json(t.refund_of)::text, 'null') || '}' AS doc FROM spendbook_new_rows t) n USING (ord)
    WHERE o.doc IS DISTINCT FROM n.doc
    ORDER BY ord$q$;
  ELSE
    EXECUTE $q$
    INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
    SELECT coalesce(spendbook_setting('spendbook.actor_at'), to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
         spendbook_setting('spendbook.actor_key_id'), spendbook_setting('spendbook.actor_name'),
           'delete', 'revenue', o.entity_id, o.doc, NULL
    FROM (SELECT row_number() OVER () AS ord, t.id AS entity_id, '{"id":' || coalesce(to_json(t.id)::text, 'null') || ',"customer_id":' || coalesce(to_json(t.customer_id)::text, 'null') || ',"occurred_at":' || coalesce(to_json(t.occurred_at)::text, 'null') || ',"amount_micros":' || coalesce(to_json(t.amount_micros::text)::text, 'null') || ',"currency":' || coalesce(to_json(t.currency)::text, 'null') || ',"refund_of":' || coalesce(to_json(t.refund_of)::text, 'null') || '}' AS doc FROM spendbook_old_rows t) o
    ORDER BY ord$q$;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER audit_revenue_update ON revenue;
--> statement-breakpoint
CREATE TRIGGER audit_revenue_update AFTER UPDATE ON revenue REFERENCING OLD TABLE AS spendbook_old_rows NEW TABLE AS spendbook_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION spendbook_audit_revenue_rows();
--> statement-breakpoint
DROP TRIGGER audit_revenue_delete ON revenue;
--> statement-breakpoint
CREATE TRIGGER audit_revenue_delete AFTER DELETE ON revenue REFERENCING OLD TABLE AS spendbook_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION spendbook_audit_revenue_rows();
