CREATE TABLE `full_scan_files` (
	`scan_id` integer NOT NULL,
	`path` text NOT NULL,
	`content` blob NOT NULL,
	PRIMARY KEY(`scan_id`, `path`),
	FOREIGN KEY (`scan_id`) REFERENCES `full_scans`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `full_scans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`org_id` integer NOT NULL,
	`repo_id` integer NOT NULL,
	`branch` text,
	`commit_message` text,
	`commit_hash` text,
	`pull_request` integer,
	`committers` text DEFAULT '[]' NOT NULL,
	`integration_type` text NOT NULL,
	`integration_org_slug` text,
	`scan_type` text NOT NULL,
	`tmp` integer DEFAULT false NOT NULL,
	`artifacts` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `full_scans_org_created_idx` ON `full_scans` (`org_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `full_scans_repo_idx` ON `full_scans` (`repo_id`);