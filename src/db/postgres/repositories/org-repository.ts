import { IdsExhaustedError, toRowId } from '../../ids.js'
import type { Org } from '../../models.js'
import { type OrgRow, toOrg } from '../../rows.js'
import type { NewOrg, OrgRepository } from '../../types.js'
import { holdsNul, isCheckViolation, type Queryable, row, rows } from '../client.js'
import type { PgContext } from '../context.js'
import { bumpStep } from '../data-versions.js'

const orgColumns = 'id, slug, name, image, plan, created_at AS "createdAt"'

/**
 * After a row was inserted with a pinned id: moves the table's identity past it, as SQLite's
 * AUTOINCREMENT does, so the next generated id neither collides with it nor is handed out below it
 * (and a pinned id at 2^53 − 1 leaves no ids: the next insert fails the table's `<table>_id_max` CHECK).
 */
export async function advanceIdentity(q: Queryable, table: 'orgs' | 'tokens', id: number): Promise<void> {
  await q.query({
    name: `${table}_advance_identity`,
    text: `SELECT setval('${table}_id_seq', $1::bigint) FROM ${table}_id_seq
           WHERE $1::bigint > (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)`,
    values: [id],
  })
}

/** Runs an insert; a generated id past 2^53 − 1 (the table's CHECK) is `IdsExhaustedError`. */
export async function checkedInsert<T>(table: string, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert()
  } catch (error) {
    if (isCheckViolation(error)) throw new IdsExhaustedError(table)
    throw error
  }
}

export function createOrgRepository(ctx: PgContext): OrgRepository & {
  insert(input: NewOrg, now: number): Promise<Org | undefined>
  all(): Promise<Org[]>
} {
  /** The insert itself, with `q`: one statement, plus the identity moved past a pinned id. */
  async function insertWith(q: Queryable, input: NewOrg, now: number): Promise<Org | undefined> {
    const pinned = input.id === undefined ? undefined : toRowId(input.id)
    const values = [input.slug, input.name, input.image ?? null, input.plan ?? 'enterprise', input.createdAt ?? now]
    // NOT EXISTS spares an id when the slug (or the id) is plainly taken; ON CONFLICT settles a race.
    const inserted = await checkedInsert('orgs', () =>
      pinned === undefined
        ? row<OrgRow>(
            q,
            `INSERT INTO orgs (slug, name, image, plan, created_at)
             SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint
             WHERE NOT EXISTS (SELECT 1 FROM orgs WHERE slug = $1::text)
             ON CONFLICT DO NOTHING RETURNING ${orgColumns}`,
            values,
            'orgs_insert',
          )
        : row<OrgRow>(
            q,
            `INSERT INTO orgs (id, slug, name, image, plan, created_at)
             SELECT $6::bigint, $1::text, $2::text, $3::text, $4::text, $5::bigint
             WHERE NOT EXISTS (SELECT 1 FROM orgs WHERE slug = $1::text OR id = $6::bigint)
             ON CONFLICT DO NOTHING RETURNING ${orgColumns}`,
            [...values, pinned],
            'orgs_insert_pinned',
          ),
    )
    if (inserted && pinned !== undefined) await advanceIdentity(q, 'orgs', pinned)
    return inserted ? toOrg(inserted) : undefined
  }

  /** Inserts an org; `undefined` when the slug (or the given id) is taken. Runs in the context's transaction. */
  function insert(input: NewOrg, now: number): Promise<Org | undefined> {
    if (input.id === undefined || toRowId(input.id) === undefined) return insertWith(ctx.q, input, now)
    return ctx.tx((q) => insertWith(q, input, now))
  }

  /** Every org, by id. */
  async function all(): Promise<Org[]> {
    return (await rows<OrgRow>(ctx.q, `SELECT ${orgColumns} FROM orgs ORDER BY id`)).map(toOrg)
  }

  return {
    insert,
    all,

    /** Inserts an org; `undefined` when the slug (or the given id) is taken. */
    create(input, now) {
      return insert(input, now)
    },

    async findBySlug(slug) {
      if (holdsNul(slug)) return undefined
      const found = await row<OrgRow>(ctx.q, `SELECT ${orgColumns} FROM orgs WHERE slug = $1`, [slug], 'orgs_by_slug')
      return found ? toOrg(found) : undefined
    },

    async findById(id) {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const found = await row<OrgRow>(ctx.q, `SELECT ${orgColumns} FROM orgs WHERE id = $1`, [rowId], 'orgs_by_id')
      return found ? toOrg(found) : undefined
    },

    list() {
      return all()
    },

    async count() {
      return (await row<{ n: number }>(ctx.q, 'SELECT count(*) AS n FROM orgs'))?.n ?? 0
    },

    /**
     * Deletes the org with its tokens, repos, labels and associations (foreign-key cascade), and
     * bumps the org's repo and label list versions, in one statement.
     */
    async deleteBySlug(slug) {
      if (holdsNul(slug)) return false
      const deleted = await rows<{ org_id: number }>(
        ctx.q,
        `WITH deleted AS (DELETE FROM orgs WHERE slug = $1 RETURNING id AS org_id),
           bump_repos AS (${bumpStep('deleted', 'repos')}),
           bump_labels AS (${bumpStep('deleted', 'labels')})
         SELECT org_id FROM deleted`,
        [slug],
        'orgs_delete_by_slug',
      )
      return deleted.length > 0
    },
  }
}
