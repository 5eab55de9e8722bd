import { and, asc, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { toRowId } from '../ids.js'
import type { Token } from '../models.js'
import { orgs, tokens } from '../schema.js'

export interface NewToken {
  orgId: string
  name: string
  tokenHash: string
  tokenPrefix: string
  scopes: string[]
  maxQuota: number
}

/** The state of a token's quota after an attempt to spend from it. */
export interface QuotaState {
  /** Whether the units were spent. */
  spent: boolean
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

  // On every metered request: plain prepared statements, built once.
  const spend = db.$client.prepare(`
    UPDATE tokens SET
      quota_used = CASE WHEN window_started_at + @window <= @now THEN @cost ELSE quota_used + @cost END,
      window_started_at = CASE WHEN window_started_at + @window <= @now THEN @now ELSE window_started_at END,
      last_used_at = @now
    WHERE id = @id
      AND (CASE WHEN window_started_at + @window <= @now THEN @cost ELSE quota_used + @cost END) <= max_quota
    RETURNING quota_used AS used, max_quota AS max, window_started_at AS windowStartedAt`)
  const readState = db.$client.prepare(
    'SELECT quota_used AS used, max_quota AS max, window_started_at AS windowStartedAt FROM tokens WHERE id = @id',
  )

  return {
    /** Inserts a token; `undefined` when its hash is already stored (the same token twice). */
    async create(input: NewToken, now: number): Promise<Token | undefined> {
      const orgId = toRowId(input.orgId)
      if (orgId === undefined) return undefined
      const inserted = db
        .insert(tokens)
        .values({
          orgId,
          name: input.name,
          tokenHash: input.tokenHash,
          tokenPrefix: input.tokenPrefix,
          scopes: input.scopes.join(' '),
          maxQuota: input.maxQuota,
          createdAt: now,
        })
        .onConflictDoNothing()
        .returning({ id: tokens.id })
        .get()
      if (!inserted) return undefined
      const row = selectTokens().where(eq(tokens.id, inserted.id)).get()
      return row ? toToken(row) : undefined
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
     * Spends `cost` units in one atomic statement: a window that has run out restarts at `now`, and
     * the spend happens only if it fits under max_quota. Nothing is read and written separately, so
     * concurrent requests (or processes) can never overspend.
     */
    async spendQuota(id: string, cost: number, windowMs: number, now: number): Promise<QuotaState | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const spent = spend.get({ id: rowId, cost, window: windowMs, now }) as Omit<QuotaState, 'spent'> | undefined
      if (spent) return { spent: true, ...spent }
      const current = readState.get({ id: rowId }) as Omit<QuotaState, 'spent'> | undefined
      if (!current) return undefined
      const windowOver = current.windowStartedAt + windowMs <= now
      return windowOver ? { spent: false, used: 0, max: current.max, windowStartedAt: 0 } : { spent: false, ...current }
    },

    /** Reads a token's quota without spending; a window that has run out reads as unused. */
    async readQuota(id: string, windowMs: number, now: number): Promise<QuotaState | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const row = readState.get({ id: rowId }) as Omit<QuotaState, 'spent'> | undefined
      if (!row) return undefined
      if (row.windowStartedAt + windowMs <= now) return { spent: false, used: 0, max: row.max, windowStartedAt: 0 }
      return { spent: false, ...row }
    },
  }
}

export type TokenRepository = ReturnType<typeof createTokenRepository>
