import { sql } from 'drizzle-orm'
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// Timestamps are integer milliseconds since the epoch (UTC); the HTTP layer formats them as ISO-8601.
// Ids are integer rowids with AUTOINCREMENT so a deleted id is never handed out again.

export const orgs = sqliteTable('orgs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  slug: text('slug').notNull().unique(),
  name: text('name'),
  image: text('image'),
  plan: text('plan').notNull().default('enterprise'),
  createdAt: integer('created_at').notNull(),
})

export const tokens = sqliteTable(
  'tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull().default(''),
    /** SHA-256 of the token, hex. The token itself is never stored. */
    tokenHash: text('token_hash').notNull().unique(),
    /** The first characters of the token, to tell tokens apart in listings. */
    tokenPrefix: text('token_prefix').notNull(),
    /** Space-separated scopes, e.g. `repo repo-label:list`. */
    scopes: text('scopes').notNull(),
    maxQuota: integer('max_quota').notNull(),
    quotaUsed: integer('quota_used').notNull().default(0),
    /** Start of the current quota window; 0 when no window has started. */
    windowStartedAt: integer('window_started_at').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
    /** Socket's stable group UUID: the same for a token and every token that replaced it by rotation. */
    groupUuid: text('group_uuid').notNull().default(''),
    /** Socket's deprecated `visibility` of a token, stored as given. */
    visibility: text('visibility', { enum: ['admin', 'organization'] })
      .notNull()
      .default('organization'),
    /** JSON array of Socket's committer objects (`{email, provider, providerLoginName, providerUserId}`). */
    committers: text('committers').notNull().default('[]'),
  },
  (t) => [index('tokens_org_idx').on(t.orgId), index('tokens_group_idx').on(t.groupUuid)],
)

/** An org's own security and license policy; no row means the documented defaults (docs/org-policies.md). */
export const orgSettings = sqliteTable('org_settings', {
  orgId: integer('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  securityPolicyDefault: text('security_policy_default', { enum: ['default', 'low', 'medium', 'high'] })
    .notNull()
    .default('default'),
  /** JSON object of alert type → `{action}`: the customized rules only. */
  securityPolicyRules: text('security_policy_rules').notNull().default('{}'),
  /** JSON object `{allow?, warn?, options?}`. */
  licensePolicy: text('license_policy').notNull().default('{}'),
  updatedAt: integer('updated_at').notNull(),
})

/**
 * What happened in an org, written in the transaction of the change it records. The actor is the
 * token that made the request: its id and its name, never its value.
 */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    /** One of the `type` enum of Socket's audit log, e.g. `CreateLabel`. */
    type: text('type').notNull(),
    actorTokenId: integer('actor_token_id'),
    actorName: text('actor_name'),
    /** JSON object: the changed object. */
    payload: text('payload').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('audit_events_org_created_idx').on(t.orgId, t.createdAt, t.id),
    index('audit_events_org_type_created_idx').on(t.orgId, t.type, t.createdAt, t.id),
    index('audit_events_created_idx').on(t.createdAt),
  ],
)

export const repos = sqliteTable(
  'repos',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    workspace: text('workspace').notNull().default(''),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    homepage: text('homepage'),
    visibility: text('visibility', { enum: ['public', 'private'] }).notNull(),
    archived: integer('archived', { mode: 'boolean' }).notNull().default(false),
    defaultBranch: text('default_branch'),
    headFullScanId: text('head_full_scan_id'),
    /** JSON of the `integration_meta` object, or NULL. */
    integrationMeta: text('integration_meta'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('repos_org_workspace_slug_uq').on(t.orgId, t.workspace, t.slug),
    index('repos_org_slug_idx').on(t.orgId, t.slug),
    // One index per allowed sort key, each ending in id (the tie-breaker), so every list is an index walk.
    index('repos_org_created_idx').on(t.orgId, t.createdAt, t.id),
    index('repos_org_updated_idx').on(t.orgId, t.updatedAt, t.id),
    index('repos_org_name_idx').on(t.orgId, sql`${t.name} COLLATE NOCASE`, t.id),
  ],
)

