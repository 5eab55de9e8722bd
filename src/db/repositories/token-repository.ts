import { and, asc, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { checkedRowId, toRowId } from '../ids.js'
import type { Token } from '../models.js'
import { orgs, tokens } from '../schema.js'

export interface NewToken {
  orgId: string
  name: string
  tokenHash: string
  tokenPrefix: string
  scopes: string[]
  maxQuota: number
  /** Fixtures may pin the id and times, and import a revoked token. */
  id?: string
  createdAt?: number
  revokedAt?: number | null
}

/** A token as a whole-state export writes it: its digest, never its value. */
export type StoredToken = Token & { tokenHash: string }

/** The state of a token's quota in its current window. */
export interface QuotaState {
  used: number
  max: number
  /** Start of the current window, 0 when none is running. */
  windowStartedAt: number
}

const tokenColumns = {
  id: tokens.id,
  orgId: tokens.orgId,
  orgSlug: orgs.slug,
  name: tokens.name,
  tokenPrefix: tokens.tokenPrefix,
  scopes: tokens.scopes,
  maxQuota: tokens.maxQuota,
  quotaUsed: tokens.quotaUsed,
  windowStartedAt: tokens.windowStartedAt,
  createdAt: tokens.createdAt,
  lastUsedAt: tokens.lastUsedAt,
  revokedAt: tokens.revokedAt,
}

type TokenSelection = Omit<Token, 'id' | 'orgId' | 'scopes'> & { id: number; orgId: number; scopes: string }

function toToken(row: TokenSelection): Token {
  return {
    ...row,
    id: String(row.id),
    orgId: String(row.orgId),
    scopes: row.scopes.split(' ').filter(Boolean),
  }
}

export function createTokenRepository(db: Db) {
  const selectTokens = () => db.select(tokenColumns).from(tokens).innerJoin(orgs, eq(orgs.id, tokens.orgId))
  const findActiveByHash = selectTokens()
    .where(and(eq(tokens.tokenHash, sql.placeholder('hash')), isNull(tokens.revokedAt)))
    .prepare()

  // Quota bookkeeping: plain prepared statements, built once.
  const reserve = db.$client.prepare(
    'UPDATE tokens SET quota_used = @used, window_started_at = @windowStartedAt, last_used_at = @now WHERE id = @id',
  )
  const release = db.$client.prepare(
    `UPDATE tokens SET quota_used = MAX(0, quota_used - @units)
     WHERE id = @id AND window_started_at = @windowStartedAt`,
  )
  const readState = db.$client.prepare(
    'SELECT quota_used AS used, max_quota AS max, window_started_at AS windowStartedAt FROM tokens WHERE id = @id',
  )
  const takeQuota = db.$client.transaction((id: number, want: number, min: number, windowMs: number, now: number) => {
    const row = readState.get({ id }) as QuotaState | undefined
    if (!row) return undefined
    const windowOver = row.windowStartedAt + windowMs <= now
    const used = windowOver ? 0 : row.used
    const windowStartedAt = windowOver ? now : row.windowStartedAt
    const left = row.max - used
    if (left < min) {
      const state = windowOver ? { used: 0, windowStartedAt: 0 } : { used, windowStartedAt }
      return { granted: 0, max: row.max, ...state }
    }
    const granted = Math.min(want, left)
    reserve.run({ id, used: used + granted, windowStartedAt, now })
    return { granted, used: used + granted, max: row.max, windowStartedAt }
  })

  /**
   * Inserts a token; `undefined` when its hash (or the given id) is already stored, or the org
   * does not exist. Synchronous: usable inside a transaction.
   */
  function insert(input: NewToken, now: number): Token | undefined {
    const orgId = toRowId(input.orgId)
    if (orgId === undefined) return undefined
    const inserted = db
      .insert(tokens)
      .values({
        id: input.id === undefined ? undefined : toRowId(input.id),
        orgId,
        name: input.name,
        tokenHash: input.tokenHash,
        tokenPrefix: input.tokenPrefix,
        scopes: input.scopes.join(' '),
        maxQuota: input.maxQuota,
        createdAt: input.createdAt ?? now,
        revokedAt: input.revokedAt ?? null,
      })
      .onConflictDoNothing()
      .returning({ id: tokens.id })
      .get()
    if (!inserted) return undefined
    const row = selectTokens()
      .where(eq(tokens.id, checkedRowId(inserted.id, 'tokens')))
      .get()
    return row ? toToken(row) : undefined
  }

  /** The org's tokens with their digests, by id. Synchronous: usable inside a transaction. */
  function allOfOrg(orgId: string): StoredToken[] {
    return db
      .select({ ...tokenColumns, tokenHash: tokens.tokenHash })
      .from(tokens)
      .innerJoin(orgs, eq(orgs.id, tokens.orgId))
      .where(eq(tokens.orgId, Number(orgId)))
      .orderBy(asc(tokens.id))
      .all()
      .map((row) => ({ ...toToken(row), tokenHash: row.tokenHash }))
  }

  return {
    insert,
    allOfOrg,

    /** Inserts a token; `undefined` when its hash is already stored (the same token twice). */
    async create(input: NewToken, now: number): Promise<Token | undefined> {
      return db.transaction(() => insert(input, now), { behavior: 'immediate' })
    },

    async findActiveByHash(tokenHash: string): Promise<Token | undefined> {
      const row = findActiveByHash.get({ hash: tokenHash })
      return row ? toToken(row) : undefined
    },

    async existsByHash(tokenHash: string): Promise<boolean> {
      return db.select({ id: tokens.id }).from(tokens).where(eq(tokens.tokenHash, tokenHash)).get() !== undefined
    },

    async findById(id: string): Promise<Token | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const row = selectTokens().where(eq(tokens.id, rowId)).get()
      return row ? toToken(row) : undefined
    },

    async list(orgSlug?: string): Promise<Token[]> {
      const query = selectTokens()
      const rows = (orgSlug === undefined ? query : query.where(eq(orgs.slug, orgSlug))).orderBy(asc(tokens.id)).all()
      return rows.map(toToken)
    },

    /** Marks a token revoked; false when there is no such active token. */
    async revoke(id: string, now: number): Promise<boolean> {
      const rowId = toRowId(id)
      if (rowId === undefined) return false
      return (
        db
          .update(tokens)
          .set({ revokedAt: now })
          .where(and(eq(tokens.id, rowId), isNull(tokens.revokedAt)))
          .run().changes > 0
      )
    },

    /**
     * Takes up to `want` units (at least `min`) out of the token's quota for the current window, in
     * one write transaction: a window that has run out restarts at `now`. `granted` is 0 when fewer
     * than `min` units are left; undefined when there is no such token. The units count as used in
     * the database from now on, so no other process can spend them too.
     */
    async reserveQuota(
      id: string,
      want: number,
      min: number,
      windowMs: number,
      now: number,
    ): Promise<(QuotaState & { granted: number }) | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      return takeQuota.immediate(rowId, want, min, windowMs, now)
    },

    /** Gives back units reserved in a window, unless that window has since ended or been reset. */
    async releaseQuota(id: string, units: number, windowStartedAt: number): Promise<void> {
      const rowId = toRowId(id)
      if (rowId === undefined || units <= 0) return
      release.run({ id: rowId, units, windowStartedAt })
    },

    /** Reads a token's quota without spending; a window that has run out reads as unused. */
    async readQuota(id: string, windowMs: number, now: number): Promise<QuotaState | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const row = readState.get({ id: rowId }) as QuotaState | undefined
      if (!row) return undefined
      if (row.windowStartedAt + windowMs <= now) return { used: 0, max: row.max, windowStartedAt: 0 }
      return row
    },
  }
}

export type TokenRepository = ReturnType<typeof createTokenRepository>
