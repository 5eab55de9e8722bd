/**
 * The storage contract: what services may ask of the database, whichever engine holds it. Each engine
 * (sqlite/, postgres/) implements every interface here; nothing outside `db/` sees an engine.
 */
import type {
  AuditEvent,
  AuditOf,
  Committer,
  DiffScan,
  DiffScanFields,
  FullScan,
  FullScanFields,
  Label,
  LabelSettings,
  Org,
  OrgPolicy,
  Page,
  Repo,
  RepoSortKey,
  RepoState,
  ResetScope,
  ScanFile,
  StateSnapshot,
  Token,
  TokenVisibility,
} from './models.js'

export type Engine = 'sqlite' | 'postgres'

// ---- orgs

export interface NewOrg {
  slug: string
  name: string | null
  image?: string | null
  plan?: string
  /** Fixtures may pin the id and the creation time. */
  id?: string
  createdAt?: number
}

export interface OrgRepository {
  /** Inserts an org; `undefined` when the slug (or the given id) is taken. */
  create(input: NewOrg, now: number): Promise<Org | undefined>
  findBySlug(slug: string): Promise<Org | undefined>
  findById(id: string): Promise<Org | undefined>
  list(): Promise<Org[]>
  count(): Promise<number>
  /** Deletes the org with its tokens, repos, labels and associations (foreign-key cascade, one statement). */
  deleteBySlug(slug: string): Promise<boolean>
}

// ---- tokens

export interface NewToken {
  orgId: string
  name: string
  tokenHash: string
  tokenPrefix: string
  scopes: string[]
  maxQuota: number
  /** Fixtures may pin the id and times, and import a revoked token. */
  id?: string
  createdAt?: number
  revokedAt?: number | null
  /** Socket's stable group uuid; the same across rotations. */
  groupUuid: string
  visibility?: TokenVisibility
  committers?: Committer[]
}

/** A token as a whole-state export writes it: its digest, never its value. */
export type StoredToken = Token & { tokenHash: string }

/** What an update through Socket's token endpoint may change. */
export interface TokenPatch {
  name?: string
  scopes: string[]
  maxQuota: number
  visibility: TokenVisibility
  committers: Committer[]
}

/** How a token is named in Socket's token endpoints' bodies. */
export type TokenSelector = { id: string } | { tokenHash: string } | { groupUuid: string }

/** The state of a token's quota in its current window. */
export interface QuotaState {
  used: number
  max: number
  /** Start of the current window, 0 when none is running. */
  windowStartedAt: number
}

export interface TokenRepository {
  /** Inserts a token; `undefined` when its hash is already stored (the same token twice). */
  create(input: NewToken, now: number, auditOf?: AuditOf<Token>): Promise<Token | undefined>
  /** The org's active token named by the selector (several selectors: all must name the same token). */
  findActiveInOrg(orgId: string, selectors: TokenSelector[]): Promise<Token | undefined>
  /** The org's active tokens by creation (then id), a page at a time. */
  listActive(orgId: string, direction: 'asc' | 'desc', limit: number, offset: number): Promise<Page<Token>>
  /** Changes an active token's settings; undefined when there is no such active token. */
  update(
    id: string,
    patch: TokenPatch,
    now: number,
    auditOf?: AuditOf<{ before: Token; after: Token }>,
  ): Promise<Token | undefined>
  /**
   * Replaces an active token by a new one of the same group, settings and quota use (a rotation
   * must not refill a quota), and revokes the old one, in one transaction. Undefined when the old
   * token is not active or the new value is taken.
   */
  rotate(
    id: string,
    value: { tokenHash: string; tokenPrefix: string },
    now: number,
    auditOf?: AuditOf<{ old: Token; replacement: Token }>,
  ): Promise<Token | undefined>
  findActiveByHash(tokenHash: string): Promise<Token | undefined>
  existsByHash(tokenHash: string): Promise<boolean>
  findById(id: string): Promise<Token | undefined>
  list(orgSlug?: string): Promise<Token[]>
  /** Marks a token revoked; false when there is no such active token. */
  revoke(id: string, now: number, auditOf?: AuditOf<Token>): Promise<boolean>
  /**
   * Takes up to `want` units (at least `min`) out of the token's quota for the current window,
   * atomically: a window that has run out restarts at `now`. `granted` is 0 when fewer than `min`
   * units are left; undefined when there is no such token. The units count as used in the database
   * from then on, so no other process can spend them too.
   */
  reserveQuota(
    id: string,
    want: number,
    min: number,
    windowMs: number,
    now: number,
  ): Promise<(QuotaState & { granted: number }) | undefined>
  /** Gives back units reserved in a window, unless that window has since ended or been reset. */
  releaseQuota(id: string, units: number, windowStartedAt: number): Promise<void>
  /** Reads a token's quota without spending; a window that has run out reads as unused. */
  readQuota(id: string, windowMs: number, now: number): Promise<QuotaState | undefined>
}

// ---- org settings and audit

