import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { IdsExhaustedError, toRowId } from '../../ids.js'
import type {
  IssueRules,
  LabelState,
  LicensePolicy,
  OrgState,
  ResetScope,
  StateSnapshot,
  TokenState,
} from '../../models.js'
import type { ImportResult } from '../../types.js'
import type { Db } from '../client.js'
import type { DataVersions } from '../data-versions.js'
import { auditEvents, labels, orgSettings, orgs, repos, tokens } from '../schema.js'
import type { SqliteDiffScanRepository } from './diff-scan-repository.js'
import type { SqliteFullScanRepository } from './full-scan-repository.js'
import type { SqliteLabelRepository } from './label-repository.js'
import type { SqliteOrgRepository } from './org-repository.js'
import type { SqliteRepoRepository } from './repo-repository.js'
import type { SqliteTokenRepository } from './token-repository.js'

class ImportConflict extends Error {}

function isConstraintViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'code' in error && String(error.code).startsWith('SQLITE_CONSTRAINT')
  )
}

/**
 * Runs one insert of an import; a refusal (undefined, a constraint, no ids left) is a conflict named by `what`,
 * and `conflict` says what it collided with.
 */
function attempt<T>(insert: () => T | undefined, what: string, conflict: () => string): T {
  let result: T | undefined
  try {
    result = insert()
  } catch (error) {
    if (error instanceof IdsExhaustedError) throw new ImportConflict(`${what}: ${error.message}`)
    if (isConstraintViolation(error)) result = undefined
    else throw error
  }
  if (result === undefined) throw new ImportConflict(`${what}: ${conflict()}`)
  return result
}

/** The repositories whose own inserts and readers the whole-state operations run, in one transaction. */
export interface StateParts {
  orgs: SqliteOrgRepository
  tokens: SqliteTokenRepository
  repos: SqliteRepoRepository
  labels: SqliteLabelRepository
  fullScans: SqliteFullScanRepository
  diffScans: SqliteDiffScanRepository
}

/**
 * Whole-state operations for the control plane: import (seed or replace), export and reset. Each
 * runs in one transaction, through the repositories' own inserts and mappers: a fixture is applied
 * whole or not at all, by the same code as the API's creates.
 */
