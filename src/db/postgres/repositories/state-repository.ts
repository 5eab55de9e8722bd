import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { IdsExhaustedError, toRowId } from '../../ids.js'
import type {
  IssueRules,
  IssueRulesPolicyDefault,
  LabelState,
  LicensePolicy,
  OrgState,
  ResetScope,
  StateSnapshot,
  TokenState,
} from '../../models.js'
import type { ImportResult, StateRepository } from '../../types.js'
import { type Queryable, row, transaction } from '../client.js'
import { transactionContext } from '../context.js'
import { exhaustedIdTable, sqlState } from '../errors.js'
import { createPgParts, type PgParts } from '../parts.js'

// The PostgreSQL twin of ../../sqlite/repositories/state-repository.ts: the same imports, exports
// and resets, each in one transaction, through the repositories' own inserts and readers (built
// over the transaction's connection), with the same conflicts and messages.

class ImportConflict extends Error {}

/** The tables whose ids fixtures may pin, and whose numbering a reset that empties them starts again. */
type IdTable = 'orgs' | 'tokens' | 'repos' | 'labels' | 'full_scans'
const everyIdTable: IdTable[] = ['orgs', 'tokens', 'repos', 'labels', 'full_scans']
const dataIdTables: IdTable[] = ['repos', 'labels', 'full_scans']

/** Any refusal of a row by a constraint (unique, foreign key, check, not null): SQLite's SQLITE_CONSTRAINT_*. */
function isConstraintViolation(error: unknown): boolean {
  return sqlState(error)?.startsWith('23') ?? false
}

/**
 * Runs one insert of an import, in a savepoint (a refused row leaves the transaction usable, to name
 * the conflict); a refusal (undefined, a constraint, no ids left) is a conflict named by `what`, and
 * `conflict` says what it collided with.
 */
async function attempt<T>(
  q: Queryable,
  insert: () => Promise<T | undefined>,
  what: string,
  conflict: () => Promise<string>,
): Promise<T> {
  await q.query('SAVEPOINT import_step')
  let result: T | undefined
  try {
    result = await insert()
  } catch (error) {
    try {
      await q.query('ROLLBACK TO SAVEPOINT import_step')
    } catch {
      throw error
    }
    if (error instanceof IdsExhaustedError) throw new ImportConflict(`${what}: ${error.message}`)
    const table = exhaustedIdTable(error)
    if (table !== undefined) throw new ImportConflict(`${what}: ${new IdsExhaustedError(table).message}`)
    if (isConstraintViolation(error)) result = undefined
    else throw error
  }
  await q.query('RELEASE SAVEPOINT import_step')
  if (result === undefined) throw new ImportConflict(`${what}: ${await conflict()}`)
  return result
}

const holderSql = {
  token: `SELECT t.name AS name, o.slug AS org FROM tokens t JOIN orgs o ON o.id = t.org_id WHERE t.id = $1`,
  repo: `SELECT t.slug AS name, o.slug AS org FROM repos t JOIN orgs o ON o.id = t.org_id WHERE t.id = $1`,
  label: `SELECT t.name AS name, o.slug AS org FROM labels t JOIN orgs o ON o.id = t.org_id WHERE t.id = $1`,
} as const

const insertPolicySql = `INSERT INTO org_settings (org_id, security_policy_default, security_policy_rules, license_policy,
    updated_at) VALUES ($1, $2, $3, $4, $5)`
const selectPolicySql = `SELECT security_policy_default AS "securityPolicyDefault",
  security_policy_rules AS "securityPolicyRules", license_policy AS "licensePolicy" FROM org_settings WHERE org_id = $1`

/**
 * After pinned ids: every id identity past its table's largest id (forward only), so no later
 * generated id collides with an imported row (SQLite's AUTOINCREMENT never hands out an id below one
 * it has seen). The inserts advance them one by one already; this is the whole import's guarantee.
 */
const advanceIdentitiesSql = `SELECT setval(pg_get_serial_sequence(t.name, 'id'), t.max_id)
  FROM (VALUES ${everyIdTable.map((table) => `('${table}', (SELECT max(id) FROM ${table}))`).join(', ')})
    AS t(name, max_id)
  WHERE t.max_id IS NOT NULL
    AND t.max_id > coalesce(pg_sequence_last_value(pg_get_serial_sequence(t.name, 'id')::regclass), 0)`

/**
 * Locks the tables against every other writer until the transaction ends (reads go on): whether a
 * table is empty, and so whether its numbering may start again, is then the truth at commit.
 */
async function lockTables(q: Queryable, tables: IdTable[]): Promise<void> {
  await q.query(`LOCK TABLE ${tables.join(', ')} IN EXCLUSIVE MODE`)
}

/**
 * Emptied tables number from 1 again (as SQLite's, whose sqlite_sequence row goes), so a fixture
 * without ids seeds the same ids every time. ALTER SEQUENCE … RESTART is transactional: a rolled
 * back import leaves the numbering as it was. Call with the tables locked (`lockTables`).
 */
