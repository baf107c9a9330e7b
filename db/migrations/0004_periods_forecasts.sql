CREATE TABLE `closed_months` (
	`month` text PRIMARY KEY NOT NULL,
	`start_ms` integer NOT NULL,
	`end_ms` integer NOT NULL,
	`closed_at` text NOT NULL,
	`closed_by_key_id` text,
	`closed_by` text,
	`reason` text
);
--> statement-breakpoint
CREATE TABLE `forecast_snapshots` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`from_month` text NOT NULL,
	`to_month` text NOT NULL,
	`as_of` text NOT NULL,
	`method` text NOT NULL,
	`group_by` text NOT NULL,
	`currency` text NOT NULL,
	`created_at` text NOT NULL,
	`created_by_key_id` text,
	`created_by` text,
	`report` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `forecast_snapshots_name` ON `forecast_snapshots` (`name`);--> statement-breakpoint
CREATE INDEX `forecast_snapshots_month` ON `forecast_snapshots` (`from_month`,`to_month`);--> statement-breakpoint
CREATE TABLE `period_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`month` text NOT NULL,
	`action` text NOT NULL,
	`at` text NOT NULL,
	`by_key_id` text,
	`by` text,
	`reason` text
);
--> statement-breakpoint
CREATE INDEX `period_events_month` ON `period_events` (`month`,`id`);