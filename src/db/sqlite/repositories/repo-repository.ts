import type { Statement } from 'better-sqlite3'
import { and, asc, eq } from 'drizzle-orm'
import { checkedRowId, toRowId } from '../../ids.js'
import { createListCursorCache } from '../../list-cursor-cache.js'
import type { AuditOf, Page, Repo, RepoSortKey } from '../../models.js'
import { type RepoRow, repoCursorOf, toRepo } from '../../rows.js'
import type { CreateRepoResult, NewRepo, RepoListQuery, RepoPatch, UpdateRepoResult } from '../../types.js'
import type { Db } from '../client.js'
import type { DataVersions } from '../data-versions.js'
import { createGroupCommit } from '../group-commit.js'
import { repos } from '../schema.js'
import { type AuditWriter, recordAudit } from './audit-repository.js'

// The hot paths (lookup, list, insert) are plain prepared statements, built once: drizzle's query
// builder would rebuild and re-prepare the SQL on every request.
const repoColumns = `id, org_id AS orgId, workspace, slug, name, description, homepage, visibility, archived,
  default_branch AS defaultBranch, head_full_scan_id AS headFullScanId, integration_meta AS integrationMeta,
  created_at AS createdAt, updated_at AS updatedAt`

/** Each allowed sort as SQL; every one is served by an index ending in id (schema.ts). */
const sortSql: Record<RepoSortKey, string> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  name: 'name COLLATE NOCASE',
}

/** The SQL of one list shape; `seek` starts at a remembered (sort value, id) position. */
function listSql(
  sort: RepoSortKey,
  direction: 'asc' | 'desc',
  includeArchived: boolean,
  byWorkspace: boolean,
  seek: boolean,
) {
  const column = sortSql[sort]
  const where = ['org_id = @orgId']
  if (!includeArchived) where.push('archived = 0')
  if (byWorkspace) where.push('workspace = @workspace')
  // (column, id) from the cursor on, spelled so SQLite ranges over the index on the column.
  if (seek) {
    where.push(
      direction === 'asc'
        ? `${column} >= @value AND (${column} > @value OR id >= @id)`
        : `${column} <= @value AND (${column} < @value OR id <= @id)`,
    )
  }
  return `SELECT ${repoColumns} FROM repos WHERE ${where.join(' AND ')}
    ORDER BY ${column} ${direction}, id ${direction} LIMIT @limit OFFSET @offset`
}

