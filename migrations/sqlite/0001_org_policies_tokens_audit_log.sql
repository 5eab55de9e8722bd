CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`org_id` integer NOT NULL,
	`type` text NOT NULL,
	`actor_token_id` integer,
	`actor_name` text,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `audit_events_org_created_idx` ON `audit_events` (`org_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `audit_events_org_type_created_idx` ON `audit_events` (`org_id`,`type`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `audit_events_created_idx` ON `audit_events` (`created_at`);--> statement-breakpoint
CREATE TABLE `org_settings` (
	`org_id` integer PRIMARY KEY NOT NULL,
	`security_policy_default` text DEFAULT 'default' NOT NULL,
	`security_policy_rules` text DEFAULT '{}' NOT NULL,
	`license_policy` text DEFAULT '{}' NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `tokens` ADD `group_uuid` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `tokens` ADD `visibility` text DEFAULT 'organization' NOT NULL;--> statement-breakpoint
ALTER TABLE `tokens` ADD `committers` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `tokens_group_idx` ON `tokens` (`group_uuid`);--> statement-breakpoint
-- Reviewed addition: every token stored before this migration gets its own random v4 group UUID.
UPDATE `tokens` SET `group_uuid` = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))) WHERE `group_uuid` = '';