export const labels = sqliteTable(
  'labels',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    // Per-label policy settings; NULL means "not set".
    /** JSON object of alert type → `{action}`. */
    issueRules: text('issue_rules'),
    issueRulesPolicyDefault: text('issue_rules_policy_default', {
      enum: ['default', 'low', 'medium', 'high'],
    }),
    /** JSON object, free-form. */
    licensePolicy: text('license_policy'),
    recentlyPublishedThresholdMs: integer('recently_published_threshold_ms'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  // Label names are unique per org without regard to ASCII case.
  (t) => [uniqueIndex('labels_org_name_uq').on(t.orgId, sql`${t.name} COLLATE NOCASE`)],
)

export const repoLabels = sqliteTable(
  'repo_labels',
  {
    labelId: integer('label_id')
      .notNull()
      .references(() => labels.id, { onDelete: 'cascade' }),
    repoId: integer('repo_id')
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.labelId, t.repoId] }), index('repo_labels_repo_idx').on(t.repoId)],
)

export type OrgRow = typeof orgs.$inferSelect
export type TokenRow = typeof tokens.$inferSelect
export type RepoRow = typeof repos.$inferSelect
export type LabelRow = typeof labels.$inferSelect
export type OrgSettingsRow = typeof orgSettings.$inferSelect
export type AuditEventRow = typeof auditEvents.$inferSelect

export const fullScans = sqliteTable(
  'full_scans',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    // A repo's scans go with it.
    repoId: integer('repo_id')
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    branch: text('branch'),
    commitMessage: text('commit_message'),
    commitHash: text('commit_hash'),
    pullRequest: integer('pull_request'),
    /** JSON array of strings. */
    committers: text('committers').notNull().default('[]'),
    integrationType: text('integration_type').notNull(),
    integrationOrgSlug: text('integration_org_slug'),
    scanType: text('scan_type').notNull(),
    /** Temporary: not listed, never a head. */
    tmp: integer('tmp', { mode: 'boolean' }).notNull().default(false),
    /** JSON array of the packages read from the manifests (name, version, ecosystem, manifest). */
    artifacts: text('artifacts').notNull().default('[]'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('full_scans_org_created_idx').on(t.orgId, t.createdAt, t.id),
    index('full_scans_repo_idx').on(t.repoId),
  ],
)

/** The manifest files of a scan, as uploaded. */
export const fullScanFiles = sqliteTable(
  'full_scan_files',
  {
    scanId: integer('scan_id')
      .notNull()
      .references(() => fullScans.id, { onDelete: 'cascade' }),
    /** The relative path the file part was named by. */
    path: text('path').notNull(),
    content: blob('content', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scanId, t.path] })],
)

export type FullScanRow = typeof fullScans.$inferSelect

/**
 * A diff scan: two full scans of one repo compared. The comparison itself is not stored: it is
 * computed from the two scans' packages, which never change, and goes with either scan.
 */
export const diffScans = sqliteTable(
  'diff_scans',
  {
    /** A UUID, as Socket's `diff_scan_id` path parameter says. */
    id: text('id').primaryKey(),
    orgId: integer('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    repoId: integer('repo_id')
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    beforeScanId: integer('before_scan_id')
      .notNull()
      .references(() => fullScans.id, { onDelete: 'cascade' }),
    afterScanId: integer('after_scan_id')
      .notNull()
      .references(() => fullScans.id, { onDelete: 'cascade' }),
    description: text('description'),
    externalHref: text('external_href'),
    merge: integer('merge', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    // One diff scan per ordered pair of scans: a second is a duplicate (409, or 302 to the first).
    uniqueIndex('diff_scans_pair_uq').on(t.beforeScanId, t.afterScanId),
    index('diff_scans_after_idx').on(t.afterScanId),
    // Lists order by time, then by rowid (insertion order, which every SQLite index ends with): ids are random.
    index('diff_scans_org_created_idx').on(t.orgId, t.createdAt),
    index('diff_scans_org_updated_idx').on(t.orgId, t.updatedAt),
    index('diff_scans_repo_idx').on(t.repoId),
  ],
)

export type DiffScanRow = typeof diffScans.$inferSelect
