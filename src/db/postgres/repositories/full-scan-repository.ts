import { IdsExhaustedError, toRowId } from '../../ids.js'
import type { FullScan, FullScanState, Page, Repo, ScanFile } from '../../models.js'
import { type FullScanRow, type RepoRow, toFullScan, toRepo } from '../../rows.js'
import type { FullScanListQuery, FullScanRepository, NewFullScan } from '../../types.js'
import { holdsNul, isForeignKeyViolation, isIdsExhausted, type Queryable, row, rows } from '../client.js'
import type { PgContext } from '../context.js'
import { bumpStep } from '../data-versions.js'
import { createRepoRepository, repoColumns } from './repo-repository.js'

// The PostgreSQL twin of ../../sqlite/repositories/full-scan-repository.ts: same results, same
// ordering, same version bumps.

const scanColumns = `s.id, s.org_id AS "orgId", s.repo_id AS "repoId", r.slug AS "repoSlug", r.workspace AS workspace,
  s.branch, s.commit_message AS "commitMessage", s.commit_hash AS "commitHash", s.pull_request AS "pullRequest",
  s.committers, s.integration_type AS "integrationType", s.integration_org_slug AS "integrationOrgSlug",
  s.scan_type AS "scanType", s.tmp, s.artifacts, s.created_at AS "createdAt", s.updated_at AS "updatedAt"`

const insertColumns = `org_id, repo_id, branch, commit_message, commit_hash, pull_request, committers,
  integration_type, integration_org_slug, scan_type, tmp, artifacts, created_at, updated_at`
const insertValues = `$1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::bigint, $7::text,
  $8::text, $9::text, $10::text, $11::boolean, $12::text, $13::bigint, $14::bigint`

/** A scan's own columns, as `scanColumns` names them (its repo's slug and workspace come from the repo). */
const insertedColumns = `id, org_id AS "orgId", repo_id AS "repoId", branch, commit_message AS "commitMessage",
  commit_hash AS "commitHash", pull_request AS "pullRequest", committers, integration_type AS "integrationType",
  integration_org_slug AS "integrationOrgSlug", scan_type AS "scanType", tmp, artifacts, created_at AS "createdAt",
  updated_at AS "updatedAt"`

/** The insert of a scan (with a pinned id as $15), returning its id. */
function insertSql(pinned: boolean): string {
  return `INSERT INTO full_scans (${pinned ? 'id, ' : ''}${insertColumns})
    VALUES (${pinned ? '$15::bigint, ' : ''}${insertValues}) RETURNING ${insertedColumns}`
}

/** A pinned id moves the identity past it (SQLite's AUTOINCREMENT), never back. */
const advanceSequenceSql = `SELECT setval(pg_get_serial_sequence('full_scans', 'id'), $1::bigint)
  FROM full_scans_id_seq WHERE $1::bigint > (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)`

const insertFilesSql = `INSERT INTO full_scan_files (scan_id, path, content)
  SELECT $1::bigint, f.path, f.content FROM unnest($2::text[], $3::bytea[]) AS f(path, content)`

const selectScanSql = `SELECT ${scanColumns} FROM full_scans s JOIN repos r ON r.id = s.repo_id
  WHERE s.org_id = $1 AND s.id = $2`
const selectScansOfOrgSql = `SELECT ${scanColumns} FROM full_scans s JOIN repos r ON r.id = s.repo_id
  WHERE s.org_id = $1 ORDER BY s.id`
const selectFilesSql = 'SELECT path, content FROM full_scan_files WHERE scan_id = $1 ORDER BY path COLLATE "C"'
const selectFilesOfOrgSql = `SELECT f.scan_id AS "scanId", f.path, f.content FROM full_scan_files f
  JOIN full_scans s ON s.id = f.scan_id WHERE s.org_id = $1 ORDER BY f.scan_id, f.path COLLATE "C"`

/**
 * What a new scan changes on its repo, with the org's repos version bumped, in one statement: its
 * branch becomes the default branch ($2: when asked and it has one), and the scan the head ($3: when
 * asked, not temporary, with a branch) when its branch is the default branch, after the first change.
 * Nothing (not even updated_at) changes when neither applies. Returns the repo as it is then.
 */
const updateRepoSql = `WITH updated AS (
    UPDATE repos SET
      default_branch = CASE WHEN $2::boolean THEN $4::text ELSE default_branch END,
      head_full_scan_id = CASE
        WHEN $3::boolean AND $4::text = (CASE WHEN $2::boolean THEN $4::text ELSE default_branch END) THEN $5::text
        ELSE head_full_scan_id END,
      updated_at = $6::bigint
    WHERE id = $1::bigint AND ($2::boolean OR ($3::boolean AND $4::text = default_branch))
    RETURNING ${repoColumns}
  ), source AS (SELECT $7::bigint AS org_id),
  bumped AS (${bumpStep('source', 'repos')})
  SELECT * FROM updated
  UNION ALL
  SELECT ${repoColumns} FROM repos WHERE id = $1::bigint AND NOT EXISTS (SELECT 1 FROM updated)`

