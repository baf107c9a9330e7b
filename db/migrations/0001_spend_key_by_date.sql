DROP INDEX `spend_natural_key`;--> statement-breakpoint
DROP INDEX `spend_date_campaign`;--> statement-breakpoint
CREATE UNIQUE INDEX `spend_natural_key_by_date` ON `spend` (`date`,`campaign_id`,`source`,`reference`);