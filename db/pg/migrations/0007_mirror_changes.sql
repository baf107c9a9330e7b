-- PostgreSQL only (no SQLite counterpart): which transaction last wrote each
-- touchpoint, revenue and spend row, so that the in-memory mirrors
-- (src/features/common/table-mirror.ts) of an instance can read only the rows
-- another instance changed, instead of the whole table, when the data version
-- moves by a commit they did not hear. A mirror reads
-- pg_snapshot_xmin(pg_current_snapshot()) before it reads rows: every
-- transaction not yet committed then has, or will get, an xid at least that
-- high, so `written_xid >= cursor` finds every row changed since.
--
-- Inserts take it from the default (the upserts name their columns, so none
-- sets it); updates from the trigger below, and only when the row's values
-- change (the touchpoint and spend upserts already skip unchanged rows; the
-- revenue upsert does not). Rows of these tables are never deleted.
--
-- Existing rows get '1', below any cursor (normal xids start at 3): a mirror
-- loads the whole table once anyway. Adding the column with a constant
-- default, then changing the default, rewrites no row.
ALTER TABLE "touchpoints" ADD COLUMN "written_xid" xid8 NOT NULL DEFAULT '1';--> statement-breakpoint
ALTER TABLE "touchpoints" ALTER COLUMN "written_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "revenue" ADD COLUMN "written_xid" xid8 NOT NULL DEFAULT '1';--> statement-breakpoint
ALTER TABLE "revenue" ALTER COLUMN "written_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "spend" ADD COLUMN "written_xid" xid8 NOT NULL DEFAULT '1';--> statement-breakpoint
ALTER TABLE "spend" ALTER COLUMN "written_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
CREATE INDEX "touchpoints_written_xid" ON "touchpoints" USING btree ("written_xid");--> statement-breakpoint
CREATE INDEX "revenue_written_xid" ON "revenue" USING btree ("written_xid");--> statement-breakpoint
CREATE INDEX "spend_written_xid" ON "spend" USING btree ("written_xid");--> statement-breakpoint
CREATE FUNCTION spendbook_written_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.written_xid := pg_current_xact_id();
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER touchpoints_written_xid BEFORE UPDATE ON touchpoints FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION spendbook_written_xid();--> statement-breakpoint
CREATE TRIGGER revenue_written_xid BEFORE UPDATE ON revenue FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION spendbook_written_xid();--> statement-breakpoint
CREATE TRIGGER spend_written_xid BEFORE UPDATE ON spend FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION spendbook_written_xid();
