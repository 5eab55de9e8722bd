/**
 * The plain data the repositories hand to services. Ids are opaque strings outside `db/`;
 * timestamps are epoch milliseconds.
 */

export interface Org {
  id: string
  slug: string
  name: string | null
  image: string | null
  plan: string
  createdAt: number
}

export interface Token {
  id: string
  orgId: string
  orgSlug: string
  name: string
  tokenPrefix: string
  scopes: string[]
  maxQuota: number
  quotaUsed: number
  windowStartedAt: number
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
  /** SHA-256 of the token value, hex (a digest, never the value). */
  tokenHash: string
  /** Stable across rotations. */
  groupUuid: string
  visibility: TokenVisibility
  committers: Committer[]
}

export type TokenVisibility = 'admin' | 'organization'

/** Socket's committer object of an API token, stored as given. */
export interface Committer {
  email?: string
  provider?: 'api' | 'azure' | 'bitbucket' | 'github' | 'gitlab'
  providerLoginName?: string
  providerUserId?: string
}

/** An org's own policy (docs/org-policies.md). */
export interface OrgPolicy {
  securityPolicyDefault: IssueRulesPolicyDefault
  /** The customized rules only. */
  securityPolicyRules: IssueRules
  licensePolicy: LicensePolicy
}

export interface LicensePolicy {
  allow?: string[]
  warn?: string[]
  options?: string[]
}

/** Who made a change: the token of the request, by id and name (never its value). */
export interface Actor {
  tokenId: string
  name: string
}

export interface NewAuditEvent {
  orgId: string
  type: string
  actor: Actor | null
  /** The changed object. */
  payload: Record<string, unknown>
}

export interface AuditEvent extends NewAuditEvent {
  id: string
  createdAt: number
}

/**
 * The audit records of a write, built from the write's result inside its transaction; none when the
 * write changed nothing.
 */
export type AuditOf<R> = (result: R) => NewAuditEvent[]

export interface IntegrationMeta {
  type?: 'github'
  value?: {
    installation_id: string
    installation_login: string
    repo_name: string | null
    repo_id: string | null
  }
}

export interface Repo {
  id: string
  orgId: string
  workspace: string
  slug: string
  name: string
  description: string | null
  homepage: string | null
  visibility: 'public' | 'private'
  archived: boolean
  defaultBranch: string | null
  headFullScanId: string | null
  integrationMeta: IntegrationMeta | null
  createdAt: number
  updatedAt: number
}

export type RepoSortKey = 'created_at' | 'updated_at' | 'name'

export const issueRulesPolicyDefaults = ['default', 'low', 'medium', 'high'] as const
export type IssueRulesPolicyDefault = (typeof issueRulesPolicyDefaults)[number]
export type IssueAction = 'defer' | 'error' | 'warn' | 'monitor' | 'ignore'
export type IssueRules = Record<string, { action: IssueAction }>

export interface LabelSettings {
  issueRules: IssueRules | null
  issueRulesPolicyDefault: IssueRulesPolicyDefault | null
  licensePolicy: Record<string, unknown> | null
  recentlyPublishedThresholdMs: number | null
}

export const labelSettingKeys = [
  'issueRules',
  'issueRulesPolicyDefault',
  'licensePolicy',
  'recentlyPublishedThresholdMs',
] as const satisfies readonly (keyof LabelSettings)[]
export type LabelSettingKey = (typeof labelSettingKeys)[number]

export interface Label {
  id: string
  orgId: string
  name: string
  /** Ids of the associated repos, ascending. */
  repositoryIds: string[]
  settings: LabelSettings
  createdAt: number
  updatedAt: number
}

export interface Page<T> {
  items: T[]
  hasMore: boolean
}

/** One org's whole state, as fixtures seed it and exports write it. */
export interface OrgState {
  id?: string
  slug: string
  name: string | null
  image: string | null
  plan: string
  createdAt?: number
  tokens: TokenState[]
  repos: RepoState[]
  labels: LabelState[]
  /** The org's own policy; undefined: the defaults (no row). */
  policy?: OrgPolicy
  fullScans: FullScanState[]
  diffScans: DiffScanState[]
}

/** A full scan as fixtures hold it: its repo by slug, its files, and the packages read from them. */
/** What a full scan records of its run, whichever way it is stored or carried. */
export interface FullScanFields {
  branch: string | null
  commitMessage: string | null
  commitHash: string | null
  pullRequest: number | null
  committers: string[]
  integrationType: string
  integrationOrgSlug: string | null
  scanType: string
  tmp: boolean
  artifacts: Artifact[]
}

export interface FullScanState extends FullScanFields {
  id?: string
  repository: { slug: string; workspace: string }
  files: ScanFile[]
  createdAt?: number
  updatedAt?: number
}

export interface TokenState {
  id?: string
  name: string
  tokenHash: string
  tokenPrefix: string
  scopes: string[]
  maxQuota: number
  createdAt?: number
  revokedAt: number | null
  /** Generated when absent. */
  groupUuid?: string
  visibility?: TokenVisibility
  committers?: Committer[]
}

/** A repo as fixtures seed it: every field of `Repo`, the id and times optional (pinned when given). */
export type RepoState = Omit<Repo, 'orgId' | 'id' | 'createdAt' | 'updatedAt'> &
  Partial<Pick<Repo, 'id' | 'createdAt' | 'updatedAt'>>

export interface LabelState {
  id?: string
  name: string
  settings: LabelSettings
  /** Associated repos of the same org, by workspace and slug. */
  repositories: { workspace: string; slug: string }[]
  createdAt?: number
  updatedAt?: number
}

export interface StateSnapshot {
  orgs: OrgState[]
}

export type ResetScope = { kind: 'data'; orgId?: string } | { kind: 'everything' }

/** A package read from an uploaded manifest or lockfile. */
export interface Artifact {
  /** Socket's ecosystem name (`npm`, `pypi`). */
  type: string
  name: string
  /** Null when the manifest pins no exact version. */
  version: string | null
  /** The uploaded file it was read from (its relative path). */
  manifest: string
}

export interface FullScan extends FullScanFields {
  id: string
  orgId: string
  repoId: string
  repoSlug: string
  workspace: string
  createdAt: number
  updatedAt: number
}

export interface ScanFile {
  path: string
  content: Buffer
}

/** What a diff scan records besides its two scans. */
export interface DiffScanFields {
  description: string | null
  externalHref: string | null
  merge: boolean
}

/** A stored diff scan: two full scans of one repo, compared when read. */
export interface DiffScan extends DiffScanFields {
  id: string
  orgId: string
  repoId: string
  beforeScanId: string
  afterScanId: string
  createdAt: number
  updatedAt: number
}

/** A diff scan as fixtures hold it: its two scans by their ids in the same fixture. */
export interface DiffScanState extends DiffScanFields {
  /** Generated when absent. */
  id?: string
  beforeScanId: string
  afterScanId: string
  createdAt?: number
  updatedAt?: number
}
