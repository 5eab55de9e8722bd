CREATE TABLE `diff_scans` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` integer NOT NULL,
	`repo_id` integer NOT NULL,
	`before_scan_id` integer NOT NULL,
	`after_scan_id` integer NOT NULL,
	`description` text,
	`external_href` text,
	`merge` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`before_scan_id`) REFERENCES `full_scans`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`after_scan_id`) REFERENCES `full_scans`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `diff_scans_pair_uq` ON `diff_scans` (`before_scan_id`,`after_scan_id`);--> statement-breakpoint
CREATE INDEX `diff_scans_after_idx` ON `diff_scans` (`after_scan_id`);--> statement-breakpoint
CREATE INDEX `diff_scans_org_created_idx` ON `diff_scans` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `diff_scans_org_updated_idx` ON `diff_scans` (`org_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `diff_scans_repo_idx` ON `diff_scans` (`repo_id`);