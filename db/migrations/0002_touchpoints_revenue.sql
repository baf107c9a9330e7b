CREATE TABLE `revenue` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`amount_micros` integer NOT NULL,
	`currency` text NOT NULL,
	`refund_of` text
);
--> statement-breakpoint
CREATE INDEX `revenue_time` ON `revenue` (`occurred_at`);--> statement-breakpoint
CREATE INDEX `revenue_refund_of` ON `revenue` (`refund_of`);--> statement-breakpoint
CREATE TABLE `touchpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`occurred_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `touchpoints_customer_time` ON `touchpoints` (`customer_id`,`occurred_at`);