import { IdsExhaustedError, toRowId } from '../../ids.js'
import { createListCursorCache } from '../../list-cursor-cache.js'
import type { AuditOf, Page, Repo, RepoSortKey } from '../../models.js'
import { type RepoRow, repoCursorOf, toRepo } from '../../rows.js'
import type {
  CreateRepoResult,
  NewRepo,
  RepoListQuery,
  RepoPatch,
  RepoRepository,
  UpdateRepoResult,
} from '../../types.js'
import { holdsNul, isIdsExhausted, isUniqueViolation, type Queryable, rows } from '../client.js'
import type { PgContext } from '../context.js'
import { bumpStep } from '../data-versions.js'
import { asciiFoldSql } from '../schema.js'
import { recordAudit } from './audit-repository.js'

/** The columns of a repo, named as in `RepoRow` (unqualified: `SELECT ${repoColumns} FROM repos`, `RETURNING`). */
export const repoColumns = `id, org_id AS "orgId", workspace, slug, name, description, homepage, visibility, archived,
  default_branch AS "defaultBranch", head_full_scan_id AS "headFullScanId", integration_meta AS "integrationMeta",
  created_at AS "createdAt", updated_at AS "updatedAt"`

/** The same columns read back from a CTE that returned `repoColumns` (already aliased). */
const aliasedColumns = `id, "orgId", workspace, slug, name, description, homepage, visibility, archived,
  "defaultBranch", "headFullScanId", "integrationMeta", "createdAt", "updatedAt"`

/** Each allowed sort as SQL; every one is served by an index (org_id, <sort>, id) (schema.ts). */
const sortSql: Record<RepoSortKey, string> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  // SQLite's `name COLLATE NOCASE`: the expression of repos_org_name_idx.
  name: asciiFoldSql('name'),
}

/** The cursor value as SQL, compared like the sort column. */
const cursorValueSql: Record<RepoSortKey, (param: string) => string> = {
  created_at: (param) => `${param}::bigint`,
  updated_at: (param) => `${param}::bigint`,
  name: (param) => asciiFoldSql(`${param}::text`),
}

/**
 * The SQL of one list shape; `seek` starts at a remembered (sort value, id) position. Parameters:
 * $1 org, $2 limit, $3 offset, then the workspace when `byWorkspace`, then the cursor (value, id).
 */
function listSql(
  sort: RepoSortKey,
  direction: 'asc' | 'desc',
  includeArchived: boolean,
  byWorkspace: boolean,
  seek: boolean,
) {
  const column = sortSql[sort]
  const where = ['org_id = $1']
  let next = 4
  if (!includeArchived) where.push('NOT archived')
  if (byWorkspace) where.push(`workspace = $${next++}`)
  if (seek) {
    // (column, id) from the cursor on: a row comparison, a range over the index (org_id, column, id).
    const value = cursorValueSql[sort](`$${next++}`)
    where.push(`(${column}, id) ${direction === 'asc' ? '>=' : '<='} (${value}, $${next++}::bigint)`)
  }
  return `SELECT ${repoColumns} FROM repos WHERE ${where.join(' AND ')}
    ORDER BY ${column} ${direction}, id ${direction} LIMIT $2 OFFSET $3`
}

const insertColumns = `org_id, workspace, slug, name, description, homepage, visibility, archived,
  default_branch, head_full_scan_id, integration_meta, created_at, updated_at`

const insertValues = `$1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::boolean,
  $9::text, $10::text, $11::text, $12::bigint, $13::bigint`

/**
 * `create` in one statement: inserts unless (org, workspace, slug) is taken — the lookup in the
 * INSERT's own SELECT, so a refused duplicate consumes no id — bumps the org's repos version when it
 * inserted, and otherwise returns the repo that holds the slug. When a concurrent insert committed
 * between this statement's snapshot and its INSERT, both branches are empty: the caller runs it again.
 */