export function createRepoRepository(db: Db, versions: DataVersions, audit?: AuditWriter) {
  const sqlite = db.$client
  const cursors = createListCursorCache()
  const findInWorkspace = sqlite.prepare<{ orgId: number; workspace: string; slug: string }, RepoRow>(
    `SELECT ${repoColumns} FROM repos WHERE org_id = @orgId AND workspace = @workspace AND slug = @slug`,
  )
  const insert = sqlite.prepare<Record<string, string | number | null>, RepoRow>(
    `INSERT INTO repos (id, org_id, workspace, slug, name, description, homepage, visibility, archived,
       default_branch, head_full_scan_id, integration_meta, created_at, updated_at)
     VALUES (@id, @orgId, @workspace, @slug, @name, @description, @homepage, @visibility, @archived,
       @defaultBranch, @headFullScanId, @integrationMeta, @createdAt, @updatedAt)
     RETURNING ${repoColumns}`,
  )
  const commits = createGroupCommit(sqlite)
  function insertUnlessTaken(input: NewRepo, orgId: number, now: number): CreateRepoResult {
    const existing = findInWorkspace.get({ orgId, workspace: input.workspace, slug: input.slug })
    if (existing) return { created: false, existing: toRepo(existing) }
    const row = insert.get({
      id: input.id === undefined ? null : (toRowId(input.id) ?? null),
      orgId,
      workspace: input.workspace,
      slug: input.slug,
      name: input.name,
      description: input.description,
      homepage: input.homepage,
      visibility: input.visibility,
      archived: input.archived ? 1 : 0,
      defaultBranch: input.defaultBranch,
      headFullScanId: input.headFullScanId ?? null,
      integrationMeta: input.integrationMeta ? JSON.stringify(input.integrationMeta) : null,
      createdAt: input.createdAt ?? now,
      updatedAt: input.updatedAt ?? input.createdAt ?? now,
    })
    if (!row) throw new Error(`insert of repo ${input.slug} returned nothing`)
    checkedRowId(row.id, 'repos')
    versions.bump(orgId, 'repos')
    return { created: true, repo: toRepo(row) }
  }
  const listStatements = new Map<string, Statement<Record<string, string | number>, RepoRow>>()
  function listStatement(query: RepoListQuery, seek: boolean) {
    const byWorkspace = query.workspace !== undefined
    const key = `${query.sort}|${query.direction}|${query.includeArchived}|${byWorkspace}|${seek}`
    let statement = listStatements.get(key)
    if (!statement) {
      statement = sqlite.prepare(listSql(query.sort, query.direction, query.includeArchived, byWorkspace, seek))
      listStatements.set(key, statement)
    }
    return statement
  }

  const selectAllOfOrg = sqlite.prepare<{ orgId: number }, RepoRow>(
    `SELECT ${repoColumns} FROM repos WHERE org_id = @orgId ORDER BY id`,
  )

  return {
    /** `create`, synchronous: usable inside a transaction (a whole-state import). */
    insert: (input: NewRepo, now: number): CreateRepoResult => insertUnlessTaken(input, Number(input.orgId), now),

    /** The org's repos, by id. Synchronous: usable inside a transaction. */
    allOfOrg: (orgId: string): Repo[] => selectAllOfOrg.all({ orgId: Number(orgId) }).map(toRepo),

    /**
     * Inserts the repo, or returns the one that already holds its (org, workspace, slug). The lookup
     * comes first, under the write lock (group-commit.ts): a refused duplicate writes nothing, not
     * even an id, and of concurrent creates of one slug exactly one inserts.
     */
    async create(input: NewRepo, now: number): Promise<CreateRepoResult> {
      return commits.run(() => insertUnlessTaken(input, Number(input.orgId), now))
    },

    async findInWorkspace(orgId: string, workspace: string, slug: string): Promise<Repo | undefined> {
      const row = findInWorkspace.get({ orgId: Number(orgId), workspace, slug })
      return row ? toRepo(row) : undefined
    },

    /** Every repo of the org with this slug, whatever its workspace (at most `limit`). */
    async findAllWithSlug(orgId: string, slug: string, limit: number): Promise<Repo[]> {
      return db
        .select()
        .from(repos)
        .where(and(eq(repos.orgId, Number(orgId)), eq(repos.slug, slug)))
        .orderBy(asc(repos.id))
        .limit(limit)
        .all()
        .map(toRepo)
    },

    async findById(orgId: string, id: string): Promise<Repo | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const row = db
        .select()
        .from(repos)
        .where(and(eq(repos.orgId, Number(orgId)), eq(repos.id, rowId)))
        .get()
      return row ? toRepo(row) : undefined
    },

    /** The version of the org's repo lists: it changes with every change to the org's repos, here or elsewhere. */
    async listVersion(orgId: string): Promise<string> {
      return versions.of('repos', Number(orgId))
    },

    /** A page in (sort, id) order; deep pages seek from a remembered position (see list-cursor-cache.ts). */
    async list(query: RepoListQuery): Promise<Page<Repo>> {
      const orgId = Number(query.orgId)
      const shape = `${query.sort}|${query.direction}|${query.includeArchived}|${query.workspace ?? '\u0000all'}`
      const version = versions.of('repos', orgId)
      const start = query.offset > 0 ? cursors.nearest(orgId, version, shape, query.offset) : undefined
      const params: Record<string, string | number> = {
        orgId,
        limit: query.limit + 1,
        offset: query.offset - (start?.offset ?? 0),
      }
      if (query.workspace !== undefined) params.workspace = query.workspace
      if (start) {
        params.value = start.cursor.value
        params.id = start.cursor.id
      }
      const rows = listStatement(query, start !== undefined).all(params)
      const [first] = rows
      if (first) cursors.remember(orgId, version, shape, query.offset, repoCursorOf(first, query.sort))
      const next = rows[query.limit]
      if (next) cursors.remember(orgId, version, shape, query.offset + query.limit, repoCursorOf(next, query.sort))
      return { items: rows.slice(0, query.limit).map(toRepo), hasMore: rows.length > query.limit }
    },

    /** Applies the patch and sets updated_at; `conflict` when a workspace move would collide with a repo there. */
    async update(id: string, patch: RepoPatch, now: number): Promise<UpdateRepoResult> {
      const rowId = toRowId(id)
      if (rowId === undefined) return { updated: false, reason: 'not_found' }
      return commits.run((): UpdateRepoResult => {
        try {
          const updated = db
            .update(repos)
            .set({ ...patch, updatedAt: now })
            .where(eq(repos.id, rowId))
            .returning()
            .get()
          if (!updated) return { updated: false, reason: 'not_found' }
          versions.bump(updated.orgId, 'repos')
          return { updated: true, repo: toRepo(updated) }
        } catch (error) {
          if (isUniqueViolation(error)) return { updated: false, reason: 'conflict' }
          throw error
        }
      })
    },

    /** Deletes the repo and, by foreign-key cascade in the same statement, its label associations. */
    async delete(id: string, now: number, auditOf?: AuditOf<Repo>): Promise<boolean> {
      const rowId = toRowId(id)
      if (rowId === undefined) return false
      const deleted = db.transaction(
        () => {
          const row = db.delete(repos).where(eq(repos.id, rowId)).returning().get()
          if (row) recordAudit(audit, auditOf, toRepo(row), now)
          return row
        },
        { behavior: 'immediate' },
      )
      // The org's labels lose their associations with it.
      if (deleted) versions.bump(deleted.orgId, 'repos', 'labels')
      return deleted !== undefined
    },
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  )
}

export type SqliteRepoRepository = ReturnType<typeof createRepoRepository>
