import { randomUUID } from 'node:crypto'
import { toRowId } from '../../ids.js'
import type { DiffScan, DiffScanState, Page } from '../../models.js'
import { type DiffScanRow, toDiffScan } from '../../rows.js'
import type { CreateDiffScanResult, DiffScanListQuery, DiffScanRepository, NewDiffScan } from '../../types.js'
import { type Queryable, row, rows } from '../client.js'
import type { PgContext } from '../context.js'

// The PostgreSQL twin of ../../sqlite/repositories/diff-scan-repository.ts. SQLite's rowid (the
// insertion order that breaks ties of equal times) is the `seq` identity column here.

const columns = `id, org_id AS "orgId", repo_id AS "repoId", before_scan_id AS "beforeScanId",
  after_scan_id AS "afterScanId", description, external_href AS "externalHref", merge,
  created_at AS "createdAt", updated_at AS "updatedAt"`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The org's scans among the given ids with their repos, locked against deletion (FOR KEY SHARE,
 * as the foreign keys of the insert that follows would) until the transaction ends.
 */
const selectScanReposSql = `SELECT id, repo_id AS "repoId" FROM full_scans
  WHERE org_id = $1 AND id = ANY($2::bigint[]) FOR KEY SHARE`

/** Inserts the diff scan unless its pair of scans has one already (the pair's unique index decides). */
const insertSql = `INSERT INTO diff_scans (id, org_id, repo_id, before_scan_id, after_scan_id, description, external_href,
    merge, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT (before_scan_id, after_scan_id) DO NOTHING
  RETURNING ${columns}`

/** The state insert: any conflict (its id, its pair) is an error, a refused fixture. */
const insertStrictSql = `INSERT INTO diff_scans (id, org_id, repo_id, before_scan_id, after_scan_id, description,
    external_href, merge, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  RETURNING ${columns}`

const selectPairSql = `SELECT ${columns} FROM diff_scans WHERE before_scan_id = $1 AND after_scan_id = $2`
const selectByIdSql = `SELECT ${columns} FROM diff_scans WHERE org_id = $1 AND id = $2`
const selectOfOrgSql = `SELECT ${columns} FROM diff_scans WHERE org_id = $1 ORDER BY created_at, seq`
const deleteByIdSql = 'DELETE FROM diff_scans WHERE org_id = $1 AND id = $2'