function createSql(pinnedId: boolean) {
  return `WITH inserted AS (
      INSERT INTO repos (${pinnedId ? 'id, ' : ''}${insertColumns})
      SELECT ${pinnedId ? '$14::bigint, ' : ''}${insertValues}
      WHERE NOT EXISTS (SELECT 1 FROM repos WHERE org_id = $1 AND workspace = $2 AND slug = $3)
      ON CONFLICT (org_id, workspace, slug) DO NOTHING
      RETURNING org_id, ${repoColumns}
    ), bumped AS (${bumpStep('inserted', 'repos')})
    SELECT true AS created, ${aliasedColumns} FROM inserted
    UNION ALL
    SELECT false AS created, ${repoColumns} FROM repos
      WHERE org_id = $1 AND workspace = $2 AND slug = $3 AND NOT EXISTS (SELECT 1 FROM inserted)`
}

const createPlainSql = createSql(false)
const createPinnedSql = createSql(true)

/** A pinned id (fixtures, imports) moves the id sequence past it, so later generated ids never collide with it. */
const advanceSequenceSql = `SELECT setval(pg_get_serial_sequence('repos', 'id'), $1::bigint)
  FROM repos_id_seq WHERE $1::bigint > (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)`

/** The columns a patch may set. */
const patchColumns = {
  name: 'name',
  description: 'description',
  homepage: 'homepage',
  visibility: 'visibility',
  archived: 'archived',
  defaultBranch: 'default_branch',
  workspace: 'workspace',
} as const satisfies Record<keyof RepoPatch, string>

/** Offsets past any possible row count are all alike; this keeps them an exact bigint. */
function offsetOf(offset: number): number {
  return Math.min(offset, Number.MAX_SAFE_INTEGER)
}

/**
 * Prepared statements and table growth. A named statement's plan is planned generically once per
 * connection and kept until the next ANALYZE of the table. Planned while the table is nearly empty
 * (a new database), the lookups by (org, workspace, slug) or (org, id) tie between the indexes
 * that start with org_id, and PostgreSQL may keep one that scans the whole org — repos_org_name_idx
 * with a filter on the slug — at a cost that grows with every repo until autovacuum analyzes the
 * table. So the statement names carry the order of magnitude of the largest repo id this process
 * has seen: when it grows tenfold, each connection prepares (and plans) the statements once more,
 * against the table as it is then; at most 16 times in all.
 */
function createScale() {
  let digits = 1
  return {
    /** Notes a repo id seen in a result. */
    saw(id: number): void {
      if (id >= 10 ** digits) digits = String(id).length
    },
    /** `name`, for the current order of magnitude. */
    name: (name: string) => `${name}_${digits}`,
    /**
     * Below a thousand ids, `create` is planned with every execution (unnamed): there a generic plan
     * of its probe for the slug is all but sure to be the scan of the org, and every create pays it.
     */
    get small() {
      return digits < 4
    },
  }
}

