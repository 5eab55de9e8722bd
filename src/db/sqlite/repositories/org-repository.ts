import { asc, count, eq } from 'drizzle-orm'
import { checkedRowId, toRowId } from '../../ids.js'
import type { Org } from '../../models.js'
import { toOrg } from '../../rows.js'
import type { NewOrg } from '../../types.js'
import type { Db } from '../client.js'
import type { DataVersions } from '../data-versions.js'
import { orgs } from '../schema.js'

export function createOrgRepository(db: Db, versions?: DataVersions) {
  /** Inserts an org; `undefined` when the slug (or the given id) is taken. Synchronous: usable inside a transaction. */
  function insert(input: NewOrg, now: number): Org | undefined {
    const row = db
      .insert(orgs)
      .values({
        id: input.id === undefined ? undefined : toRowId(input.id),
        slug: input.slug,
        name: input.name,
        image: input.image ?? null,
        plan: input.plan ?? 'enterprise',
        createdAt: input.createdAt ?? now,
      })
      .onConflictDoNothing()
      .returning()
      .get()
    if (row) checkedRowId(row.id, 'orgs')
    return row ? toOrg(row) : undefined
  }

  /** Every org, by id. Synchronous: usable inside a transaction. */
  function all(): Org[] {
    return db.select().from(orgs).orderBy(asc(orgs.id)).all().map(toOrg)
  }

  return {
    insert,
    all,

    /** Inserts an org; `undefined` when the slug (or the given id) is taken. */
    async create(input: NewOrg, now: number): Promise<Org | undefined> {
      return db.transaction(() => insert(input, now), { behavior: 'immediate' })
    },

    async findBySlug(slug: string): Promise<Org | undefined> {
      const row = db.select().from(orgs).where(eq(orgs.slug, slug)).get()
      return row ? toOrg(row) : undefined
    },

    async findById(id: string): Promise<Org | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const row = db.select().from(orgs).where(eq(orgs.id, rowId)).get()
      return row ? toOrg(row) : undefined
    },

    async list(): Promise<Org[]> {
      return all()
    },

    async count(): Promise<number> {
      return db.select({ n: count() }).from(orgs).get()?.n ?? 0
    },

    /** Deletes the org with its tokens, repos, labels and associations (foreign-key cascade, one statement). */
    async deleteBySlug(slug: string): Promise<boolean> {
      const deleted = db.delete(orgs).where(eq(orgs.slug, slug)).returning({ id: orgs.id }).get()
      if (deleted) versions?.bump(deleted.id, 'repos', 'labels')
      return deleted !== undefined
    },
  }
}

export type SqliteOrgRepository = ReturnType<typeof createOrgRepository>