export interface OrgSettingsRepository {
  find(orgId: string): Promise<OrgPolicy | undefined>
  /**
   * Reads the org's policy (or `defaults`), lets `change` derive the new one, and stores it with its
   * audit event, all in one write transaction: concurrent updates (a merge) never lose each other.
   */
  update(
    orgId: string,
    defaults: OrgPolicy,
    change: (current: OrgPolicy) => OrgPolicy,
    now: number,
    auditOf?: AuditOf<{ before: OrgPolicy; after: OrgPolicy }>,
  ): Promise<OrgPolicy>
}

export interface AuditQuery {
  orgId: string
  type: string | undefined
  /** Only events before this instant (epoch ms). */
  before: number | undefined
  limit: number
  offset: number
}

export interface AuditRepository {
  /** Newest first. */
  list(query: AuditQuery): Promise<Page<AuditEvent>>
  /** Deletes at most `limit` events older than `cutoff`; returns how many went. */
  pruneOlderThan(cutoff: number, limit: number): Promise<number>
}

// ---- repos

/** A repo to insert: what the API sets, plus what only fixtures may (the id, times, scan and integration). */
export type NewRepo = Omit<RepoState, 'headFullScanId' | 'integrationMeta'> &
  Partial<Pick<RepoState, 'headFullScanId' | 'integrationMeta'>> & { orgId: string }

export type RepoPatch = Partial<
  Pick<Repo, 'name' | 'description' | 'homepage' | 'visibility' | 'archived' | 'defaultBranch' | 'workspace'>
>

export interface RepoListQuery {
  orgId: string
  sort: RepoSortKey
  direction: 'asc' | 'desc'
  limit: number
  offset: number
  includeArchived: boolean
  /** Only this workspace; undefined for every workspace. */
  workspace: string | undefined
}

export type CreateRepoResult = { created: true; repo: Repo } | { created: false; existing: Repo }
export type UpdateRepoResult = { updated: true; repo: Repo } | { updated: false; reason: 'not_found' | 'conflict' }

export interface RepoRepository {
  /**
   * Inserts the repo, or returns the one that already holds its (org, workspace, slug): a refused
   * duplicate writes nothing, and of concurrent creates of one slug (in any process) exactly one inserts.
   */
  create(input: NewRepo, now: number): Promise<CreateRepoResult>
  findInWorkspace(orgId: string, workspace: string, slug: string): Promise<Repo | undefined>
  /** Every repo of the org with this slug, whatever its workspace (at most `limit`). */
  findAllWithSlug(orgId: string, slug: string, limit: number): Promise<Repo[]>
  findById(orgId: string, id: string): Promise<Repo | undefined>
  /** The version of the org's repo lists: it changes with every change to the org's repos, in any process. */
  listVersion(orgId: string): Promise<string>
  /** A page in (sort, id) order. */
  list(query: RepoListQuery): Promise<Page<Repo>>
  /** Applies the patch and sets updated_at; `conflict` when a workspace move would collide with a repo there. */
  update(id: string, patch: RepoPatch, now: number): Promise<UpdateRepoResult>
  /** Deletes the repo and, with it, its label associations, scans and diff scans. */
  delete(id: string, now: number, auditOf?: AuditOf<Repo>): Promise<boolean>
}

// ---- labels

export type LabelWriteResult = { ok: true; label: Label } | { ok: false; reason: 'not_found' | 'conflict' }
export type AssociationResult = 'ok' | 'label_not_found' | 'repo_not_found'
export type AssociationAudit = AuditOf<{ labelId: string; repoId: string; changed: boolean }>

export interface NewLabel {
  orgId: string
  name: string
  id?: string
  settings?: Partial<LabelSettings>
  /** Fixtures may pin the times. */
  createdAt?: number
  updatedAt?: number
}

export interface LabelRepository {
  /** The version of the org's label list: it changes with every change to its labels, in any process. */
  listVersion(orgId: string): Promise<string>
  create(input: NewLabel, now: number, auditOf?: AuditOf<Label>): Promise<LabelWriteResult>
  findById(orgId: string, labelId: string): Promise<Label | undefined>
  /** Labels in creation order (ascending id). */
  list(orgId: string, limit: number, offset: number): Promise<Page<Label>>
  /** The label's settings alone (its associations are not read); undefined when there is no such label. */
  findSettings(orgId: string, labelId: string): Promise<LabelSettings | undefined>
  rename(
    orgId: string,
    labelId: string,
    name: string,
    now: number,
    auditOf?: AuditOf<{ before: Label; after: Label }>,
  ): Promise<LabelWriteResult>
  /** Deletes the label; its associations and settings go with it. */
  delete(orgId: string, labelId: string, now: number, auditOf?: AuditOf<Label>): Promise<boolean>
  /** Associates a repo of the same org with the label; associating twice is a no-op. */
  associate(
    orgId: string,
    labelId: string,
    repoId: string,
    now: number,
    auditOf?: AssociationAudit,
  ): Promise<AssociationResult>
  /** Removes the association; removing one that does not exist is a no-op. */
  disassociate(
    orgId: string,
    labelId: string,
    repoId: string,
    now: number,
    auditOf?: AssociationAudit,
  ): Promise<AssociationResult>
  /** Writes the given setting keys (null clears one) and leaves the others alone. */
  updateSettings(
    orgId: string,
    labelId: string,
    settings: Partial<LabelSettings>,
    now: number,
    auditOf?: AuditOf<{ labelId: string; before: LabelSettings; after: LabelSettings }>,
  ): Promise<boolean>
  /** The settings of every label associated with the repo, by ascending label id. */
  settingsOfRepo(orgId: string, repoId: string): Promise<{ id: string; name: string; settings: LabelSettings }[]>
}