export function createRepoRepository(ctx: PgContext) {
  const cursors = createListCursorCache()
  const scale = createScale()
  function seen<R extends { id: number }>(found: R[]): R[] {
    const last = found[found.length - 1]
    if (last) scale.saw(Math.max(found[0]?.id ?? 0, last.id))
    return found
  }

  async function insertUnlessTaken(q: Queryable, input: NewRepo, now: number): Promise<CreateRepoResult> {
    const pinned = input.id === undefined ? undefined : toRowId(input.id)
    const values: unknown[] = [
      Number(input.orgId),
      input.workspace,
      input.slug,
      input.name,
      input.description,
      input.homepage,
      input.visibility,
      input.archived,
      input.defaultBranch,
      input.headFullScanId ?? null,
      input.integrationMeta ? JSON.stringify(input.integrationMeta) : null,
      input.createdAt ?? now,
      input.updatedAt ?? input.createdAt ?? now,
    ]
    if (pinned !== undefined) values.push(pinned)
    const text = pinned === undefined ? createPlainSql : createPinnedSql
    for (let attempt = 1; ; attempt++) {
      let found: (RepoRow & { created: boolean })[]
      try {
        const name = scale.small ? undefined : scale.name(pinned === undefined ? 'repos_create' : 'repos_create_pinned')
        found = seen(await rows<RepoRow & { created: boolean }>(q, text, values, name))
      } catch (error) {
        if (isIdsExhausted(error, 'repos')) throw new IdsExhaustedError('repos')
        throw error
      }
      const [first] = found
      if (!first) {
        // A concurrent create of the slug committed after this statement's snapshot: run it again.
        if (attempt < 10) continue
        throw new Error(`create of repo ${input.slug} kept racing with concurrent writes`)
      }
      if (!first.created) return { created: false, existing: toRepo(first) }
      if (pinned !== undefined) await q.query({ name: 'repos_advance_id', text: advanceSequenceSql, values: [pinned] })
      return { created: true, repo: toRepo(first) }
    }
  }

  const listNames = new Map<string, { name: string; text: string }>()
  function listStatement(query: RepoListQuery, seek: boolean) {
    const byWorkspace = query.workspace !== undefined
    const key = `${query.sort}_${query.direction}_${query.includeArchived ? 'all' : 'live'}_${byWorkspace ? 'ws' : 'org'}_${seek ? 'seek' : 'scan'}`
    let statement = listNames.get(key)
    if (!statement) {
      statement = {
        name: `repos_list_${key}`,
        text: listSql(query.sort, query.direction, query.includeArchived, byWorkspace, seek),
      }
      listNames.set(key, statement)
    }
    return statement
  }

  const findInWorkspaceSql = `SELECT ${repoColumns} FROM repos WHERE org_id = $1 AND workspace = $2 AND slug = $3`
  const findByIdSql = `SELECT ${repoColumns} FROM repos WHERE org_id = $1 AND id = $2`
  const findAllWithSlugSql = `SELECT ${repoColumns} FROM repos WHERE org_id = $1 AND slug = $2 ORDER BY id LIMIT $3`
  const allOfOrgSql = `SELECT ${repoColumns} FROM repos WHERE org_id = $1 ORDER BY id`
  const deleteSql = `WITH deleted AS (DELETE FROM repos WHERE id = $1 RETURNING org_id, ${repoColumns}),
    bumped_repos AS (${bumpStep('deleted', 'repos')}),
    bumped_labels AS (${bumpStep('deleted', 'labels')})
    SELECT ${aliasedColumns} FROM deleted`

  const repository = {
    /** `create`, with an optional transaction's `q`: a whole-state import or a full scan's own transaction. */
    insert: (input: NewRepo, now: number, q: Queryable = ctx.q): Promise<CreateRepoResult> =>
      insertUnlessTaken(q, input, now),

    /** The org's repos, by id. */
    async allOfOrg(orgId: string): Promise<Repo[]> {
      return (await rows<RepoRow>(ctx.q, allOfOrgSql, [Number(orgId)], scale.name('repos_all_of_org'))).map(toRepo)
    },

    /**
     * Inserts the repo, or returns the one that already holds its (org, workspace, slug), in one
     * statement: a refused duplicate writes nothing, not even an id, and of concurrent creates of
     * one slug (in any process) exactly one inserts (the unique index decides).
     */
    async create(input: NewRepo, now: number): Promise<CreateRepoResult> {
      return insertUnlessTaken(ctx.q, input, now)
    },

    async findInWorkspace(orgId: string, workspace: string, slug: string): Promise<Repo | undefined> {
      if (holdsNul(workspace, slug)) return undefined
      const [found] = seen(
        await rows<RepoRow>(
          ctx.q,
          findInWorkspaceSql,
          [Number(orgId), workspace, slug],
          scale.name('repos_find_in_workspace'),
        ),
      )
      return found ? toRepo(found) : undefined
    },

    /** Every repo of the org with this slug, whatever its workspace (at most `limit`). */
    async findAllWithSlug(orgId: string, slug: string, limit: number): Promise<Repo[]> {
      if (holdsNul(slug)) return []
      const found = await rows<RepoRow>(
        ctx.q,
        findAllWithSlugSql,
        [Number(orgId), slug, limit],
        scale.name('repos_find_all_with_slug'),
      )
      return found.map(toRepo)
    },

    async findById(orgId: string, id: string): Promise<Repo | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const [found] = seen(
        await rows<RepoRow>(ctx.q, findByIdSql, [Number(orgId), rowId], scale.name('repos_find_by_id')),
      )
      return found ? toRepo(found) : undefined
    },

    /** The version of the org's repo lists: it changes with every change to the org's repos, in any process. */
    async listVersion(orgId: string): Promise<string> {
      return ctx.versions.of(ctx.q, 'repos', Number(orgId))
    },

    /**
     * A page in (sort, id) order; deep pages seek from a remembered position (list-cursor-cache.ts),
     * remembered under the org's repos version as committed in the database: a write by any
     * instance drops them.
     */
    async list(query: RepoListQuery): Promise<Page<Repo>> {
      if (holdsNul(query.workspace)) return { items: [], hasMore: false }
      const orgId = Number(query.orgId)
      const shape = `${query.sort}|${query.direction}|${query.includeArchived}|${query.workspace ?? '\u0000all'}`
      const version = await ctx.versions.of(ctx.q, 'repos', orgId)
      const start = query.offset > 0 ? cursors.nearest(orgId, version, shape, query.offset) : undefined
      const values: unknown[] = [orgId, query.limit + 1, offsetOf(query.offset - (start?.offset ?? 0))]
      if (query.workspace !== undefined) values.push(query.workspace)
      if (start) values.push(start.cursor.value, start.cursor.id)
      const statement = listStatement(query, start !== undefined)
      const found = seen(await rows<RepoRow>(ctx.q, statement.text, values, scale.name(statement.name)))
      const [first] = found
      if (first) cursors.remember(orgId, version, shape, query.offset, repoCursorOf(first, query.sort))
      const next = found[query.limit]
      if (next) cursors.remember(orgId, version, shape, query.offset + query.limit, repoCursorOf(next, query.sort))
      return { items: found.slice(0, query.limit).map(toRepo), hasMore: found.length > query.limit }
    },

    /**
     * Applies the patch and sets updated_at, and bumps the org's repos version, in one statement;
     * `conflict` when a workspace move would collide with a repo there.
     */
    async update(id: string, patch: RepoPatch, now: number): Promise<UpdateRepoResult> {
      const rowId = toRowId(id)
      if (rowId === undefined) return { updated: false, reason: 'not_found' }
      const values: unknown[] = [rowId, now]
      const sets = ['updated_at = $2']
      for (const key of Object.keys(patchColumns) as (keyof RepoPatch)[]) {
        const value = patch[key]
        if (value === undefined) continue
        values.push(value)
        sets.push(`${patchColumns[key]} = $${values.length}`)
      }
      try {
        const [updated] = await rows<RepoRow>(
          ctx.q,
          `WITH updated AS (UPDATE repos SET ${sets.join(', ')} WHERE id = $1 RETURNING org_id, ${repoColumns}),
             bumped AS (${bumpStep('updated', 'repos')})
           SELECT ${aliasedColumns} FROM updated`,
          values,
        )
        if (!updated) return { updated: false, reason: 'not_found' }
        return { updated: true, repo: toRepo(updated) }
      } catch (error) {
        if (isUniqueViolation(error)) return { updated: false, reason: 'conflict' }
        throw error
      }
    },

    /**
     * Deletes the repo — and, by foreign-key cascade in the same statement, its label associations,
     * scans and diff scans — bumping the org's repos and labels versions in that statement; with its
     * audit event, in one transaction.
     */
    async delete(id: string, now: number, auditOf?: AuditOf<Repo>): Promise<boolean> {
      const rowId = toRowId(id)
      if (rowId === undefined) return false
      const remove = async (q: Queryable) => {
        const [deleted] = await rows<RepoRow>(q, deleteSql, [rowId], scale.name('repos_delete'))
        if (deleted) await recordAudit(q, auditOf, toRepo(deleted), now)
        return deleted !== undefined
      }
      return auditOf ? ctx.tx(remove) : remove(ctx.q)
    },
  }
  return repository satisfies RepoRepository
}
