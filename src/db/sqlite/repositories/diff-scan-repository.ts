import { randomUUID } from 'node:crypto'
import { toRowId } from '../../ids.js'
import type { DiffScan, DiffScanState, Page } from '../../models.js'
import { type DiffScanRow, toDiffScan } from '../../rows.js'
import type { CreateDiffScanResult, DiffScanListQuery, NewDiffScan } from '../../types.js'
import type { Db } from '../client.js'

const columns = `id, org_id AS orgId, repo_id AS repoId, before_scan_id AS beforeScanId,
  after_scan_id AS afterScanId, description, external_href AS externalHref, merge,
  created_at AS createdAt, updated_at AS updatedAt`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Diff scans: which two full scans of a repo they compare, and what they were created with. */
export function createDiffScanRepository(db: Db) {
  const sqlite = db.$client
  const selectScanRepo = sqlite.prepare<{ orgId: number; id: number }, { repoId: number }>(
    'SELECT repo_id AS repoId FROM full_scans WHERE org_id = @orgId AND id = @id',
  )
  const selectPair = sqlite.prepare<{ before: number; after: number }, DiffScanRow>(
    `SELECT ${columns} FROM diff_scans WHERE before_scan_id = @before AND after_scan_id = @after`,
  )
  const insertRow = sqlite.prepare<Record<string, string | number | null>, DiffScanRow>(
    `INSERT INTO diff_scans (id, org_id, repo_id, before_scan_id, after_scan_id, description, external_href, merge,
       created_at, updated_at)
     VALUES (@id, @orgId, @repoId, @beforeScanId, @afterScanId, @description, @externalHref, @merge, @createdAt,
       @updatedAt)
     RETURNING ${columns}`,
  )
  const selectById = sqlite.prepare<{ orgId: number; id: string }, DiffScanRow>(
    `SELECT ${columns} FROM diff_scans WHERE org_id = @orgId AND id = @id`,
  )
  const selectOfOrg = sqlite.prepare<{ orgId: number }, DiffScanRow>(
    `SELECT ${columns} FROM diff_scans WHERE org_id = @orgId ORDER BY created_at, rowid`,
  )
  const deleteById = sqlite.prepare<{ orgId: number; id: string }>(
    'DELETE FROM diff_scans WHERE org_id = @orgId AND id = @id',
  )

  function insert(input: NewDiffScan, repoId: number, id: string, createdAt: number, updatedAt: number): DiffScan {
    const row = insertRow.get({
      id,
      orgId: Number(input.orgId),
      repoId,
      beforeScanId: Number(input.beforeScanId),
      afterScanId: Number(input.afterScanId),
      description: input.description,
      externalHref: input.externalHref,
      merge: input.merge ? 1 : 0,
      createdAt,
      updatedAt,
    })
    if (!row) throw new Error('insert of a diff scan returned nothing')
    return toDiffScan(row)
  }

  const create = sqlite.transaction((input: NewDiffScan, now: number): CreateDiffScanResult => {
    const orgId = Number(input.orgId)
    const repos: number[] = []
    for (const scanId of [input.beforeScanId, input.afterScanId]) {
      const rowId = toRowId(scanId)
      const scan = rowId === undefined ? undefined : selectScanRepo.get({ orgId, id: rowId })
      if (!scan) return { outcome: 'missing', scanId }
      repos.push(scan.repoId)
    }
    const [beforeRepo, afterRepo] = repos
    if (beforeRepo === undefined || beforeRepo !== afterRepo) return { outcome: 'different-repos' }
    const existing = selectPair.get({ before: Number(input.beforeScanId), after: Number(input.afterScanId) })
    if (existing) return { outcome: 'duplicate', diffScan: toDiffScan(existing) }
    return { outcome: 'created', diffScan: insert(input, beforeRepo, randomUUID(), now, now) }
  })

  function listWhere(query: DiffScanListQuery): { sql: string; params: Record<string, string | number> } | undefined {
    const where = ['org_id = @orgId']
    const params: Record<string, string | number> = { orgId: Number(query.orgId) }
    const filters: [keyof DiffScanListQuery, string][] = [
      ['repoId', 'repo_id = @repoId'],
      ['beforeScanId', 'before_scan_id = @beforeScanId'],
      ['afterScanId', 'after_scan_id = @afterScanId'],
    ]
    for (const [key, condition] of filters) {
      const value = query[key]
      if (value === undefined) continue
      // Ids are integers here: any other value matches nothing.
      const rowId = toRowId(String(value))
      if (rowId === undefined) return undefined
      where.push(condition)
      params[key] = rowId
    }
    return { sql: where.join(' AND '), params }
  }

  return {
    /** Compares two scans of the org's: refused unless both exist and share a repo; a pair compared before is a duplicate. */
    async create(input: NewDiffScan, now: number): Promise<CreateDiffScanResult> {
      return create.immediate(input, now)
    },

    async findById(orgId: string, id: string): Promise<DiffScan | undefined> {
      if (!UUID.test(id)) return undefined
      // Stored in lower case; a UUID is the same in either case.
      const row = selectById.get({ orgId: Number(orgId), id: id.toLowerCase() })
      return row ? toDiffScan(row) : undefined
    },

    /** A page of the org's diff scans, in (sort, creation) order: ids are random, rowids count up. */
    async list(query: DiffScanListQuery): Promise<Page<DiffScan>> {
      const where = listWhere(query)
      if (!where) return { items: [], hasMore: false }
      const column = query.sort === 'updated_at' ? 'updated_at' : 'created_at'
      const direction = query.direction === 'asc' ? 'ASC' : 'DESC'
      const rows = sqlite
        .prepare<Record<string, string | number>, DiffScanRow>(
          `SELECT ${columns} FROM diff_scans WHERE ${where.sql}
           ORDER BY ${column} ${direction}, rowid ${direction} LIMIT @limit OFFSET @offset`,
        )
        .all({ ...where.params, limit: query.limit + 1, offset: query.offset })
      return { items: rows.slice(0, query.limit).map(toDiffScan), hasMore: rows.length > query.limit }
    },

    async delete(orgId: string, id: string): Promise<boolean> {
      if (!UUID.test(id)) return false
      return deleteById.run({ orgId: Number(orgId), id: id.toLowerCase() }).changes > 0
    },

    /**
     * A fixture's diff scan, between two scans already inserted (by their new ids). Synchronous:
     * usable inside a transaction (a whole-state import). Undefined when the scans are not of one repo.
     */
    insert(state: DiffScanState, orgId: string, scanIds: { before: string; after: string }, now: number) {
      const org = Number(orgId)
      const before = selectScanRepo.get({ orgId: org, id: Number(scanIds.before) })
      const after = selectScanRepo.get({ orgId: org, id: Number(scanIds.after) })
      if (!before || !after || before.repoId !== after.repoId) return undefined
      const createdAt = state.createdAt ?? now
      return insert(
        { ...state, orgId, beforeScanId: scanIds.before, afterScanId: scanIds.after },
        before.repoId,
        (state.id ?? randomUUID()).toLowerCase(),
        createdAt,
        state.updatedAt ?? createdAt,
      )
    },

    /** The org's diff scans, oldest first. Synchronous: usable inside a transaction. */
    allOfOrg(orgId: string): DiffScan[] {
      return selectOfOrg.all({ orgId: Number(orgId) }).map(toDiffScan)
    },
  }
}

export type SqliteDiffScanRepository = ReturnType<typeof createDiffScanRepository>