// ---- full scans and diff scans

/** A scan to store: everything but its id, repo and times. */
export interface NewFullScan extends FullScanFields {
  orgId: string
  files: ScanFile[]
  /** The repo to file it under, created as given when (org, workspace, slug) holds none. */
  repo: NewRepo
  /** Make the scan's branch the repo's default branch. */
  makeDefaultBranch: boolean
  /** Make the scan the repo's head, when its branch is the repo's default branch. */
  setAsPendingHead: boolean
}

export interface FullScanListQuery {
  orgId: string
  sort: 'name' | 'created_at'
  direction: 'asc' | 'desc'
  limit: number
  offset: number
  /** Scans created at or after this instant (epoch ms). */
  from?: number
  workspace?: string
  repo?: string
  branch?: string
  pullRequest?: number
  commitHash?: string
  scanType?: string
}

export interface FullScanRepository {
  /** Stores the scan and its files, creating its repo first when needed, in one transaction. */
  create(input: NewFullScan, now: number): Promise<{ scan: FullScan; repo: Repo }>
  findById(orgId: string, id: string): Promise<FullScan | undefined>
  files(id: string): Promise<ScanFile[]>
  /** A page of the org's listed (not temporary) scans, in (sort, id) order. */
  list(query: FullScanListQuery): Promise<Page<FullScan>>
  /** Deletes the scan and its files; a repo whose head it was is left without a head. */
  delete(orgId: string, id: string, now: number): Promise<boolean>
}

export interface NewDiffScan extends DiffScanFields {
  orgId: string
  beforeScanId: string
  afterScanId: string
}

/** Why a diff scan was not created, or the one created (or found: a duplicate). */
export type CreateDiffScanResult =
  | { outcome: 'created'; diffScan: DiffScan }
  | { outcome: 'duplicate'; diffScan: DiffScan }
  | { outcome: 'missing'; scanId: string }
  | { outcome: 'different-repos' }

export interface DiffScanListQuery {
  orgId: string
  sort: 'created_at' | 'updated_at'
  direction: 'asc' | 'desc'
  limit: number
  offset: number
  repoId?: string
  beforeScanId?: string
  afterScanId?: string
}

export interface DiffScanRepository {
  /** Compares two scans of the org's: refused unless both exist and share a repo; a pair compared before is a duplicate. */
  create(input: NewDiffScan, now: number): Promise<CreateDiffScanResult>
  findById(orgId: string, id: string): Promise<DiffScan | undefined>
  /** A page of the org's diff scans, in (sort, creation) order. */
  list(query: DiffScanListQuery): Promise<Page<DiffScan>>
  delete(orgId: string, id: string): Promise<boolean>
}

// ---- whole state and health

export type ImportResult = { ok: true; counts: Record<string, number> } | { ok: false; conflict: string }

export interface StateRepository {
  /** Adds the orgs of `state` (with `replace`, instead of everything there is), all or nothing. */
  importState(state: StateSnapshot, options: { replace: boolean }, now: number): Promise<ImportResult>
  /** Everything, ordered by id, in the shape `importState` takes back. */
  exportState(): Promise<StateSnapshot>
  /**
   * `data`: repos, labels (with associations and settings) go — of one org or all — and token
   * quotas refill; orgs and tokens stay. `everything`: an empty database.
   */
  reset(scope: ResetScope): Promise<boolean>
}

export interface HealthRepository {
  /** The database answers a query, and every committed migration has been applied. */
  check(): Promise<{ database: boolean; migrations: boolean }>
}

/** Every repository over one database; services receive the ones they need. */
export interface Repositories {
  orgs: OrgRepository
  tokens: TokenRepository
  repos: RepoRepository
  labels: LabelRepository
  fullScans: FullScanRepository
  diffScans: DiffScanRepository
  orgSettings: OrgSettingsRepository
  audit: AuditRepository
  state: StateRepository
  health: HealthRepository
}

/** An open database of either engine: its repositories, its migrations, and how to close it. */
export interface Database {
  readonly engine: Engine
  readonly repositories: Repositories
  /** Applies every committed migration not yet applied; safe at every start and from several processes at once. */
  migrate(): Promise<void>
  /** Closes it (after the app's last request); idempotent. */
  close(): Promise<void>
}
