import { type SQL, sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  customType,
  index,
  pgTable,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core'

// The same tables, columns and indexes as the SQLite schema (../sqlite/schema.ts), in PostgreSQL's
// types: ids are identity bigints (never handed out twice), times are bigint epoch milliseconds,
// JSON stays text (read and written exactly as on SQLite), flags are booleans, file bodies bytea.

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })

/** An id column: an identity that fixtures may pin, never past 2^53 − 1 (read exactly as a JS number). */
const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity()
const idLimit = (table: string, column: AnyPgColumn) => check(`${table}_id_max`, sql`${column} <= 9007199254740991`)
const ref = (name: string) => bigint(name, { mode: 'number' })
const millis = (name: string) => bigint(name, { mode: 'number' })

/**
 * SQLite's `COLLATE NOCASE`: ASCII letters folded, nothing else, compared byte by byte. Used for the
 * repo name sort and label-name uniqueness, so both engines order and refuse exactly alike.
 */
export function asciiFold(column: AnyPgColumn | SQL): SQL {
  return sql`translate(${column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') COLLATE "C"`
}

/** The same fold, as SQL text, for the repositories' hand-written statements. */
export const asciiFoldSql = (column: string) =>
  `translate(${column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') COLLATE "C"`

export const orgs = pgTable(
  'orgs',
  {
    id: id(),
    slug: text('slug').notNull().unique(),
    name: text('name'),
    image: text('image'),
    plan: text('plan').notNull().default('enterprise'),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [idLimit('orgs', t.id)],
)

export const tokens = pgTable(
  'tokens',
  {
    id: id(),
    orgId: ref('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull().default(''),
    tokenHash: text('token_hash').notNull().unique(),
    tokenPrefix: text('token_prefix').notNull(),
    scopes: text('scopes').notNull(),
    maxQuota: bigint('max_quota', { mode: 'number' }).notNull(),
    quotaUsed: bigint('quota_used', { mode: 'number' }).notNull().default(0),
    windowStartedAt: millis('window_started_at').notNull().default(0),
    createdAt: millis('created_at').notNull(),
    lastUsedAt: millis('last_used_at'),
    revokedAt: millis('revoked_at'),
    groupUuid: text('group_uuid').notNull().default(''),
    visibility: text('visibility', { enum: ['admin', 'organization'] })
      .notNull()
      .default('organization'),
    committers: text('committers').notNull().default('[]'),
  },
  (t) => [idLimit('tokens', t.id), index('tokens_org_idx').on(t.orgId), index('tokens_group_idx').on(t.groupUuid)],
)

export const orgSettings = pgTable('org_settings', {
  orgId: ref('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  securityPolicyDefault: text('security_policy_default', { enum: ['default', 'low', 'medium', 'high'] })
    .notNull()
    .default('default'),
  securityPolicyRules: text('security_policy_rules').notNull().default('{}'),
  licensePolicy: text('license_policy').notNull().default('{}'),
  updatedAt: millis('updated_at').notNull(),
})

export const auditEvents = pgTable(
  'audit_events',
  {
    id: id(),
    orgId: ref('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    actorTokenId: ref('actor_token_id'),
    actorName: text('actor_name'),
    payload: text('payload').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    idLimit('audit_events', t.id),
    index('audit_events_org_created_idx').on(t.orgId, t.createdAt, t.id),
    index('audit_events_org_type_created_idx').on(t.orgId, t.type, t.createdAt, t.id),
    index('audit_events_created_idx').on(t.createdAt),
  ],
)

export const repos = pgTable(
  'repos',
  {
    id: id(),
    orgId: ref('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    workspace: text('workspace').notNull().default(''),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    homepage: text('homepage'),
    visibility: text('visibility', { enum: ['public', 'private'] }).notNull(),
    archived: boolean('archived').notNull().default(false),
    defaultBranch: text('default_branch'),
    headFullScanId: text('head_full_scan_id'),
    integrationMeta: text('integration_meta'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [
    idLimit('repos', t.id),
    uniqueIndex('repos_org_workspace_slug_uq').on(t.orgId, t.workspace, t.slug),
    index('repos_org_slug_idx').on(t.orgId, t.slug),
    index('repos_org_created_idx').on(t.orgId, t.createdAt, t.id),
    index('repos_org_updated_idx').on(t.orgId, t.updatedAt, t.id),
    index('repos_org_name_idx').on(t.orgId, asciiFold(t.name), t.id),
  ],
)

export const labels = pgTable(
  'labels',
  {
    id: id(),
    orgId: ref('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    issueRules: text('issue_rules'),
    issueRulesPolicyDefault: text('issue_rules_policy_default', { enum: ['default', 'low', 'medium', 'high'] }),
    licensePolicy: text('license_policy'),
    recentlyPublishedThresholdMs: bigint('recently_published_threshold_ms', { mode: 'number' }),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [idLimit('labels', t.id), uniqueIndex('labels_org_name_uq').on(t.orgId, asciiFold(t.name))],
)

export const repoLabels = pgTable(
  'repo_labels',
  {
    labelId: ref('label_id')
      .notNull()
      .references(() => labels.id, { onDelete: 'cascade' }),
    repoId: ref('repo_id')
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.labelId, t.repoId] }), index('repo_labels_repo_idx').on(t.repoId)],
)

export const fullScans = pgTable(
  'full_scans',
  {
    id: id(),
    orgId: ref('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    repoId: ref('repo_id')
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    branch: text('branch'),
    commitMessage: text('commit_message'),
    commitHash: text('commit_hash'),
    pullRequest: bigint('pull_request', { mode: 'number' }),
    committers: text('committers').notNull().default('[]'),
    integrationType: text('integration_type').notNull(),
    integrationOrgSlug: text('integration_org_slug'),
    scanType: text('scan_type').notNull(),
    tmp: boolean('tmp').notNull().default(false),
    artifacts: text('artifacts').notNull().default('[]'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [
    idLimit('full_scans', t.id),
    index('full_scans_org_created_idx').on(t.orgId, t.createdAt, t.id),
    index('full_scans_repo_idx').on(t.repoId),
  ],
)

export const fullScanFiles = pgTable(
  'full_scan_files',
  {
    scanId: ref('scan_id')
      .notNull()
      .references(() => fullScans.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    content: bytea('content').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scanId, t.path] })],
)

export const diffScans = pgTable(
  'diff_scans',
  {
    id: text('id').primaryKey(),
    /** Insertion order (SQLite's rowid): lists order by time, then by this; the ids are random UUIDs. */
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    orgId: ref('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    repoId: ref('repo_id')
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    beforeScanId: ref('before_scan_id')
      .notNull()
      .references(() => fullScans.id, { onDelete: 'cascade' }),
    afterScanId: ref('after_scan_id')
      .notNull()
      .references(() => fullScans.id, { onDelete: 'cascade' }),
    description: text('description'),
    externalHref: text('external_href'),
    merge: boolean('merge').notNull().default(false),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('diff_scans_pair_uq').on(t.beforeScanId, t.afterScanId),
    index('diff_scans_after_idx').on(t.afterScanId),
    index('diff_scans_org_created_idx').on(t.orgId, t.createdAt, t.seq),
    index('diff_scans_org_updated_idx').on(t.orgId, t.updatedAt, t.seq),
    index('diff_scans_repo_idx').on(t.repoId),
  ],
)

/**
 * Versions of what an org's lists are made from (data-versions.ts): bumped in the transaction of
 * every write that changes them, read with every list request, by every instance. A version is the
 * sum of its SHARDS rows, each write bumping the row of its connection: concurrent writes in one org
 * do not queue on one row lock. Org 0 holds the epoch, bumped when everything changes at once (an
 * import or a reset). The migration sets `fillfactor = 10` (by hand: drizzle-kit writes no storage
 * parameters): with room left on its pages, the updates of these hot rows stay on their page (HOT)
 * and prune their dead versions as they go (bench/README.md measures it).
 */
export const dataVersions = pgTable(
  'data_versions',
  {
    orgId: bigint('org_id', { mode: 'number' }).notNull(),
    kind: text('kind').notNull(),
    shard: smallint('shard').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.kind, t.shard] })],
)