/** Diff scans: which two full scans of a repo they compare, and what they were created with. */
export function createDiffScanRepository(ctx: PgContext): DiffScanRepository & {
  insert(
    state: DiffScanState,
    orgId: string,
    scanIds: { before: string; after: string },
    now: number,
  ): Promise<DiffScan | undefined>
  allOfOrg(orgId: string): Promise<DiffScan[]>
} {
  /** The repo of each of the org's scans (by rowid) among `ids`; locks them against deletion. */
  async function reposOf(q: Queryable, orgId: number, ids: number[]): Promise<Map<number, number>> {
    const found = await rows<{ id: number; repoId: number }>(
      q,
      selectScanReposSql,
      [orgId, ids],
      'diff_scans_scan_repos',
    )
    return new Map(found.map((scan) => [scan.id, scan.repoId]))
  }

  function valuesOf(input: NewDiffScan, repoId: number, id: string, createdAt: number, updatedAt: number): unknown[] {
    return [
      id,
      Number(input.orgId),
      repoId,
      Number(input.beforeScanId),
      Number(input.afterScanId),
      input.description,
      input.externalHref,
      input.merge,
      createdAt,
      updatedAt,
    ]
  }

  function listWhere(query: DiffScanListQuery): { sql: string; values: unknown[] } | undefined {
    const where = ['org_id = $1']
    const values: unknown[] = [Number(query.orgId)]
    const filters: [keyof DiffScanListQuery, string][] = [
      ['repoId', 'repo_id'],
      ['beforeScanId', 'before_scan_id'],
      ['afterScanId', 'after_scan_id'],
    ]
    for (const [key, column] of filters) {
      const value = query[key]
      if (value === undefined) continue
      // Ids are integers here: any other value matches nothing.
      const rowId = toRowId(String(value))
      if (rowId === undefined) return undefined
      values.push(rowId)
      where.push(`${column} = $${values.length}`)
    }
    return { sql: where.join(' AND '), values }
  }

  return {
    /** Compares two scans of the org's: refused unless both exist and share a repo; a pair compared before is a duplicate. */
    async create(input: NewDiffScan, now: number): Promise<CreateDiffScanResult> {
      const orgId = Number(input.orgId)
      const ids = [input.beforeScanId, input.afterScanId].map((id) => toRowId(id))
      const valid = ids.filter((id): id is number => id !== undefined)
      return ctx.tx(async (q): Promise<CreateDiffScanResult> => {
        const repoOf = valid.length > 0 ? await reposOf(q, orgId, valid) : new Map<number, number>()
        const repos: number[] = []
        for (const [index, scanId] of [input.beforeScanId, input.afterScanId].entries()) {
          const rowId = ids[index]
          const repoId = rowId === undefined ? undefined : repoOf.get(rowId)
          if (repoId === undefined) return { outcome: 'missing', scanId }
          repos.push(repoId)
        }
        const [beforeRepo, afterRepo] = repos
        if (beforeRepo === undefined || beforeRepo !== afterRepo) return { outcome: 'different-repos' }
        for (;;) {
          const created = await row<DiffScanRow>(
            q,
            insertSql,
            valuesOf(input, beforeRepo, randomUUID(), now, now),
            'diff_scans_insert',
          )
          if (created) return { outcome: 'created', diffScan: toDiffScan(created) }
          const existing = await row<DiffScanRow>(
            q,
            selectPairSql,
            [Number(input.beforeScanId), Number(input.afterScanId)],
            'diff_scans_select_pair',
          )
          // Gone again (deleted by another process since the insert saw it): insert once more.
          if (existing) return { outcome: 'duplicate', diffScan: toDiffScan(existing) }
        }
      })
    },

    async findById(orgId: string, id: string): Promise<DiffScan | undefined> {
      if (!UUID.test(id)) return undefined
      // Stored in lower case; a UUID is the same in either case.
      const found = await row<DiffScanRow>(ctx.q, selectByIdSql, [Number(orgId), id.toLowerCase()], 'diff_scans_by_id')
      return found ? toDiffScan(found) : undefined
    },

    /** A page of the org's diff scans, in (sort, creation) order: ids are random, `seq` counts up. */
    async list(query: DiffScanListQuery): Promise<Page<DiffScan>> {
      const where = listWhere(query)
      if (!where) return { items: [], hasMore: false }
      const column = query.sort === 'updated_at' ? 'updated_at' : 'created_at'
      const direction = query.direction === 'asc' ? 'ASC' : 'DESC'
      const values = [...where.values, query.limit + 1, Math.min(query.offset, Number.MAX_SAFE_INTEGER)]
      const found = await rows<DiffScanRow>(
        ctx.q,
        `SELECT ${columns} FROM diff_scans WHERE ${where.sql}
         ORDER BY ${column} ${direction}, seq ${direction} LIMIT $${values.length - 1} OFFSET $${values.length}`,
        values,
      )
      return { items: found.slice(0, query.limit).map(toDiffScan), hasMore: found.length > query.limit }
    },

    async delete(orgId: string, id: string): Promise<boolean> {
      if (!UUID.test(id)) return false
      const result = await ctx.q.query({
        name: 'diff_scans_delete',
        text: deleteByIdSql,
        values: [Number(orgId), id.toLowerCase()],
      })
      return (result.rowCount ?? 0) > 0
    },

    /**
     * A fixture's diff scan, between two scans already inserted (by their new ids), in the context's
     * transaction. Undefined when the scans are not of one repo.
     */
    async insert(state: DiffScanState, orgId: string, scanIds: { before: string; after: string }, now: number) {
      const org = Number(orgId)
      const before = Number(scanIds.before)
      const after = Number(scanIds.after)
      return ctx.tx(async (q) => {
        const repoOf = await reposOf(q, org, [before, after])
        const beforeRepo = repoOf.get(before)
        const afterRepo = repoOf.get(after)
        if (beforeRepo === undefined || afterRepo === undefined || beforeRepo !== afterRepo) return undefined
        const createdAt = state.createdAt ?? now
        const input = { ...state, orgId, beforeScanId: scanIds.before, afterScanId: scanIds.after }
        const values = valuesOf(
          input,
          beforeRepo,
          (state.id ?? randomUUID()).toLowerCase(),
          createdAt,
          state.updatedAt ?? createdAt,
        )
        const created = await row<DiffScanRow>(q, insertStrictSql, values, 'diff_scans_insert_strict')
        if (!created) throw new Error('insert of a diff scan returned nothing')
        return toDiffScan(created)
      })
    },

    /** The org's diff scans, oldest first. */
    async allOfOrg(orgId: string): Promise<DiffScan[]> {
      return (await rows<DiffScanRow>(ctx.q, selectOfOrgSql, [Number(orgId)], 'diff_scans_all_of_org')).map(toDiffScan)
    },
  }
}
