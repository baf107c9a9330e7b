-- The data version (see db/schema.ts): its one row is made here, so that
-- the unit of work only ever updates it.
CREATE TABLE `data_version` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	CONSTRAINT "data_version_single_row" CHECK("data_version"."id" = 1)
);
--> statement-breakpoint
INSERT INTO `data_version` (`id`, `version`) VALUES (1, 0);
