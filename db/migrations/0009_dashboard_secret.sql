CREATE TABLE `dashboard_secret` (
	`id` integer PRIMARY KEY NOT NULL,
	`secret` text NOT NULL,
	`created_at` text NOT NULL,
	CONSTRAINT "dashboard_secret_single_row" CHECK("dashboard_secret"."id" = 1)
);
