-- What a closed month's attribution reads must not change either.
-- Touchpoints: a conversion's lookback reaches back before its month, so a
-- stored touchpoint dated before the end of the latest closed month cannot
-- change or go, and none can move there (the services refuse new ones).
-- Revenue: a refund is split as the conversion it refunds, so a conversion
-- with a refund dated in a closed month cannot change or go.
-- Plan revisions are the plan's history: append-only, like period events.
DROP TRIGGER `touchpoints_closed_update`;
--> statement-breakpoint
DROP TRIGGER `touchpoints_closed_delete`;
--> statement-breakpoint
CREATE TRIGGER `touchpoints_closed_update` BEFORE UPDATE ON `touchpoints`
WHEN old.occurred_at < (SELECT max(end_ms) FROM closed_months) OR new.occurred_at < (SELECT max(end_ms) FROM closed_months)
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months ORDER BY end_ms DESC LIMIT 1) || ':touchpoints'); END;
--> statement-breakpoint
CREATE TRIGGER `touchpoints_closed_delete` BEFORE DELETE ON `touchpoints`
WHEN old.occurred_at < (SELECT max(end_ms) FROM closed_months)
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT month FROM closed_months ORDER BY end_ms DESC LIMIT 1) || ':touchpoints'); END;
--> statement-breakpoint
CREATE TRIGGER `revenue_refunded_closed_update` BEFORE UPDATE ON `revenue`
WHEN EXISTS (SELECT 1 FROM revenue r JOIN closed_months c ON r.occurred_at >= c.start_ms AND r.occurred_at < c.end_ms WHERE r.refund_of = old.id)
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT c.month FROM revenue r JOIN closed_months c ON r.occurred_at >= c.start_ms AND r.occurred_at < c.end_ms WHERE r.refund_of = old.id ORDER BY c.month LIMIT 1) || ':revenue'); END;
--> statement-breakpoint
CREATE TRIGGER `revenue_refunded_closed_delete` BEFORE DELETE ON `revenue`
WHEN EXISTS (SELECT 1 FROM revenue r JOIN closed_months c ON r.occurred_at >= c.start_ms AND r.occurred_at < c.end_ms WHERE r.refund_of = old.id)
BEGIN SELECT RAISE(ABORT, 'period_closed:' || (SELECT c.month FROM revenue r JOIN closed_months c ON r.occurred_at >= c.start_ms AND r.occurred_at < c.end_ms WHERE r.refund_of = old.id ORDER BY c.month LIMIT 1) || ':revenue'); END;
--> statement-breakpoint
CREATE TRIGGER `plan_revisions_no_update` BEFORE UPDATE ON `plan_revisions`
BEGIN SELECT RAISE(ABORT, 'history_immutable:plan_revisions'); END;
--> statement-breakpoint
CREATE TRIGGER `plan_revisions_no_delete` BEFORE DELETE ON `plan_revisions`
BEGIN SELECT RAISE(ABORT, 'history_immutable:plan_revisions'); END;
