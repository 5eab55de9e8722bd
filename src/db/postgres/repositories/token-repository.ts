import { toRowId } from '../../ids.js'
import type { Page, Token } from '../../models.js'
import { type TokenRow, toToken } from '../../rows.js'
import type { NewToken, QuotaState, StoredToken, TokenRepository, TokenSelector } from '../../types.js'
import { holdsNul, isForeignKeyViolation, type Queryable, row, rows } from '../client.js'
import type { PgContext } from '../context.js'
import { recordAudit } from './audit-repository.js'
import { advanceIdentity, checkedInsert } from './org-repository.js'

/** A token's columns (`t`) with its org's slug (`o`), in the order of the SQLite repository's selection. */
const tokenColumns = `t.id, t.org_id AS "orgId", o.slug AS "orgSlug", t.name, t.token_prefix AS "tokenPrefix", t.scopes,
  t.max_quota AS "maxQuota", t.quota_used AS "quotaUsed", t.window_started_at AS "windowStartedAt",
  t.created_at AS "createdAt", t.last_used_at AS "lastUsedAt", t.revoked_at AS "revokedAt",
  t.token_hash AS "tokenHash", t.group_uuid AS "groupUuid", t.visibility, t.committers`

const fromTokens = `FROM tokens t JOIN orgs o ON o.id = t.org_id`

/** The columns of an insert, in the order of its parameters $1…$12 (and $13 for a pinned id). */
const insertColumns = `org_id, name, token_hash, token_prefix, scopes, max_quota, created_at, revoked_at, group_uuid,
  visibility, committers, quota_used, window_started_at`