export function createStateRepository(db: Db, parts: StateParts, versions?: DataVersions) {
  /** Who holds row `rowId` of a kind, e.g. `repo "web-app" of organization "my-org"`. */
  function holderOf(kind: 'org' | 'token' | 'repo' | 'label', rowId: number): string | undefined {
    if (kind === 'org') {
      const row = db.select({ slug: orgs.slug }).from(orgs).where(eq(orgs.id, rowId)).get()
      return row && `organization "${row.slug}"`
    }
    const table = kind === 'token' ? tokens : kind === 'repo' ? repos : labels
    const name = kind === 'token' ? tokens.name : kind === 'repo' ? repos.slug : labels.name
    const row = db
      .select({ name, org: orgs.slug })
      .from(table)
      .innerJoin(orgs, eq(orgs.id, table.orgId))
      .where(eq(table.id, rowId))
      .get()
    return row && `${kind} "${row.name}" of organization "${row.org}"`
  }

  /** What a refused insert collided with: the fixture's id held by another row, or else its unique key (`taken`). */
  function conflictOf(kind: 'org' | 'token' | 'repo' | 'label', id: string | undefined, taken: () => string) {
    return () => {
      const rowId = id === undefined ? undefined : toRowId(id)
      const holder = rowId === undefined ? undefined : holderOf(kind, rowId)
      return holder ? `id "${id}" is already held by ${holder}` : taken()
    }
  }

  function insertOrg(state: OrgState, now: number) {
    const counts = { tokens: 0, repos: 0, labels: 0, associations: 0, full_scans: 0, diff_scans: 0 }
    const org = attempt(
      () => parts.orgs.insert(state, now),
      `organization "${state.slug}"`,
      conflictOf('org', state.id, () => 'its slug already exists'),
    )
    for (const token of state.tokens) {
      attempt(
        () => parts.tokens.insert({ ...token, orgId: org.id, groupUuid: token.groupUuid ?? randomUUID() }, now),
        `token "${token.name}" of "${org.slug}"`,
        conflictOf('token', token.id, () => {
          const holder = db.select({ id: tokens.id }).from(tokens).where(eq(tokens.tokenHash, token.tokenHash)).get()
          return `its value is already stored, as ${holder ? holderOf('token', holder.id) : 'another token'}`
        }),
      )
      counts.tokens++
    }
    if (state.policy) {
      db.insert(orgSettings)
        .values({
          orgId: Number(org.id),
          securityPolicyDefault: state.policy.securityPolicyDefault,
          securityPolicyRules: JSON.stringify(state.policy.securityPolicyRules),
          licensePolicy: JSON.stringify(state.policy.licensePolicy),
          updatedAt: now,
        })
        .run()
    }
    const repoIds = new Map<string, string>()
    for (const repo of state.repos) {
      const created = attempt(
        () => {
          const result = parts.repos.insert({ ...repo, orgId: org.id }, now)
          return result.created ? result.repo : undefined
        },
        `repo "${repo.slug}" of "${org.slug}"`,
        conflictOf('repo', repo.id, () => {
          return `it already exists${repo.workspace ? ` in workspace "${repo.workspace}"` : ''}`
        }),
      )
      repoIds.set(`${repo.workspace}\u0000${repo.slug}`, created.id)
      counts.repos++
    }
    for (const label of state.labels) {
      const created = attempt(
        () => {
          const result = parts.labels.insert({ ...label, orgId: org.id }, now)
          return result.ok ? result.label : undefined
        },
        `label "${label.name}" of "${org.slug}"`,
        conflictOf('label', label.id, () => 'it already exists'),
      )
      counts.labels++
      for (const target of label.repositories) {
        const repoId = repoIds.get(`${target.workspace}\u0000${target.slug}`)
        if (repoId === undefined) {
          throw new ImportConflict(
            `label "${label.name}" names repo "${target.slug}", which "${org.slug}" does not have`,
          )
        }
        parts.labels.associateSync(org.id, created.id, repoId, now)
        counts.associations++
      }
    }
    // A fixture's scan ids (as diff scans name them) → the ids they were stored under.
    const scanIds = new Map<string, string>()
    for (const scan of state.fullScans) {
      const { slug, workspace } = scan.repository
      const repoId = repoIds.get(`${workspace}\u0000${slug}`)
      if (repoId === undefined) {
        throw new ImportConflict(`a full scan names repo "${slug}", which "${org.slug}" does not have`)
      }
      const scanId = attempt(
        () => parts.fullScans.insert(scan, org.id, repoId, now),
        `full scan ${scan.id ?? ''} of "${org.slug}"`,
        () => 'it (or its id) already exists',
      )
      if (scan.id !== undefined) scanIds.set(scan.id, scanId)
      counts.full_scans++
    }
    for (const diffScan of state.diffScans) {
      const what = `diff scan ${diffScan.id ?? ''} of "${org.slug}"`
      const before = scanIds.get(diffScan.beforeScanId)
      const after = scanIds.get(diffScan.afterScanId)
      if (before === undefined || after === undefined) {
        const missing = before === undefined ? diffScan.beforeScanId : diffScan.afterScanId
        throw new ImportConflict(`${what} names full scan "${missing}", which "${org.slug}" does not have`)
      }
      attempt(
        () => parts.diffScans.insert(diffScan, org.id, { before, after }, now),
        what,
        () => 'its full scans are of different repos, or it (its id, or its pair of scans) already exists',
      )
      counts.diff_scans++
    }
    return counts
  }

  function resetSequences(tx: Parameters<Parameters<Db['transaction']>[0]>[0], tables: string[]) {
    // Emptied tables number from 1 again, so a fixture without ids seeds the same ids every time.
    for (const table of tables) {
      const left = tx.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`)
      if (left?.n === 0) tx.run(sql`DELETE FROM sqlite_sequence WHERE name = ${table}`)
    }
  }

  return {
    /** Adds the orgs of `state` (with `replace`, instead of everything there is), all or nothing. */
    async importState(state: StateSnapshot, options: { replace: boolean }, now: number): Promise<ImportResult> {
      versions?.bumpAll()
      try {
        return db.transaction(
          (tx) => {
            if (options.replace) {
              tx.delete(orgs).run()
              resetSequences(tx, ['orgs', 'tokens', 'repos', 'labels', 'full_scans'])
            }
            const counts = { orgs: 0, tokens: 0, repos: 0, labels: 0, associations: 0, full_scans: 0, diff_scans: 0 }
            for (const org of state.orgs) {
              const added = insertOrg(org, now)
              counts.orgs++
              counts.tokens += added.tokens
              counts.repos += added.repos
              counts.labels += added.labels
              counts.associations += added.associations
              counts.full_scans += added.full_scans
              counts.diff_scans += added.diff_scans
            }
            return { ok: true, counts } as const
          },
          { behavior: 'immediate' },
        )
      } catch (error) {
        if (error instanceof ImportConflict) return { ok: false, conflict: error.message }
        throw error
      }
    },

    /** Everything, ordered by id, in the shape `importState` takes back. */
    async exportState(): Promise<StateSnapshot> {
      return db.transaction(() => ({
        orgs: parts.orgs.all().map((org): OrgState => {
          const repos = parts.repos.allOfOrg(org.id)
          const repoById = new Map(repos.map((repo) => [repo.id, repo]))
          const policy = db
            .select()
            .from(orgSettings)
            .where(eq(orgSettings.orgId, Number(org.id)))
            .get()
          return {
            ...org,
            ...(policy
              ? {
                  policy: {
                    securityPolicyDefault: policy.securityPolicyDefault,
                    securityPolicyRules: JSON.parse(policy.securityPolicyRules) as IssueRules,
                    licensePolicy: JSON.parse(policy.licensePolicy) as LicensePolicy,
                  },
                }
              : {}),
            tokens: parts.tokens.allOfOrg(org.id).map(
              (t): TokenState => ({
                id: t.id,
                name: t.name,
                tokenHash: t.tokenHash,
                tokenPrefix: t.tokenPrefix,
                scopes: t.scopes,
                maxQuota: t.maxQuota,
                createdAt: t.createdAt,
                revokedAt: t.revokedAt,
                groupUuid: t.groupUuid,
                visibility: t.visibility,
                committers: t.committers,
              }),
            ),
            repos,
            labels: parts.labels.allOfOrg(org.id).map(
              (label): LabelState => ({
                ...label,
                repositories: label.repositoryIds.flatMap((id) => {
                  const repo = repoById.get(id)
                  return repo ? [{ workspace: repo.workspace, slug: repo.slug }] : []
                }),
              }),
            ),
            fullScans: parts.fullScans.allOfOrg(org.id),
            diffScans: parts.diffScans.allOfOrg(org.id).map(({ orgId: _org, repoId: _repo, ...diffScan }) => diffScan),
          }
        }),
      }))
    },

    /**
     * `data`: repos, labels (with associations and settings) go — of one org or all — and token
     * quotas refill; orgs and tokens stay. `everything`: an empty database.
     */
    async reset(scope: ResetScope): Promise<boolean> {
      versions?.bumpAll()
      return db.transaction(
        (tx) => {
          if (scope.kind === 'everything') {
            tx.delete(orgs).run()
            resetSequences(tx, ['orgs', 'tokens', 'repos', 'labels', 'full_scans'])
            return true
          }
          const orgId = scope.orgId === undefined ? undefined : toRowId(scope.orgId)
          if (scope.orgId !== undefined && orgId === undefined) return false
          if (orgId === undefined) {
            tx.delete(repos).run()
            tx.delete(labels).run()
            tx.delete(orgSettings).run()
            tx.delete(auditEvents).run()
            tx.update(tokens).set({ quotaUsed: 0, windowStartedAt: 0 }).run()
          } else {
            tx.delete(repos).where(eq(repos.orgId, orgId)).run()
            tx.delete(labels).where(eq(labels.orgId, orgId)).run()
            tx.delete(orgSettings).where(eq(orgSettings.orgId, orgId)).run()
            tx.delete(auditEvents).where(eq(auditEvents.orgId, orgId)).run()
            tx.update(tokens)
              .set({ quotaUsed: 0, windowStartedAt: 0 })
              .where(and(eq(tokens.orgId, orgId)))
              .run()
          }
          resetSequences(tx, ['repos', 'labels', 'full_scans'])
          return true
        },
        { behavior: 'immediate' },
      )
    },
  }
}
