import { checkedRowId, toRowId } from '../../ids.js'
import type { FullScan, FullScanState, Page, Repo, ScanFile } from '../../models.js'
import { type FullScanRow, type RepoRow, toFullScan, toRepo } from '../../rows.js'
import type { FullScanListQuery, NewFullScan, NewRepo } from '../../types.js'
import type { Db } from '../client.js'
import type { DataVersions } from '../data-versions.js'
import type { SqliteRepoRepository } from './repo-repository.js'

const scanColumns = `s.id, s.org_id AS orgId, s.repo_id AS repoId, r.slug AS repoSlug, r.workspace AS workspace,
  s.branch, s.commit_message AS commitMessage, s.commit_hash AS commitHash, s.pull_request AS pullRequest,
  s.committers, s.integration_type AS integrationType, s.integration_org_slug AS integrationOrgSlug,
  s.scan_type AS scanType, s.tmp, s.artifacts, s.created_at AS createdAt, s.updated_at AS updatedAt`

/** Full scans, their uploaded files, and what a scan changes on its repo (default branch, head). */
export function createFullScanRepository(db: Db, parts: { repos: SqliteRepoRepository }, versions: DataVersions) {
  const sqlite = db.$client
  const findRepo = sqlite.prepare<{ orgId: number; workspace: string; slug: string }, { id: number }>(
    'SELECT id FROM repos WHERE org_id = @orgId AND workspace = @workspace AND slug = @slug',
  )
  const insertScan = sqlite.prepare<Record<string, string | number | null>, { id: number }>(
    `INSERT INTO full_scans (id, org_id, repo_id, branch, commit_message, commit_hash, pull_request, committers,
       integration_type, integration_org_slug, scan_type, tmp, artifacts, created_at, updated_at)
     VALUES (@id, @orgId, @repoId, @branch, @commitMessage, @commitHash, @pullRequest, @committers,
       @integrationType, @integrationOrgSlug, @scanType, @tmp, @artifacts, @createdAt, @updatedAt)
     RETURNING id`,
  )
  const selectScansOfOrg = sqlite.prepare<{ orgId: number }, FullScanRow>(
    `SELECT ${scanColumns} FROM full_scans s JOIN repos r ON r.id = s.repo_id WHERE s.org_id = @orgId ORDER BY s.id`,
  )
  const insertFile = sqlite.prepare<{ scanId: number; path: string; content: Buffer }>(
    'INSERT INTO full_scan_files (scan_id, path, content) VALUES (@scanId, @path, @content)',
  )
  const setDefaultBranch = sqlite.prepare<{ id: number; branch: string; now: number }>(
    'UPDATE repos SET default_branch = @branch, updated_at = @now WHERE id = @id',
  )
  const setHead = sqlite.prepare<{ id: number; head: string; now: number }>(
    'UPDATE repos SET head_full_scan_id = @head, updated_at = @now WHERE id = @id',
  )
  const selectRepo = sqlite.prepare<{ id: number }, RepoRow>(
    `SELECT id, org_id AS orgId, workspace, slug, name, description, homepage, visibility, archived,
       default_branch AS defaultBranch, head_full_scan_id AS headFullScanId, integration_meta AS integrationMeta,
       created_at AS createdAt, updated_at AS updatedAt FROM repos WHERE id = @id`,
  )
  const selectScan = sqlite.prepare<{ orgId: number; id: number }, FullScanRow>(
    `SELECT ${scanColumns} FROM full_scans s JOIN repos r ON r.id = s.repo_id WHERE s.org_id = @orgId AND s.id = @id`,
  )
  const selectFiles = sqlite.prepare<{ id: number }, { path: string; content: Buffer }>(
    'SELECT path, content FROM full_scan_files WHERE scan_id = @id ORDER BY path',
  )
  const deleteScan = sqlite.prepare<{ orgId: number; id: number }, { repoId: number }>(
    'DELETE FROM full_scans WHERE org_id = @orgId AND id = @id RETURNING repo_id AS repoId',
  )
  const clearHead = sqlite.prepare<{ repoId: number; head: string; now: number }>(
    'UPDATE repos SET head_full_scan_id = NULL, updated_at = @now WHERE id = @repoId AND head_full_scan_id = @head',
  )

  const create = sqlite.transaction((input: NewFullScan, now: number): { scan: FullScan; repo: Repo } => {
    const orgId = Number(input.orgId)
    const existing = findRepo.get({ orgId, workspace: input.repo.workspace, slug: input.repo.slug })
    const repoId = existing ? existing.id : Number(insertRepo(input.repo, now).id)
    const row = insertScan.get({
      id: null,
      createdAt: now,
      updatedAt: now,
      orgId,
      repoId,
      branch: input.branch,
      commitMessage: input.commitMessage,
      commitHash: input.commitHash,
      pullRequest: input.pullRequest,
      committers: JSON.stringify(input.committers),
      integrationType: input.integrationType,
      integrationOrgSlug: input.integrationOrgSlug,
      scanType: input.scanType,
      tmp: input.tmp ? 1 : 0,
      artifacts: JSON.stringify(input.artifacts),
    })
    if (!row) throw new Error('insert of a full scan returned nothing')
    const scanId = checkedRowId(row.id, 'full_scans')
    for (const file of input.files) insertFile.run({ scanId, path: file.path, content: file.content })
    if (input.makeDefaultBranch && input.branch !== null) {
      setDefaultBranch.run({ id: repoId, branch: input.branch, now })
    }
    const repoRow = selectRepo.get({ id: repoId })
    if (!repoRow) throw new Error(`repo ${repoId} vanished inside its transaction`)
    if (input.setAsPendingHead && !input.tmp && input.branch !== null && input.branch === repoRow.defaultBranch) {
      setHead.run({ id: repoId, head: String(scanId), now })
    }
    versions.bump(orgId, 'repos')
    const scan = selectScan.get({ orgId, id: scanId })
    const repo = selectRepo.get({ id: repoId })
    if (!scan || !repo) throw new Error(`full scan ${scanId} vanished inside its transaction`)
    return { scan: toFullScan(scan), repo: toRepo(repo) }
  })

  function insertRepo(input: NewRepo, now: number): Repo {
    const result = parts.repos.insert(input, now)
    return result.created ? result.repo : result.existing
  }

  function listWhere(query: FullScanListQuery): { sql: string; params: Record<string, string | number> } {
    const where = ['s.org_id = @orgId', 's.tmp = 0']
    const params: Record<string, string | number> = { orgId: Number(query.orgId) }
    const filters: [keyof FullScanListQuery, string][] = [
      ['workspace', 'r.workspace = @workspace'],
      ['repo', 'r.slug = @repo'],
      ['branch', 's.branch = @branch'],
      ['pullRequest', 's.pull_request = @pullRequest'],
      ['commitHash', 's.commit_hash = @commitHash'],
      ['scanType', 's.scan_type = @scanType'],
      ['from', 's.created_at >= @from'],
    ]
    for (const [key, condition] of filters) {
      const value = query[key]
      if (value === undefined) continue
      where.push(condition)
      params[key] = value as string | number
    }
    return { sql: where.join(' AND '), params }
  }

  return {
    /**
     * A fixture's scan, into a repo of the same org, with its id and times when given. Synchronous:
     * usable inside a transaction (a whole-state import).
     */
    insert(state: FullScanState, orgId: string, repoId: string, now: number): string {
      const row = insertScan.get({
        id: state.id === undefined ? null : (toRowId(state.id) ?? null),
        orgId: Number(orgId),
        repoId: Number(repoId),
        branch: state.branch,
        commitMessage: state.commitMessage,
        commitHash: state.commitHash,
        pullRequest: state.pullRequest,
        committers: JSON.stringify(state.committers),
        integrationType: state.integrationType,
        integrationOrgSlug: state.integrationOrgSlug,
        scanType: state.scanType,
        tmp: state.tmp ? 1 : 0,
        artifacts: JSON.stringify(state.artifacts),
        createdAt: state.createdAt ?? now,
        updatedAt: state.updatedAt ?? state.createdAt ?? now,
      })
      if (!row) throw new Error('insert of a full scan returned nothing')
      const scanId = checkedRowId(row.id, 'full_scans')
      for (const file of state.files) insertFile.run({ scanId, path: file.path, content: file.content })
      return String(scanId)
    },

    /** The org's scans with their files, by id. Synchronous: usable inside a transaction. */
    allOfOrg(orgId: string): FullScanState[] {
      return selectScansOfOrg.all({ orgId: Number(orgId) }).map((row) => {
        const { id, repoSlug, workspace, orgId: _org, repoId: _repo, ...scan } = toFullScan(row)
        return { id, repository: { slug: repoSlug, workspace }, ...scan, files: selectFiles.all({ id: row.id }) }
      })
    },

    /** Stores the scan and its files, creating its repo first when needed, in one transaction. */
    async create(input: NewFullScan, now: number): Promise<{ scan: FullScan; repo: Repo }> {
      return create.immediate(input, now)
    },

    async findById(orgId: string, id: string): Promise<FullScan | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const row = selectScan.get({ orgId: Number(orgId), id: rowId })
      return row ? toFullScan(row) : undefined
    },

    async files(id: string): Promise<ScanFile[]> {
      const rowId = toRowId(id)
      return rowId === undefined ? [] : selectFiles.all({ id: rowId })
    },

    /** A page of the org's listed (not temporary) scans, in (sort, id) order. */
    async list(query: FullScanListQuery): Promise<Page<FullScan>> {
      const { sql, params } = listWhere(query)
      const direction = query.direction === 'asc' ? 'ASC' : 'DESC'
      const order =
        query.sort === 'name'
          ? `r.slug ${direction}, s.id ${direction}`
          : `s.created_at ${direction}, s.id ${direction}`
      const rows = sqlite
        .prepare<Record<string, string | number>, FullScanRow>(
          `SELECT ${scanColumns} FROM full_scans s JOIN repos r ON r.id = s.repo_id WHERE ${sql}
           ORDER BY ${order} LIMIT @limit OFFSET @offset`,
        )
        .all({ ...params, limit: query.limit + 1, offset: query.offset })
      return { items: rows.slice(0, query.limit).map(toFullScan), hasMore: rows.length > query.limit }
    },

    /** Deletes the scan and its files; a repo whose head it was is left without a head. */
    async delete(orgId: string, id: string, now: number): Promise<boolean> {
      const rowId = toRowId(id)
      if (rowId === undefined) return false
      return sqlite
        .transaction(() => {
          const deleted = deleteScan.get({ orgId: Number(orgId), id: rowId })
          if (!deleted) return false
          clearHead.run({ repoId: deleted.repoId, head: String(rowId), now })
          versions.bump(Number(orgId), 'repos')
          return true
        })
        .immediate()
    },
  }
}

export type SqliteFullScanRepository = ReturnType<typeof createFullScanRepository>
