-- The audit trail's triggers: every insert, update and delete of the data
-- writes an audit event in the same transaction, with the actor the
-- service set in audit_context (none for a write made around the API).
-- Updates are recorded only when an audited column changed. Inserts into
-- spend, touchpoints and revenue are recorded per batch by the services
-- (action `ingest`, with the rowids inserted): a per-row insert trigger
-- would cost the bulk ingest half again its time (see migration 0005).
-- API keys are recorded without their hash; amounts (micros) as text, so
-- that no JSON reader rounds one above 2^53. Closes and reopens are
-- recorded from period_events, with their reason.
SELECT 1;
--> statement-breakpoint
CREATE TRIGGER `audit_settings_update` AFTER UPDATE ON `settings`
WHEN old.base_currency IS NOT new.base_currency OR old.fiscal_year_start_month IS NOT new.fiscal_year_start_month OR old.pacing_tolerance IS NOT new.pacing_tolerance
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'settings', 'settings', json_object('base_currency', old.base_currency, 'fiscal_year_start_month', old.fiscal_year_start_month, 'pacing_tolerance', old.pacing_tolerance), json_object('base_currency', new.base_currency, 'fiscal_year_start_month', new.fiscal_year_start_month, 'pacing_tolerance', new.pacing_tolerance)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_api_keys_insert` AFTER INSERT ON `api_keys`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'insert', 'api_key', new.id, NULL, json_object('id', new.id, 'name', new.name, 'role', new.role, 'prefix', new.prefix, 'created_at', new.created_at, 'revoked_at', new.revoked_at)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_api_keys_update` AFTER UPDATE ON `api_keys`
WHEN old.id IS NOT new.id OR old.name IS NOT new.name OR old.role IS NOT new.role OR old.prefix IS NOT new.prefix OR old.created_at IS NOT new.created_at OR old.revoked_at IS NOT new.revoked_at
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'api_key', new.id, json_object('id', old.id, 'name', old.name, 'role', old.role, 'prefix', old.prefix, 'created_at', old.created_at, 'revoked_at', old.revoked_at), json_object('id', new.id, 'name', new.name, 'role', new.role, 'prefix', new.prefix, 'created_at', new.created_at, 'revoked_at', new.revoked_at)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_api_keys_delete` AFTER DELETE ON `api_keys`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'api_key', old.id, json_object('id', old.id, 'name', old.name, 'role', old.role, 'prefix', old.prefix, 'created_at', old.created_at, 'revoked_at', old.revoked_at), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_campaigns_insert` AFTER INSERT ON `campaigns`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'insert', 'campaign', new.id, NULL, json_object('id', new.id, 'name', new.name, 'channel', new.channel, 'start_date', new.start_date, 'end_date', new.end_date, 'tags', new.tags)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_campaigns_update` AFTER UPDATE ON `campaigns`
WHEN old.id IS NOT new.id OR old.name IS NOT new.name OR old.channel IS NOT new.channel OR old.start_date IS NOT new.start_date OR old.end_date IS NOT new.end_date OR old.tags IS NOT new.tags
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'campaign', new.id, json_object('id', old.id, 'name', old.name, 'channel', old.channel, 'start_date', old.start_date, 'end_date', old.end_date, 'tags', old.tags), json_object('id', new.id, 'name', new.name, 'channel', new.channel, 'start_date', new.start_date, 'end_date', new.end_date, 'tags', new.tags)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_campaigns_delete` AFTER DELETE ON `campaigns`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'campaign', old.id, json_object('id', old.id, 'name', old.name, 'channel', old.channel, 'start_date', old.start_date, 'end_date', old.end_date, 'tags', old.tags), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_campaign_external_refs_insert` AFTER INSERT ON `campaign_external_refs`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'insert', 'campaign_external_ref', new.source || ':' || new.external_id, NULL, json_object('source', new.source, 'external_id', new.external_id, 'campaign_id', new.campaign_id)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_campaign_external_refs_update` AFTER UPDATE ON `campaign_external_refs`
WHEN old.source IS NOT new.source OR old.external_id IS NOT new.external_id OR old.campaign_id IS NOT new.campaign_id
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'campaign_external_ref', new.source || ':' || new.external_id, json_object('source', old.source, 'external_id', old.external_id, 'campaign_id', old.campaign_id), json_object('source', new.source, 'external_id', new.external_id, 'campaign_id', new.campaign_id)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_campaign_external_refs_delete` AFTER DELETE ON `campaign_external_refs`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'campaign_external_ref', old.source || ':' || old.external_id, json_object('source', old.source, 'external_id', old.external_id, 'campaign_id', old.campaign_id), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_plans_insert` AFTER INSERT ON `plans`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'insert', 'plan', new.campaign_id || ' ' || new.month, NULL, json_object('campaign_id', new.campaign_id, 'month', new.month, 'amount_micros', CAST(new.amount_micros AS TEXT), 'currency', new.currency, 'revision', new.revision)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_plans_update` AFTER UPDATE ON `plans`
WHEN old.campaign_id IS NOT new.campaign_id OR old.month IS NOT new.month OR old.amount_micros IS NOT new.amount_micros OR old.currency IS NOT new.currency OR old.revision IS NOT new.revision
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'plan', new.campaign_id || ' ' || new.month, json_object('campaign_id', old.campaign_id, 'month', old.month, 'amount_micros', CAST(old.amount_micros AS TEXT), 'currency', old.currency, 'revision', old.revision), json_object('campaign_id', new.campaign_id, 'month', new.month, 'amount_micros', CAST(new.amount_micros AS TEXT), 'currency', new.currency, 'revision', new.revision)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_plans_delete` AFTER DELETE ON `plans`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'plan', old.campaign_id || ' ' || old.month, json_object('campaign_id', old.campaign_id, 'month', old.month, 'amount_micros', CAST(old.amount_micros AS TEXT), 'currency', old.currency, 'revision', old.revision), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_commitments_insert` AFTER INSERT ON `commitments`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'insert', 'commitment', new.id, NULL, json_object('id', new.id, 'campaign_id', new.campaign_id, 'month', new.month, 'amount_micros', CAST(new.amount_micros AS TEXT), 'currency', new.currency, 'status', new.status)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_commitments_update` AFTER UPDATE ON `commitments`
WHEN old.id IS NOT new.id OR old.campaign_id IS NOT new.campaign_id OR old.month IS NOT new.month OR old.amount_micros IS NOT new.amount_micros OR old.currency IS NOT new.currency OR old.status IS NOT new.status
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'commitment', new.id, json_object('id', old.id, 'campaign_id', old.campaign_id, 'month', old.month, 'amount_micros', CAST(old.amount_micros AS TEXT), 'currency', old.currency, 'status', old.status), json_object('id', new.id, 'campaign_id', new.campaign_id, 'month', new.month, 'amount_micros', CAST(new.amount_micros AS TEXT), 'currency', new.currency, 'status', new.status)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_commitments_delete` AFTER DELETE ON `commitments`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'commitment', old.id, json_object('id', old.id, 'campaign_id', old.campaign_id, 'month', old.month, 'amount_micros', CAST(old.amount_micros AS TEXT), 'currency', old.currency, 'status', old.status), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_fx_rates_insert` AFTER INSERT ON `fx_rates`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'insert', 'fx_rate', new.currency || ' ' || new.date, NULL, json_object('currency', new.currency, 'date', new.date, 'rate', new.rate)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_fx_rates_update` AFTER UPDATE ON `fx_rates`
WHEN old.currency IS NOT new.currency OR old.date IS NOT new.date OR old.rate IS NOT new.rate
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'fx_rate', new.currency || ' ' || new.date, json_object('currency', old.currency, 'date', old.date, 'rate', old.rate), json_object('currency', new.currency, 'date', new.date, 'rate', new.rate)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_fx_rates_delete` AFTER DELETE ON `fx_rates`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'fx_rate', old.currency || ' ' || old.date, json_object('currency', old.currency, 'date', old.date, 'rate', old.rate), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_spend_update` AFTER UPDATE ON `spend`
WHEN old.id IS NOT new.id OR old.source IS NOT new.source OR old.campaign_id IS NOT new.campaign_id OR old.date IS NOT new.date OR old.reference IS NOT new.reference OR old.amount_micros IS NOT new.amount_micros OR old.currency IS NOT new.currency OR old.version IS NOT new.version
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'spend', new.source || ' ' || new.campaign_id || ' ' || new.date || ' ' || new.reference, json_object('id', old.id, 'source', old.source, 'campaign_id', old.campaign_id, 'date', old.date, 'reference', old.reference, 'amount_micros', CAST(old.amount_micros AS TEXT), 'currency', old.currency, 'version', old.version), json_object('id', new.id, 'source', new.source, 'campaign_id', new.campaign_id, 'date', new.date, 'reference', new.reference, 'amount_micros', CAST(new.amount_micros AS TEXT), 'currency', new.currency, 'version', new.version)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_spend_delete` AFTER DELETE ON `spend`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'spend', old.source || ' ' || old.campaign_id || ' ' || old.date || ' ' || old.reference, json_object('id', old.id, 'source', old.source, 'campaign_id', old.campaign_id, 'date', old.date, 'reference', old.reference, 'amount_micros', CAST(old.amount_micros AS TEXT), 'currency', old.currency, 'version', old.version), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_touchpoints_update` AFTER UPDATE ON `touchpoints`
WHEN old.id IS NOT new.id OR old.customer_id IS NOT new.customer_id OR old.campaign_id IS NOT new.campaign_id OR old.occurred_at IS NOT new.occurred_at
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'touchpoint', new.id, json_object('id', old.id, 'customer_id', old.customer_id, 'campaign_id', old.campaign_id, 'occurred_at', old.occurred_at), json_object('id', new.id, 'customer_id', new.customer_id, 'campaign_id', new.campaign_id, 'occurred_at', new.occurred_at)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_touchpoints_delete` AFTER DELETE ON `touchpoints`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'touchpoint', old.id, json_object('id', old.id, 'customer_id', old.customer_id, 'campaign_id', old.campaign_id, 'occurred_at', old.occurred_at), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_revenue_update` AFTER UPDATE ON `revenue`
WHEN old.id IS NOT new.id OR old.customer_id IS NOT new.customer_id OR old.occurred_at IS NOT new.occurred_at OR old.amount_micros IS NOT new.amount_micros OR old.currency IS NOT new.currency OR old.refund_of IS NOT new.refund_of
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'update', 'revenue', new.id, json_object('id', old.id, 'customer_id', old.customer_id, 'occurred_at', old.occurred_at, 'amount_micros', CAST(old.amount_micros AS TEXT), 'currency', old.currency, 'refund_of', old.refund_of), json_object('id', new.id, 'customer_id', new.customer_id, 'occurred_at', new.occurred_at, 'amount_micros', CAST(new.amount_micros AS TEXT), 'currency', new.currency, 'refund_of', new.refund_of)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_revenue_delete` AFTER DELETE ON `revenue`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'delete', 'revenue', old.id, json_object('id', old.id, 'customer_id', old.customer_id, 'occurred_at', old.occurred_at, 'amount_micros', CAST(old.amount_micros AS TEXT), 'currency', old.currency, 'refund_of', old.refund_of), NULL); END;
--> statement-breakpoint
CREATE TRIGGER `audit_forecast_snapshots_insert` AFTER INSERT ON `forecast_snapshots`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), 'insert', 'forecast_snapshot', new.id, NULL, json_object('id', new.id, 'name', new.name, 'from_month', new.from_month, 'to_month', new.to_month, 'as_of', new.as_of, 'method', new.method, 'group_by', new.group_by, 'currency', new.currency)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_period_events_insert` AFTER INSERT ON `period_events`
BEGIN INSERT INTO audit_events (at, actor_key_id, actor_name, action, entity, entity_id, before, after)
VALUES (coalesce((SELECT at FROM audit_context WHERE id = 1), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (SELECT key_id FROM audit_context WHERE id = 1), (SELECT name FROM audit_context WHERE id = 1), new.action, 'period', new.month, NULL, json_object('month', new.month, 'action', new.action, 'reason', new.reason)); END;
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE ON `audit_events`
BEGIN SELECT RAISE(ABORT, 'history_immutable:audit_events'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_events_no_delete` BEFORE DELETE ON `audit_events`
BEGIN SELECT RAISE(ABORT, 'history_immutable:audit_events'); END;
