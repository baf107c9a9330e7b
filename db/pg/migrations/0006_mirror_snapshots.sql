-- PostgreSQL only (no SQLite counterpart: there the snapshot is a file beside
-- the database, see src/features/mirrors/repository.ts). The last snapshot of
-- the in-memory report tables (TouchIndex, RevenueIndex, SpendIndex and their
-- customer interner), so that a starting instance restores them in a second
-- instead of reading every row. Not data: a copy of what the tables hold at
-- `version` (the data version), which a reader checks before trusting it. One
-- snapshot, shared by every instance: chunk 0 is its header, chunks 1.. its
-- body in pieces under 64 MB. It is written outside the unit of work (it moves
-- no data version and has no audit trigger), replaced whole in one transaction.
-- EXTERNAL storage: the bytes are already dense, and compressing a few hundred
-- MB at every save would only cost time.
CREATE TABLE "mirror_snapshots" (
	"chunk" integer PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"data" bytea NOT NULL
);--> statement-breakpoint
ALTER TABLE "mirror_snapshots" ALTER COLUMN "data" SET STORAGE EXTERNAL;