const deleteExistsSql = 'DELETE FROM full_scans WHERE org_id = $1 AND id = $2 RETURNING repo_id AS "repoId"'
const clearHeadSql = `UPDATE repos SET head_full_scan_id = NULL, updated_at = $3
  WHERE id = $1 AND head_full_scan_id = $2::text`

/** Full scans, their uploaded files, and what a scan changes on its repo (default branch, head). */
export function createFullScanRepository(ctx: PgContext): FullScanRepository & {
  insert(state: FullScanState, orgId: string, repoId: string, now: number): Promise<string>
  allOfOrg(orgId: string): Promise<FullScanState[]>
} {
  const repos = createRepoRepository(ctx)

  /** Inserts a scan row and its files with `q`; returns its id. */
  async function insertScan(
    q: Queryable,
    scan: Omit<FullScanState, 'repository' | 'id' | 'files'>,
    orgId: number,
    repoId: number,
    files: ScanFile[],
    pinned: number | undefined,
    createdAt: number,
    updatedAt: number,
  ): Promise<Omit<FullScanRow, 'repoSlug' | 'workspace'>> {
    const values: unknown[] = [
      orgId,
      repoId,
      scan.branch,
      scan.commitMessage,
      scan.commitHash,
      scan.pullRequest,
      JSON.stringify(scan.committers),
      scan.integrationType,
      scan.integrationOrgSlug,
      scan.scanType,
      scan.tmp,
      JSON.stringify(scan.artifacts),
      createdAt,
      updatedAt,
    ]
    if (pinned !== undefined) values.push(pinned)
    let inserted: Omit<FullScanRow, 'repoSlug' | 'workspace'> | undefined
    try {
      inserted = await row<Omit<FullScanRow, 'repoSlug' | 'workspace'>>(
        q,
        insertSql(pinned !== undefined),
        values,
        pinned === undefined ? 'full_scans_insert' : 'full_scans_insert_pinned',
      )
    } catch (error) {
      if (isIdsExhausted(error, 'full_scans')) throw new IdsExhaustedError('full_scans')
      throw error
    }
    if (!inserted) throw new Error('insert of a full scan returned nothing')
    if (pinned !== undefined) {
      await q.query({ name: 'full_scans_advance_id', text: advanceSequenceSql, values: [pinned] })
    }
    if (files.length > 0) {
      await q.query({
        name: 'full_scan_files_insert',
        text: insertFilesSql,
        values: [inserted.id, files.map((file) => file.path), files.map((file) => file.content)],
      })
    }
    return inserted
  }

  /** `create`, once: the repo (found or created), the scan and its files, and the repo's update, in one transaction. */
  function createOnce(input: NewFullScan, orgId: number, now: number): Promise<{ scan: FullScan; repo: Repo }> {
    return ctx.tx(async (q) => {
      const filed = await repos.insert(input.repo, now, q)
      const repoId = Number(filed.created ? filed.repo.id : filed.existing.id)
      const scan = await insertScan(q, input, orgId, repoId, input.files, undefined, now, now)
      const makeDefault = input.makeDefaultBranch && input.branch !== null
      const makeHead = input.setAsPendingHead && !input.tmp && input.branch !== null
      const repoRow = await row<RepoRow>(
        q,
        updateRepoSql,
        [repoId, makeDefault, makeHead, input.branch, String(scan.id), now, orgId],
        'full_scans_update_repo',
      )
      if (!repoRow) throw new Error(`repo ${repoId} vanished inside its transaction`)
      const repo = toRepo(repoRow)
      return { scan: toFullScan({ ...scan, repoSlug: repo.slug, workspace: repo.workspace }), repo }
    })
  }

  function listWhere(query: FullScanListQuery): { sql: string; values: unknown[] } {
    const where = ['s.org_id = $1', 'NOT s.tmp']
    const values: unknown[] = [Number(query.orgId)]
    const filters: [keyof FullScanListQuery, (param: string) => string][] = [
      ['workspace', (p) => `r.workspace = ${p}::text`],
      ['repo', (p) => `r.slug = ${p}::text`],
      ['branch', (p) => `s.branch = ${p}::text`],
      ['pullRequest', (p) => `s.pull_request = ${p}::bigint`],
      ['commitHash', (p) => `s.commit_hash = ${p}::text`],
      ['scanType', (p) => `s.scan_type = ${p}::text`],
      ['from', (p) => `s.created_at >= ${p}::bigint`],
    ]
    for (const [key, condition] of filters) {
      const value = query[key]
      if (value === undefined) continue
      values.push(value)
      where.push(condition(`$${values.length}`))
    }
    return { sql: where.join(' AND '), values }
  }

  return {
    /** A fixture's scan, into a repo of the same org, with its id and times when given; in the context's transaction. */
    async insert(state: FullScanState, orgId: string, repoId: string, now: number): Promise<string> {
      const pinned = state.id === undefined ? undefined : toRowId(state.id)
      const createdAt = state.createdAt ?? now
      return ctx.tx(async (q) => {
        const inserted = await insertScan(
          q,
          state,
          Number(orgId),
          Number(repoId),
          state.files,
          pinned,
          createdAt,
          state.updatedAt ?? createdAt,
        )
        return String(inserted.id)
      })
    },

    /** The org's scans with their files, by id. */
    async allOfOrg(orgId: string): Promise<FullScanState[]> {
      const [scans, files] = await Promise.all([
        rows<FullScanRow>(ctx.q, selectScansOfOrgSql, [Number(orgId)], 'full_scans_all_of_org'),
        rows<{ scanId: number; path: string; content: Buffer }>(
          ctx.q,
          selectFilesOfOrgSql,
          [Number(orgId)],
          'full_scan_files_of_org',
        ),
      ])
      const filesOf = new Map<number, ScanFile[]>()
      for (const file of files) {
        let list = filesOf.get(file.scanId)
        if (!list) {
          list = []
          filesOf.set(file.scanId, list)
        }
        list.push({ path: file.path, content: file.content })
      }
      return scans.map((found) => {
        const { id, repoSlug, workspace, orgId: _org, repoId: _repo, ...scan } = toFullScan(found)
        return { id, repository: { slug: repoSlug, workspace }, ...scan, files: filesOf.get(found.id) ?? [] }
      })
    },

    /** Stores the scan and its files, creating its repo first when needed, in one transaction. */
    async create(input: NewFullScan, now: number): Promise<{ scan: FullScan; repo: Repo }> {
      const orgId = Number(input.orgId)
      for (let attempt = 1; ; attempt++) {
        try {
          return await createOnce(input, orgId, now)
        } catch (error) {
          // The repo found was deleted by another connection before the scan's insert checked its
          // foreign key: run it again, creating the repo anew (SQLite serializes the two). An org
          // that is gone fails every time, and stays an error (401: its tokens went with it).
          if (isForeignKeyViolation(error) && attempt < 3) continue
          throw error
        }
      }
    },

    async findById(orgId: string, id: string): Promise<FullScan | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const found = await row<FullScanRow>(ctx.q, selectScanSql, [Number(orgId), rowId], 'full_scans_select')
      return found ? toFullScan(found) : undefined
    },

    async files(id: string): Promise<ScanFile[]> {
      const rowId = toRowId(id)
      if (rowId === undefined) return []
      return rows<ScanFile>(ctx.q, selectFilesSql, [rowId], 'full_scan_files_select')
    },

    /** A page of the org's listed (not temporary) scans, in (sort, id) order. */
    async list(query: FullScanListQuery): Promise<Page<FullScan>> {
      if (holdsNul(query.workspace, query.repo, query.branch, query.commitHash, query.scanType)) {
        return { items: [], hasMore: false }
      }
      const { sql, values } = listWhere(query)
      const direction = query.direction === 'asc' ? 'ASC' : 'DESC'
      const order =
        query.sort === 'name'
          ? `r.slug COLLATE "C" ${direction}, s.id ${direction}`
          : `s.created_at ${direction}, s.id ${direction}`
      values.push(query.limit + 1, Math.min(query.offset, Number.MAX_SAFE_INTEGER))
      const found = await rows<FullScanRow>(
        ctx.q,
        `SELECT ${scanColumns} FROM full_scans s JOIN repos r ON r.id = s.repo_id WHERE ${sql}
         ORDER BY ${order} LIMIT $${values.length - 1} OFFSET $${values.length}`,
        values,
      )
      return { items: found.slice(0, query.limit).map(toFullScan), hasMore: found.length > query.limit }
    },

    /** Deletes the scan and its files; a repo whose head it was is left without a head. */
    async delete(orgId: string, id: string, now: number): Promise<boolean> {
      const rowId = toRowId(id)
      if (rowId === undefined) return false
      return ctx.tx(async (q) => {
        const deleted = await row<{ repoId: number }>(q, deleteExistsSql, [Number(orgId), rowId], 'full_scans_delete')
        if (!deleted) return false
        await q.query({ name: 'full_scans_clear_head', text: clearHeadSql, values: [deleted.repoId, rowId, now] })
        await ctx.versions.bump(q, orgId, 'repos')
        return true
      })
    },
  }
}
