CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `campaign_external_refs` (
	`source` text NOT NULL,
	`external_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	PRIMARY KEY(`source`, `external_id`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaign_external_refs_campaign` ON `campaign_external_refs` (`campaign_id`);--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`channel` text NOT NULL,
	`start_date` text NOT NULL,
	`end_date` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `campaigns_channel` ON `campaigns` (`channel`);--> statement-breakpoint
CREATE INDEX `campaigns_name` ON `campaigns` (`name`);--> statement-breakpoint
CREATE TABLE `commitments` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`month` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `commitments_month` ON `commitments` (`month`,`campaign_id`);--> statement-breakpoint
CREATE TABLE `fx_rates` (
	`currency` text NOT NULL,
	`date` text NOT NULL,
	`rate` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`currency`, `date`)
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`api_key_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status_code` integer NOT NULL,
	`response_body` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`api_key_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `plan_revisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`month` text NOT NULL,
	`revision` integer NOT NULL,
	`amount_micros` integer NOT NULL,
	`currency` text NOT NULL,
	`changed_at` text NOT NULL,
	`changed_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `plan_revisions_key` ON `plan_revisions` (`campaign_id`,`month`,`revision`);--> statement-breakpoint
CREATE TABLE `plans` (
	`campaign_id` text NOT NULL,
	`month` text NOT NULL,
	`amount_micros` integer NOT NULL,
	`currency` text NOT NULL,
	`revision` integer NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`campaign_id`, `month`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `plans_month` ON `plans` (`month`);--> statement-breakpoint
CREATE TABLE `settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`base_currency` text DEFAULT 'USD' NOT NULL,
	`fiscal_year_start_month` integer DEFAULT 1 NOT NULL,
	`pacing_tolerance` text DEFAULT '0.10' NOT NULL,
	`updated_at` text NOT NULL,
	CONSTRAINT "settings_single_row" CHECK("settings"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `spend` (
	`id` integer PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`campaign_id` text NOT NULL,
	`date` text NOT NULL,
	`reference` text DEFAULT '' NOT NULL,
	`amount_micros` integer NOT NULL,
	`currency` text NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `spend_natural_key` ON `spend` (`source`,`campaign_id`,`date`,`reference`);--> statement-breakpoint
CREATE INDEX `spend_date_campaign` ON `spend` (`date`,`campaign_id`);