/**
 * The rows both engines select — columns aliased to the camelCase names below — and their mapping
 * to the models. Where the engines differ in a column's raw type the row type is the union, and the
 * mapper normalises it: SQLite gives booleans as 0/1, PostgreSQL as booleans. JSON columns are text
 * on both. Ids are integers here and strings in the models (a diff scan's id is a UUID on both).
 */

import type { Cursor } from './list-cursor-cache.js'
import type {
  Artifact,
  AuditEvent,
  Committer,
  DiffScan,
  FullScan,
  IntegrationMeta,
  IssueRules,
  Label,
  LabelSettingKey,
  LabelSettings,
  Org,
  Repo,
  RepoSortKey,
  Token,
} from './models.js'

/** A boolean column as either engine reads it. */
type BooleanColumn = boolean | number

const isTrue = (value: BooleanColumn): boolean => value === true || value === 1

export type OrgRow = Omit<Org, 'id'> & { id: number }

export function toOrg(row: OrgRow): Org {
  return {
    id: String(row.id),
    slug: row.slug,
    name: row.name,
    image: row.image,
    plan: row.plan,
    createdAt: row.createdAt,
  }
}

/** A token with its org's slug; `scopes` space-separated, `committers` JSON. */
export type TokenRow = Omit<Token, 'id' | 'orgId' | 'scopes' | 'committers'> & {
  id: number
  orgId: number
  scopes: string
  committers: string
}

export function toToken(row: TokenRow): Token {
  return {
    ...row,
    id: String(row.id),
    orgId: String(row.orgId),
    scopes: row.scopes.split(' ').filter(Boolean),
    committers: JSON.parse(row.committers) as Committer[],
  }
}

/** A repo; `integrationMeta` JSON. */
export type RepoRow = Omit<Repo, 'id' | 'orgId' | 'archived' | 'integrationMeta'> & {
  id: number
  orgId: number
  archived: BooleanColumn
  integrationMeta: string | null
}

/** Where a repo stands in a list of the given sort: its sort value and id (list-cursor-cache.ts). */
export function repoCursorOf(row: RepoRow, sort: RepoSortKey): Cursor {
  const value = sort === 'name' ? row.name : sort === 'updated_at' ? row.updatedAt : row.createdAt
  return { value, id: row.id }
}

export function toRepo(row: RepoRow): Repo {
  return {
    id: String(row.id),
    orgId: String(row.orgId),
    workspace: row.workspace,
    slug: row.slug,
    name: row.name,
    description: row.description,
    homepage: row.homepage,
    visibility: row.visibility,
    archived: isTrue(row.archived),
    defaultBranch: row.defaultBranch,
    headFullScanId: row.headFullScanId,
    integrationMeta: row.integrationMeta === null ? null : (JSON.parse(row.integrationMeta) as IntegrationMeta),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

/** A label with its settings as columns; `issueRules` and `licensePolicy` JSON. */
export type LabelRow = Omit<Label, 'id' | 'orgId' | 'repositoryIds' | 'settings'> & {
  id: number
  orgId: number
  issueRules: string | null
  issueRulesPolicyDefault: LabelSettings['issueRulesPolicyDefault']
  licensePolicy: string | null
  recentlyPublishedThresholdMs: number | null
}

/**
 * A label row with the ids of its repos, ascending: SQLite's `group_concat` (comma-separated text,
 * null for none) or PostgreSQL's text[].
 */
export type LabelRowWithIds = LabelRow & { repositoryIds: string | string[] | null }

export function toLabelSettings(row: LabelRow): LabelSettings {
  return {
    issueRules: row.issueRules === null ? null : (JSON.parse(row.issueRules) as IssueRules),
    issueRulesPolicyDefault: row.issueRulesPolicyDefault,
    licensePolicy: row.licensePolicy === null ? null : (JSON.parse(row.licensePolicy) as Record<string, unknown>),
    recentlyPublishedThresholdMs: row.recentlyPublishedThresholdMs,
  }
}

/** A setting as stored: JSON text for the object-valued keys. */
export function labelSettingValue(key: LabelSettingKey, value: unknown): unknown {
  if (key === 'issueRules' || key === 'licensePolicy') return value === null ? null : JSON.stringify(value)
  return value
}

export function toLabel(row: LabelRow, repositoryIds: string[]): Label {
  return {
    id: String(row.id),
    orgId: String(row.orgId),
    name: row.name,
    repositoryIds,
    settings: toLabelSettings(row),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

export function toLabelWithIds(row: LabelRowWithIds): Label {
  const ids = row.repositoryIds
  return toLabel(row, Array.isArray(ids) ? ids : ids === null ? [] : ids.split(','))
}

/** An audit event; `payload` JSON. */
export interface AuditEventRow {
  id: number
  orgId: number
  type: string
  actorTokenId: number | null
  actorName: string | null
  payload: string
  createdAt: number
}

export function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: String(row.id),
    orgId: String(row.orgId),
    type: row.type,
    actor: row.actorTokenId === null ? null : { tokenId: String(row.actorTokenId), name: row.actorName ?? '' },
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    createdAt: row.createdAt,
  }
}

/** A full scan with its repo's slug and workspace; `committers` and `artifacts` JSON. */
export type FullScanRow = Omit<FullScan, 'id' | 'orgId' | 'repoId' | 'committers' | 'tmp' | 'artifacts'> & {
  id: number
  orgId: number
  repoId: number
  committers: string
  tmp: BooleanColumn
  artifacts: string
}

export function toFullScan(row: FullScanRow): FullScan {
  return {
    id: String(row.id),
    orgId: String(row.orgId),
    repoId: String(row.repoId),
    repoSlug: row.repoSlug,
    workspace: row.workspace,
    branch: row.branch,
    commitMessage: row.commitMessage,
    commitHash: row.commitHash,
    pullRequest: row.pullRequest,
    committers: JSON.parse(row.committers) as string[],
    integrationType: row.integrationType,
    integrationOrgSlug: row.integrationOrgSlug,
    scanType: row.scanType,
    tmp: isTrue(row.tmp),
    artifacts: JSON.parse(row.artifacts) as Artifact[],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

/** A diff scan (its id a UUID, as stored). */
export type DiffScanRow = Omit<DiffScan, 'orgId' | 'repoId' | 'beforeScanId' | 'afterScanId' | 'merge'> & {
  orgId: number
  repoId: number
  beforeScanId: number
  afterScanId: number
  merge: BooleanColumn
}

export function toDiffScan(row: DiffScanRow): DiffScan {
  return {
    id: row.id,
    orgId: String(row.orgId),
    repoId: String(row.repoId),
    beforeScanId: String(row.beforeScanId),
    afterScanId: String(row.afterScanId),
    description: row.description,
    externalHref: row.externalHref,
    merge: isTrue(row.merge),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}