async function restartEmptied(q: Queryable, tables: IdTable[]): Promise<void> {
  const emptied = await row<{ tables: IdTable[] }>(
    q,
    `SELECT ARRAY(SELECT name FROM (VALUES ${tables
      .map((table) => `('${table}', NOT EXISTS (SELECT 1 FROM ${table}))`)
      .join(', ')}) AS t(name, empty) WHERE empty) AS tables`,
  )
  for (const table of emptied?.tables ?? []) await q.query(`ALTER SEQUENCE ${table}_id_seq RESTART`)
}

/**
 * Whole-state operations for the control plane: import (seed or replace), export and reset. Each
 * runs in one transaction, through the repositories' own inserts and mappers built over that
 * transaction's connection: a fixture is applied whole or not at all, by the same code as the API's creates.
 */
export function createStateRepository(pool: pg.Pool): StateRepository {
  /** Who holds row `rowId` of a kind, e.g. `repo "web-app" of organization "my-org"`. */
  async function holderOf(
    q: Queryable,
    kind: 'org' | 'token' | 'repo' | 'label',
    rowId: number,
  ): Promise<string | undefined> {
    if (kind === 'org') {
      const found = await row<{ slug: string }>(q, 'SELECT slug FROM orgs WHERE id = $1', [rowId])
      return found && `organization "${found.slug}"`
    }
    const found = await row<{ name: string; org: string }>(q, holderSql[kind], [rowId])
    return found && `${kind} "${found.name}" of organization "${found.org}"`
  }

  /** What a refused insert collided with: the fixture's id held by another row, or else its unique key (`taken`). */
  function conflictOf(
    q: Queryable,
    kind: 'org' | 'token' | 'repo' | 'label',
    id: string | undefined,
    taken: () => string | Promise<string>,
  ) {
    return async () => {
      const rowId = id === undefined ? undefined : toRowId(id)
      const holder = rowId === undefined ? undefined : await holderOf(q, kind, rowId)
      return holder ? `id "${id}" is already held by ${holder}` : taken()
    }
  }

  async function insertOrg(q: Queryable, parts: PgParts, state: OrgState, now: number) {
    const counts = { tokens: 0, repos: 0, labels: 0, associations: 0, full_scans: 0, diff_scans: 0 }
    const org = await attempt(
      q,
      () => parts.orgs.insert(state, now),
      `organization "${state.slug}"`,
      conflictOf(q, 'org', state.id, () => 'its slug already exists'),
    )
    for (const token of state.tokens) {
      await attempt(
        q,
        () => parts.tokens.insert({ ...token, orgId: org.id, groupUuid: token.groupUuid ?? randomUUID() }, now),
        `token "${token.name}" of "${org.slug}"`,
        conflictOf(q, 'token', token.id, async () => {
          const holder = await row<{ id: number }>(q, 'SELECT id FROM tokens WHERE token_hash = $1', [token.tokenHash])
          return `its value is already stored, as ${holder ? await holderOf(q, 'token', holder.id) : 'another token'}`
        }),
      )
      counts.tokens++
    }
    if (state.policy) {
      await q.query(insertPolicySql, [
        Number(org.id),
        state.policy.securityPolicyDefault,
        JSON.stringify(state.policy.securityPolicyRules),
        JSON.stringify(state.policy.licensePolicy),
        now,
      ])
    }
    const repoIds = new Map<string, string>()
    for (const repo of state.repos) {
      const created = await attempt(
        q,
        async () => {
          const result = await parts.repos.insert({ ...repo, orgId: org.id }, now)
          return result.created ? result.repo : undefined
        },
        `repo "${repo.slug}" of "${org.slug}"`,
        conflictOf(q, 'repo', repo.id, () => {
          return `it already exists${repo.workspace ? ` in workspace "${repo.workspace}"` : ''}`
        }),
      )
      repoIds.set(`${repo.workspace}\u0000${repo.slug}`, created.id)
      counts.repos++
    }
    for (const label of state.labels) {
      const created = await attempt(
        q,
        async () => {
          const result = await parts.labels.insert({ ...label, orgId: org.id }, now)
          return result.ok ? result.label : undefined
        },
        `label "${label.name}" of "${org.slug}"`,
        conflictOf(q, 'label', label.id, () => 'it already exists'),
      )
      counts.labels++
      for (const target of label.repositories) {
        const repoId = repoIds.get(`${target.workspace}\u0000${target.slug}`)
        if (repoId === undefined) {
          throw new ImportConflict(
            `label "${label.name}" names repo "${target.slug}", which "${org.slug}" does not have`,
          )
        }
        await parts.labels.associate(org.id, created.id, repoId, now)
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
      const scanId = await attempt(
        q,
        () => parts.fullScans.insert(scan, org.id, repoId, now),
        `full scan ${scan.id ?? ''} of "${org.slug}"`,
        async () => 'it (or its id) already exists',
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
      await attempt(
        q,
        () => parts.diffScans.insert(diffScan, org.id, { before, after }, now),
        what,
        async () => 'its full scans are of different repos, or it (its id, or its pair of scans) already exists',
      )
      counts.diff_scans++
    }
    return counts
  }

  return {
    /** Adds the orgs of `state` (with `replace`, instead of everything there is), all or nothing. */
    async importState(state: StateSnapshot, options: { replace: boolean }, now: number): Promise<ImportResult> {
      try {
        return await transaction(pool, async (client) => {
          const ctx = transactionContext(client)
          const parts = createPgParts(ctx)
          const q = ctx.q
          await ctx.versions.bumpAll(q)
          if (options.replace) {
            await lockTables(q, everyIdTable)
            await q.query('DELETE FROM orgs')
            await restartEmptied(q, everyIdTable)
          }
          const counts = { orgs: 0, tokens: 0, repos: 0, labels: 0, associations: 0, full_scans: 0, diff_scans: 0 }
          for (const org of state.orgs) {
            const added = await insertOrg(q, parts, org, now)
            counts.orgs++
            counts.tokens += added.tokens
            counts.repos += added.repos
            counts.labels += added.labels
            counts.associations += added.associations
            counts.full_scans += added.full_scans
            counts.diff_scans += added.diff_scans
          }
          await q.query(advanceIdentitiesSql)
          return { ok: true, counts } as const
        })
      } catch (error) {
        if (error instanceof ImportConflict) return { ok: false, conflict: error.message }
        throw error
      }
    },

    /** Everything, ordered by id, in the shape `importState` takes back: one consistent snapshot. */
    async exportState(): Promise<StateSnapshot> {
      return transaction(pool, async (client) => {
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
        const ctx = transactionContext(client)
        const parts = createPgParts(ctx)
        const orgs: OrgState[] = []
        for (const org of await parts.orgs.all()) {
          const repos = await parts.repos.allOfOrg(org.id)
          const repoById = new Map(repos.map((repo) => [repo.id, repo]))
          const policy = await row<{
            securityPolicyDefault: IssueRulesPolicyDefault
            securityPolicyRules: string
            licensePolicy: string
          }>(ctx.q, selectPolicySql, [Number(org.id)])
          const tokens = await parts.tokens.allOfOrg(org.id)
          const labels = await parts.labels.allOfOrg(org.id)
          const fullScans = await parts.fullScans.allOfOrg(org.id)
          const diffScans = await parts.diffScans.allOfOrg(org.id)
          orgs.push({
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
            tokens: tokens.map(
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
            labels: labels.map(
              (label): LabelState => ({
                ...label,
                repositories: label.repositoryIds.flatMap((id) => {
                  const repo = repoById.get(id)
                  return repo ? [{ workspace: repo.workspace, slug: repo.slug }] : []
                }),
              }),
            ),
            fullScans,
            diffScans: diffScans.map(({ orgId: _org, repoId: _repo, ...diffScan }) => diffScan),
          })
        }
        return { orgs }
      })
    },

    /**
     * `data`: repos, labels (with associations and settings) go — of one org or all — and token
     * quotas refill; orgs and tokens stay. `everything`: an empty database.
     */
    async reset(scope: ResetScope): Promise<boolean> {
      return transaction(pool, async (client) => {
        const ctx = transactionContext(client)
        const q = ctx.q
        // First: concurrent resets and imports queue here, before they lock any table.
        await ctx.versions.bumpAll(q)
        if (scope.kind === 'everything') {
          await lockTables(q, everyIdTable)
          await q.query('DELETE FROM orgs')
          await restartEmptied(q, everyIdTable)
          return true
        }
        const orgId = scope.orgId === undefined ? undefined : toRowId(scope.orgId)
        if (scope.orgId !== undefined && orgId === undefined) return false
        await lockTables(q, dataIdTables)
        if (orgId === undefined) {
          await q.query('DELETE FROM repos')
          await q.query('DELETE FROM labels')
          await q.query('DELETE FROM org_settings')
          await q.query('DELETE FROM audit_events')
          await q.query('UPDATE tokens SET quota_used = 0, window_started_at = 0')
        } else {
          await q.query('DELETE FROM repos WHERE org_id = $1', [orgId])
          await q.query('DELETE FROM labels WHERE org_id = $1', [orgId])
          await q.query('DELETE FROM org_settings WHERE org_id = $1', [orgId])
          await q.query('DELETE FROM audit_events WHERE org_id = $1', [orgId])
          await q.query('UPDATE tokens SET quota_used = 0, window_started_at = 0 WHERE org_id = $1', [orgId])
        }
        await restartEmptied(q, dataIdTables)
        return true
      })
    },
  }
}
