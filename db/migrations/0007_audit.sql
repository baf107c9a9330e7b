CREATE TABLE `audit_context` (
	`id` integer PRIMARY KEY NOT NULL,
	`key_id` text,
	`name` text,
	`at` text NOT NULL,
	CONSTRAINT "audit_context_single_row" CHECK("audit_context"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`actor_key_id` text,
	`actor_name` text,
	`action` text NOT NULL,
	`entity` text NOT NULL,
	`entity_id` text,
	`before` text,
	`after` text
);
--> statement-breakpoint
CREATE INDEX `audit_events_entity` ON `audit_events` (`entity`,`entity_id`);--> statement-breakpoint
CREATE INDEX `audit_events_actor` ON `audit_events` (`actor_key_id`);--> statement-breakpoint
CREATE INDEX `audit_events_at` ON `audit_events` (`at`);