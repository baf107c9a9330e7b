-- PostgreSQL only (no SQLite counterpart): a stable integer per touchpoint and
-- revenue row. The in-memory mirrors of these tables (TouchIndex,
-- RevenueIndex) address a row by a dense integer slot, which on SQLite is the
-- rowid (an upsert keeps it). PostgreSQL has no rowid (a ctid moves on every
-- update), so `seq` plays its part: given once, at insert, never changed
-- (ALWAYS: no write can set it), and unique so that a mirror can page through
-- the table by it. Existing rows are numbered as the column is added.
ALTER TABLE "touchpoints" ADD COLUMN "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL;--> statement-breakpoint
ALTER TABLE "revenue" ADD COLUMN "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "touchpoints_seq" ON "touchpoints" USING btree ("seq");--> statement-breakpoint
CREATE UNIQUE INDEX "revenue_seq" ON "revenue" USING btree ("seq");
