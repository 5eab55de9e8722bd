CREATE TABLE `labels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`org_id` integer NOT NULL,
	`name` text NOT NULL,
	`issue_rules` text,
	`issue_rules_policy_default` text,
	`license_policy` text,
	`recently_published_threshold_ms` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `labels_org_name_uq` ON `labels` (`org_id`,"name" COLLATE NOCASE);--> statement-breakpoint
CREATE TABLE `orgs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text,
	`image` text,
	`plan` text DEFAULT 'enterprise' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orgs_slug_unique` ON `orgs` (`slug`);--> statement-breakpoint
CREATE TABLE `repo_labels` (
	`label_id` integer NOT NULL,
	`repo_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`label_id`, `repo_id`),
	FOREIGN KEY (`label_id`) REFERENCES `labels`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `repo_labels_repo_idx` ON `repo_labels` (`repo_id`);--> statement-breakpoint
CREATE TABLE `repos` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`org_id` integer NOT NULL,
	`workspace` text DEFAULT '' NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`homepage` text,
	`visibility` text NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	`default_branch` text,
	`head_full_scan_id` text,
	`integration_meta` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repos_org_workspace_slug_uq` ON `repos` (`org_id`,`workspace`,`slug`);--> statement-breakpoint
CREATE INDEX `repos_org_slug_idx` ON `repos` (`org_id`,`slug`);--> statement-breakpoint
CREATE INDEX `repos_org_created_idx` ON `repos` (`org_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `repos_org_updated_idx` ON `repos` (`org_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `repos_org_name_idx` ON `repos` (`org_id`,"name" COLLATE NOCASE,`id`);--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`org_id` integer NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`token_hash` text NOT NULL,
	`token_prefix` text NOT NULL,
	`scopes` text NOT NULL,
	`max_quota` integer NOT NULL,
	`quota_used` integer DEFAULT 0 NOT NULL,
	`window_started_at` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tokens_token_hash_unique` ON `tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `tokens_org_idx` ON `tokens` (`org_id`);