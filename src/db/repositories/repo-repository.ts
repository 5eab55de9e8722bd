import { and, asc, desc, eq, type SQL, sql } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Db } from '../client.js'
import { toRowId } from '../ids.js'
import { type Cursor, createListCursorCache, type ListCursorCache } from '../list-cursor-cache.js'
import type { IntegrationMeta, Page, Repo, RepoSortKey } from '../models.js'
import { type RepoRow, repos } from '../schema.js'

export interface NewRepo {
  orgId: string
  workspace: string
  slug: string
  name: string
  description: string | null
  homepage: string | null
  visibility: 'public' | 'private'
  archived: boolean
  defaultBranch: string | null
  /** Fixtures may pin ids and import fields the API cannot set. */
  id?: string
  headFullScanId?: string | null
  integrationMeta?: IntegrationMeta | null
  createdAt?: number
  updatedAt?: number
}

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
    archived: row.archived,
    defaultBranch: row.defaultBranch,
    headFullScanId: row.headFullScanId,
    integrationMeta: row.integrationMeta === null ? null : (JSON.parse(row.integrationMeta) as IntegrationMeta),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

const sortColumns: Record<RepoSortKey, SQL | SQLiteColumn> = {
  created_at: repos.createdAt,
  updated_at: repos.updatedAt,
  name: sql`${repos.name} COLLATE NOCASE`,
}

function cursorOf(row: RepoRow, sort: RepoSortKey): Cursor {
  const value = sort === 'name' ? row.name : sort === 'updated_at' ? row.updatedAt : row.createdAt
  return { value, id: row.id }
}

export function createRepoRepository(db: Db, cursors: ListCursorCache = createListCursorCache()) {
  const dataVersion = db.$client.prepare('PRAGMA data_version').pluck()
  const findInWorkspace = db
    .select()
    .from(repos)
    .where(
      and(
        eq(repos.orgId, sql.placeholder('orgId')),
        eq(repos.workspace, sql.placeholder('workspace')),
        eq(repos.slug, sql.placeholder('slug')),
      ),
    )
    .prepare()

  return {
    /**
     * Inserts the repo, or returns the one that already holds its (org, workspace, slug). The lookup
     * comes first, under the write lock: a refused duplicate writes nothing (not even an id).
     */
    async create(input: NewRepo, now: number): Promise<CreateRepoResult> {
      const orgId = Number(input.orgId)
      return db.transaction(
        (tx) => {
          const existing = findInWorkspace.get({ orgId, workspace: input.workspace, slug: input.slug })
          if (existing) return { created: false, existing: toRepo(existing) } as const
          const row = tx
            .insert(repos)
            .values({
              id: input.id === undefined ? undefined : toRowId(input.id),
              orgId,
              workspace: input.workspace,
              slug: input.slug,
              name: input.name,
              description: input.description,
              homepage: input.homepage,
              visibility: input.visibility,
              archived: input.archived,
              defaultBranch: input.defaultBranch,
              headFullScanId: input.headFullScanId ?? null,
              integrationMeta: input.integrationMeta ? JSON.stringify(input.integrationMeta) : null,
              createdAt: input.createdAt ?? now,
              updatedAt: input.updatedAt ?? input.createdAt ?? now,
            })
            .returning()
            .get()
          cursors.invalidateOrg(orgId)
          return { created: true, repo: toRepo(row) } as const
        },
        { behavior: 'immediate' },
      )
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

    /** A page in (sort, id) order; deep pages seek from a remembered position (see list-cursor-cache.ts). */
    async list(query: RepoListQuery): Promise<Page<Repo>> {
      const orgId = Number(query.orgId)
      const order = query.direction === 'asc' ? asc : desc
      const column = sortColumns[query.sort]
      const conditions = [eq(repos.orgId, orgId)]
      if (!query.includeArchived) conditions.push(eq(repos.archived, false))
      if (query.workspace !== undefined) conditions.push(eq(repos.workspace, query.workspace))
      const shape = `${query.sort}|${query.direction}|${query.includeArchived}|${query.workspace ?? '\u0000all'}`

      cursors.sync(dataVersion.get() as number)
      const start = query.offset > 0 ? cursors.nearest(orgId, shape, query.offset) : undefined
      if (start) {
        const { value, id } = start.cursor
        // (column, id) from the cursor on, spelled so SQLite ranges over the index on the column.
        conditions.push(
          query.direction === 'asc'
            ? sql`${column} >= ${value} AND (${column} > ${value} OR ${repos.id} >= ${id})`
            : sql`${column} <= ${value} AND (${column} < ${value} OR ${repos.id} <= ${id})`,
        )
      }
      const offset = query.offset - (start?.offset ?? 0)
      const rows = db
        .select()
        .from(repos)
        .where(and(...conditions))
        .orderBy(order(column), order(repos.id))
        .limit(query.limit + 1)
        .offset(offset)
        .all()
      const [first] = rows
      if (first) cursors.remember(orgId, shape, query.offset, cursorOf(first, query.sort))
      const next = rows[query.limit]
      if (next) cursors.remember(orgId, shape, query.offset + query.limit, cursorOf(next, query.sort))
      return { items: rows.slice(0, query.limit).map(toRepo), hasMore: rows.length > query.limit }
    },

    /** Applies the patch and sets updated_at; `conflict` when a workspace move would collide with a repo there. */
    async update(id: string, patch: RepoPatch, now: number): Promise<UpdateRepoResult> {
      const rowId = toRowId(id)
      if (rowId === undefined) return { updated: false, reason: 'not_found' }
      try {
        const updated = db
          .update(repos)
          .set({ ...patch, updatedAt: now })
          .where(eq(repos.id, rowId))
          .returning()
          .get()
        if (!updated) return { updated: false, reason: 'not_found' }
        cursors.invalidateOrg(updated.orgId)
        return { updated: true, repo: toRepo(updated) }
      } catch (error) {
        if (isUniqueViolation(error)) return { updated: false, reason: 'conflict' }
        throw error
      }
    },

    /** Deletes the repo and, by foreign-key cascade in the same statement, its label associations. */
    async delete(id: string): Promise<boolean> {
      const rowId = toRowId(id)
      if (rowId === undefined) return false
      const deleted = db.delete(repos).where(eq(repos.id, rowId)).returning({ orgId: repos.orgId }).get()
      if (deleted) cursors.invalidateOrg(deleted.orgId)
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

export type RepoRepository = ReturnType<typeof createRepoRepository>