export function createTokenRepository(ctx: PgContext): TokenRepository & {
  insert(input: NewToken, now: number): Promise<Token | undefined>
  allOfOrg(orgId: string): Promise<StoredToken[]>
} {
  async function selectById(q: Queryable, id: number, lock = false): Promise<Token | undefined> {
    const found = await row<TokenRow>(
      q,
      `SELECT ${tokenColumns} ${fromTokens} WHERE t.id = $1${lock ? ' FOR UPDATE OF t' : ''}`,
      [id],
      lock ? 'tokens_by_id_for_update' : 'tokens_by_id',
    )
    return found ? toToken(found) : undefined
  }

  /**
   * The insert itself, with `q`: one statement (undefined when the hash or the id is taken, or the
   * org is gone), plus the identity moved past a pinned id. `quota` carries a rotated token's use.
   */
  async function insertWith(
    q: Queryable,
    input: NewToken,
    now: number,
    quota: { used: number; windowStartedAt: number } = { used: 0, windowStartedAt: 0 },
  ): Promise<Token | undefined> {
    const orgId = toRowId(input.orgId)
    if (orgId === undefined) return undefined
    const pinned = input.id === undefined ? undefined : toRowId(input.id)
    const values: unknown[] = [
      orgId,
      input.name,
      input.tokenHash,
      input.tokenPrefix,
      input.scopes.join(' '),
      input.maxQuota,
      input.createdAt ?? now,
      input.revokedAt ?? null,
      input.groupUuid,
      input.visibility ?? 'organization',
      JSON.stringify(input.committers ?? []),
      quota.used,
      quota.windowStartedAt,
    ]
    // The org's row in the SELECT: a missing org inserts nothing (rather than fail the foreign key).
    // NOT EXISTS spares an id when the hash (or the id) is plainly taken; ON CONFLICT settles a race.
    const params = `$1::bigint, $2::text, $3::text, $4::text, $5::text, $6::bigint, $7::bigint, $8::bigint, $9::text,
      $10::text, $11::text, $12::bigint, $13::bigint`
    const text =
      pinned === undefined
        ? `WITH t AS (
             INSERT INTO tokens (${insertColumns}) SELECT ${params} FROM orgs
             WHERE id = $1::bigint AND NOT EXISTS (SELECT 1 FROM tokens WHERE token_hash = $3::text)
             ON CONFLICT DO NOTHING RETURNING *)
           SELECT ${tokenColumns} FROM t JOIN orgs o ON o.id = t.org_id`
        : `WITH t AS (
             INSERT INTO tokens (id, ${insertColumns}) SELECT $14::bigint, ${params} FROM orgs
             WHERE id = $1::bigint AND NOT EXISTS (SELECT 1 FROM tokens WHERE token_hash = $3::text OR id = $14::bigint)
             ON CONFLICT DO NOTHING RETURNING *)
           SELECT ${tokenColumns} FROM t JOIN orgs o ON o.id = t.org_id`
    let inserted: TokenRow | undefined
    try {
      inserted = await checkedInsert('tokens', () =>
        row<TokenRow>(
          q,
          text,
          pinned === undefined ? values : [...values, pinned],
          pinned === undefined ? 'tokens_insert' : 'tokens_insert_pinned',
        ),
      )
    } catch (error) {
      // The org was deleted by another process between the SELECT and the foreign-key check.
      if (isForeignKeyViolation(error)) return undefined
      throw error
    }
    if (inserted && pinned !== undefined) await advanceIdentity(q, 'tokens', pinned)
    return inserted ? toToken(inserted) : undefined
  }

  /**
   * Inserts a token; `undefined` when its hash (or the given id) is already stored, or the org
   * does not exist. Runs in the context's transaction.
   */
  function insert(input: NewToken, now: number): Promise<Token | undefined> {
    if (input.id === undefined || toRowId(input.id) === undefined) return insertWith(ctx.q, input, now)
    return ctx.tx((q) => insertWith(q, input, now))
  }

  /** The org's tokens with their digests, by id. */
  async function allOfOrg(orgId: string): Promise<StoredToken[]> {
    const rowId = toRowId(orgId)
    if (rowId === undefined) return []
    const found = await rows<TokenRow>(
      ctx.q,
      `SELECT ${tokenColumns} ${fromTokens} WHERE t.org_id = $1 ORDER BY t.id`,
      [rowId],
    )
    return found.map((r) => ({ ...toToken(r), tokenHash: r.tokenHash }))
  }

  function selectorCondition(selector: TokenSelector, values: unknown[]): string {
    if ('id' in selector) {
      values.push(toRowId(selector.id) ?? -1)
      return `t.id = $${values.length}`
    }
    if ('tokenHash' in selector) {
      values.push(selector.tokenHash)
      return `t.token_hash = $${values.length}`
    }
    values.push(selector.groupUuid)
    return `t.group_uuid = $${values.length}`
  }

  return {
    insert,
    allOfOrg,

    /** Inserts a token; `undefined` when its hash is already stored (the same token twice). */
    async create(input, now, auditOf) {
      if (!auditOf) return insert(input, now)
      return ctx.tx(async (q) => {
        const token = await insertWith(q, input, now)
        if (token) await recordAudit(q, auditOf, token, now)
        return token
      })
    },

    /** The org's active token named by the selector (several selectors: all must name the same token). */
    async findActiveInOrg(orgId, selectors) {
      const org = toRowId(orgId)
      if (org === undefined || selectors.length === 0) return undefined
      if (selectors.some((selector) => holdsNul(...Object.values(selector)))) return undefined
      const values: unknown[] = [org]
      const conditions = selectors.map((selector) => selectorCondition(selector, values))
      const found = await row<TokenRow>(
        ctx.q,
        `SELECT ${tokenColumns} ${fromTokens}
         WHERE t.org_id = $1 AND t.revoked_at IS NULL AND ${conditions.join(' AND ')} ORDER BY t.id LIMIT 1`,
        values,
      )
      return found ? toToken(found) : undefined
    },

    /** The org's active tokens by creation (then id), a page at a time. */
    async listActive(orgId, direction, limit, offset): Promise<Page<Token>> {
      const order = direction === 'asc' ? 't.created_at ASC, t.id ASC' : 't.created_at DESC, t.id DESC'
      const found = await rows<TokenRow>(
        ctx.q,
        `SELECT ${tokenColumns} ${fromTokens} WHERE t.org_id = $1 AND t.revoked_at IS NULL
         ORDER BY ${order} LIMIT $2 OFFSET $3`,
        [toRowId(orgId) ?? -1, limit + 1, offset],
        `tokens_list_active_${direction}`,
      )
      return { items: found.slice(0, limit).map(toToken), hasMore: found.length > limit }
    },

    /** Changes an active token's settings; undefined when there is no such active token. */
    async update(id, patch, now, auditOf) {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      return ctx.tx(async (q) => {
        const before = await selectById(q, rowId, true)
        if (!before || before.revokedAt !== null) return undefined
        await q.query({
          name: 'tokens_update',
          text: `UPDATE tokens SET name = coalesce($2, name), scopes = $3, max_quota = $4, visibility = $5,
                   committers = $6
                 WHERE id = $1`,
          values: [
            rowId,
            patch.name ?? null,
            patch.scopes.join(' '),
            patch.maxQuota,
            patch.visibility,
            JSON.stringify(patch.committers),
          ],
        })
        const after = await selectById(q, rowId)
        if (after) await recordAudit(q, auditOf, { before, after }, now)
        return after
      })
    },

    /**
     * Replaces an active token by a new one of the same group, settings and quota use (a rotation
     * must not refill a quota), and revokes the old one, in one transaction. Undefined when the old
     * token is not active or the new value is taken.
     */
    async rotate(id, value, now, auditOf) {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      return ctx.tx(async (q) => {
        // Locked: of concurrent rotations (or a rotation and a revocation) of one token, one wins.
        const old = await selectById(q, rowId, true)
        if (!old || old.revokedAt !== null) return undefined
        const inserted = await insertWith(
          q,
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
          { used: old.quotaUsed, windowStartedAt: old.windowStartedAt },
        )
        if (!inserted) return undefined
        await q.query({
          name: 'tokens_revoke',
          text: 'UPDATE tokens SET revoked_at = $2 WHERE id = $1',
          values: [rowId, now],
        })
        const replacement = inserted
        await recordAudit(q, auditOf, { old, replacement }, now)
        return replacement
      })
    },

    async findActiveByHash(tokenHash) {
      if (holdsNul(tokenHash)) return undefined
      const found = await row<TokenRow>(
        ctx.q,
        `SELECT ${tokenColumns} ${fromTokens} WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
        [tokenHash],
        'tokens_active_by_hash',
      )
      return found ? toToken(found) : undefined
    },

    async existsByHash(tokenHash) {
      if (holdsNul(tokenHash)) return false
      const found = await row<{ id: number }>(
        ctx.q,
        'SELECT id FROM tokens WHERE token_hash = $1',
        [tokenHash],
        'tokens_exists_by_hash',
      )
      return found !== undefined
    },

    async findById(id) {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      return selectById(ctx.q, rowId)
    },

    async list(orgSlug) {
      if (holdsNul(orgSlug)) return []
      const found =
        orgSlug === undefined
          ? await rows<TokenRow>(ctx.q, `SELECT ${tokenColumns} ${fromTokens} ORDER BY t.id`)
          : await rows<TokenRow>(ctx.q, `SELECT ${tokenColumns} ${fromTokens} WHERE o.slug = $1 ORDER BY t.id`, [
              orgSlug,
            ])
      return found.map(toToken)
    },

    /** Marks a token revoked; false when there is no such active token. */
    async revoke(id, now, auditOf) {
      const rowId = toRowId(id)
      if (rowId === undefined) return false
      return ctx.tx(async (q) => {
        const token = await selectById(q, rowId, true)
        if (!token || token.revokedAt !== null) return false
        await q.query({
          name: 'tokens_revoke',
          text: 'UPDATE tokens SET revoked_at = $2 WHERE id = $1',
          values: [rowId, now],
        })
        await recordAudit(q, auditOf, token, now)
        return true
      })
    },

    /**
     * Takes up to `want` units (at least `min`) out of the token's quota for the current window, in
     * one statement: the token's row is locked, read, and written when the units are granted (a
     * window that has run out restarts at `now`). `granted` is 0 when fewer than `min` units are
     * left (nothing is written then); undefined when there is no such token. Concurrent
     * reservations of one token, from any process, queue on the row lock, so none spends the same
     * units as another.
     */
    async reserveQuota(id, want, min, windowMs, now) {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const found = await row<QuotaState & { granted: number }>(
        ctx.q,
        `WITH locked AS (
           SELECT id, max_quota, quota_used, window_started_at FROM tokens WHERE id = $1::bigint FOR NO KEY UPDATE
         ), windowed AS (
           SELECT id, max_quota AS max, window_started_at + $4::bigint <= $5::bigint AS over,
             CASE WHEN window_started_at + $4::bigint <= $5::bigint THEN 0 ELSE quota_used END AS used,
             CASE WHEN window_started_at + $4::bigint <= $5::bigint THEN $5::bigint ELSE window_started_at END AS started
           FROM locked
         ), decided AS (
           SELECT *, max - used >= $3::bigint AS ok,
             CASE WHEN max - used >= $3::bigint THEN least($2::bigint, max - used) ELSE 0 END AS granted
           FROM windowed
         ), reserved AS (
           UPDATE tokens SET quota_used = d.used + d.granted, window_started_at = d.started, last_used_at = $5::bigint
           FROM decided d WHERE tokens.id = d.id AND d.ok
         )
         SELECT granted, max,
           CASE WHEN NOT ok AND over THEN 0 ELSE used + granted END AS used,
           CASE WHEN NOT ok AND over THEN 0 ELSE started END AS "windowStartedAt"
         FROM decided`,
        [rowId, want, min, windowMs, now],
        'tokens_reserve_quota',
      )
      if (!found) return undefined
      return { granted: found.granted, used: found.used, max: found.max, windowStartedAt: found.windowStartedAt }
    },

    /** Gives back units reserved in a window, unless that window has since ended or been reset. */
    async releaseQuota(id, units, windowStartedAt) {
      const rowId = toRowId(id)
      if (rowId === undefined || units <= 0) return
      await ctx.q.query({
        name: 'tokens_release_quota',
        text: `UPDATE tokens SET quota_used = greatest(0, quota_used - $2) WHERE id = $1 AND window_started_at = $3`,
        values: [rowId, units, windowStartedAt],
      })
    },

    /** Reads a token's quota without spending; a window that has run out reads as unused. */
    async readQuota(id, windowMs, now) {
      const rowId = toRowId(id)
      if (rowId === undefined) return undefined
      const found = await row<QuotaState>(
        ctx.q,
        `SELECT quota_used AS used, max_quota AS max, window_started_at AS "windowStartedAt" FROM tokens WHERE id = $1`,
        [rowId],
        'tokens_read_quota',
      )
      if (!found) return undefined
      if (found.windowStartedAt + windowMs <= now) return { used: 0, max: found.max, windowStartedAt: 0 }
      return found
    },
  }
}
