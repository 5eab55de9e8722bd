import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm'
import { checkedRowId, toRowId } from '../../ids.js'
import type { AuditOf, Page, Token } from '../../models.js'
import { toToken } from '../../rows.js'
import type { NewToken, QuotaState, StoredToken, TokenPatch, TokenSelector } from '../../types.js'
import type { Db } from '../client.js'
import { orgs, tokens } from '../schema.js'
import { type AuditWriter, recordAudit } from './audit-repository.js'

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
  tokenHash: tokens.tokenHash,
  groupUuid: tokens.groupUuid,
  visibility: tokens.visibility,
  committers: tokens.committers,
}

export function createTokenRepository(db: Db, audit?: AuditWriter) {
  function record<R>(auditOf: AuditOf<R> | undefined, result: R, now: number): void {
    recordAudit(audit, auditOf, result, now)
  }
  function selectById(id: number): Token | undefined {
    const row = selectTokens().where(eq(tokens.id, id)).get()
    return row ? toToken(row) : undefined
  }
  function selectorCondition(selector: TokenSelector) {
    if ('id' in selector) return eq(tokens.id, toRowId(selector.id) ?? -1)
    if ('tokenHash' in selector) return eq(tokens.tokenHash, selector.tokenHash)
    return eq(tokens.groupUuid, selector.groupUuid)
  }

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
        groupUuid: input.groupUuid,
        visibility: input.visibility ?? 'organization',
        committers: JSON.stringify(input.committers ?? []),
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
    async create(input: NewToken, now: number, auditOf?: AuditOf<Token>): Promise<Token | undefined> {
      return db.transaction(
        () => {
          const token = insert(input, now)
          if (token) record(auditOf, token, now)
          return token
        },
        { behavior: 'immediate' },
      )
    },

    /** The org's active token named by the selector (several selectors: all must name the same token). */
    async findActiveInOrg(orgId: string, selectors: TokenSelector[]): Promise<Token | undefined> {
      const org = toRowId(orgId)
      if (org === undefined || selectors.length === 0) return undefined
      const row = selectTokens()
        .where(and(eq(tokens.orgId, org), isNull(tokens.revokedAt), ...selectors.map(selectorCondition)))
        .get()
      return row ? toToken(row) : undefined
    },

    /** The org's active tokens by creation (then id), a page at a time. */
    async listActive(orgId: string, direction: 'asc' | 'desc', limit: number, offset: number): Promise<Page<Token>> {
      const order =
        direction === 'asc' ? [asc(tokens.createdAt), asc(tokens.id)] : [desc(tokens.createdAt), desc(tokens.id)]
      const rows = selectTokens()
        .where(and(eq(tokens.orgId, toRowId(orgId) ?? -1), isNull(tokens.revokedAt)))
        .orderBy(...order)
        .limit(limit + 1)
        .offset(offset)
        .all()
      return { items: rows.slice(0, limit).map(toToken), hasMore: rows.length > limit }
    },

    /** Changes an active token's settings; undefined when there is no such active token. */
    async update(id: string, patch: TokenPatch, now: number, auditOf?: AuditOf<{ before: Token; after: Token }>) {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      return db.transaction(
        () => {
          const before = selectById(rowId)
          if (!before || before.revokedAt !== null) return undefined
          db.update(tokens)
            .set({
              ...(patch.name === undefined ? {} : { name: patch.name }),
              scopes: patch.scopes.join(' '),
              maxQuota: patch.maxQuota,
              visibility: patch.visibility,
              committers: JSON.stringify(patch.committers),
            })
            .where(eq(tokens.id, rowId))
            .run()
          const after = selectById(rowId)
          if (after) record(auditOf, { before, after }, now)
          return after
        },
        { behavior: 'immediate' },
      )
    },

    /**
     * Replaces an active token by a new one of the same group, settings and quota use (a rotation
     * must not refill a quota), and revokes the old one, in one transaction. Undefined when the old
     * token is not active or the new value is taken.
     */
    async rotate(
      id: string,
      value: { tokenHash: string; tokenPrefix: string },
      now: number,
      auditOf?: AuditOf<{ old: Token; replacement: Token }>,
    ): Promise<Token | undefined> {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      return db.transaction(
        () => {
          const old = selectById(rowId)
          if (!old || old.revokedAt !== null) return undefined
          const inserted = insert(
            {
              orgId: old.orgId,
              name: old.name,
              tokenHash: value.tokenHash,
              tokenPrefix: value.tokenPrefix,
              scopes: old.scopes,
              maxQuota: old.maxQuota,
              groupUuid: old.groupUuid,
              visibility: old.visibility,
              committers: old.committers,
            },
            now,
          )
          if (!inserted) return undefined
          const newId = Number(inserted.id)
          db.update(tokens)
            .set({ quotaUsed: old.quotaUsed, windowStartedAt: old.windowStartedAt })
            .where(eq(tokens.id, newId))
            .run()
          db.update(tokens).set({ revokedAt: now }).where(eq(tokens.id, rowId)).run()
          const replacement = selectById(newId)
          if (replacement) record(auditOf, { old, replacement }, now)
          return replacement
        },
        { behavior: 'immediate' },
      )
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
    async revoke(id: string, now: number, auditOf?: AuditOf<Token>): Promise<boolean> {
      const rowId = toRowId(id)
      if (rowId === undefined) return false
      return db.transaction(
        () => {
          const token = selectById(rowId)
          if (!token || token.revokedAt !== null) return false
          db.update(tokens).set({ revokedAt: now }).where(eq(tokens.id, rowId)).run()
          record(auditOf, token, now)
          return true
        },
        { behavior: 'immediate' },
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

export type SqliteTokenRepository = ReturnType<typeof createTokenRepository>
