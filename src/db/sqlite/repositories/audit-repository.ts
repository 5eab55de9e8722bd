import type { AuditEvent, AuditOf, NewAuditEvent, Page } from '../../models.js'
import { type AuditEventRow, toAuditEvent } from '../../rows.js'
import type { AuditQuery } from '../../types.js'
import type { Db } from '../client.js'

const columns = `id, org_id AS orgId, type, actor_token_id AS actorTokenId, actor_name AS actorName, payload,
  created_at AS createdAt`

/**
 * The audit log. `write` is synchronous on purpose: the other repositories call it inside the
 * transaction of the change it records (better-sqlite3 runs every statement of this connection in
 * the open transaction), so an event exists exactly when its change was committed.
 */
export function createAuditRepository(db: Db) {
  const sqlite = db.$client
  const insert = sqlite.prepare(
    `INSERT INTO audit_events (org_id, type, actor_token_id, actor_name, payload, created_at)
     VALUES (@orgId, @type, @actorTokenId, @actorName, @payload, @createdAt)`,
  )
  const pageStatements = new Map<string, ReturnType<typeof sqlite.prepare<Record<string, unknown>, AuditEventRow>>>()
  function pageStatement(byType: boolean, before: boolean) {
    const key = `${byType}|${before}`
    let statement = pageStatements.get(key)
    if (!statement) {
      const where = ['org_id = @orgId']
      if (byType) where.push('type = @type')
      if (before) where.push('created_at < @before')
      statement = sqlite.prepare(
        `SELECT ${columns} FROM audit_events WHERE ${where.join(' AND ')}
         ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
      )
      pageStatements.set(key, statement)
    }
    return statement
  }
  const pruneBatch = sqlite.prepare(
    `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE created_at < @cutoff LIMIT @limit)`,
  )

  return {
    /** Records an event in whatever transaction is open (synchronous: call it inside the change's transaction). */
    write(event: NewAuditEvent, now: number): void {
      insert.run({
        orgId: Number(event.orgId),
        type: event.type,
        actorTokenId: event.actor ? Number(event.actor.tokenId) : null,
        actorName: event.actor ? event.actor.name : null,
        payload: JSON.stringify(event.payload),
        createdAt: now,
      })
    },

    /** Newest first. */
    async list(query: AuditQuery): Promise<Page<AuditEvent>> {
      const params: Record<string, unknown> = {
        orgId: Number(query.orgId),
        limit: query.limit + 1,
        offset: query.offset,
      }
      if (query.type !== undefined) params.type = query.type
      if (query.before !== undefined) params.before = query.before
      const rows = pageStatement(query.type !== undefined, query.before !== undefined).all(params)
      return { items: rows.slice(0, query.limit).map(toAuditEvent), hasMore: rows.length > query.limit }
    },

    /** Deletes at most `limit` events older than `cutoff`; returns how many went. */
    async pruneOlderThan(cutoff: number, limit: number): Promise<number> {
      return pruneBatch.run({ cutoff, limit }).changes
    },
  }
}

export type SqliteAuditRepository = ReturnType<typeof createAuditRepository>
export type AuditWriter = SqliteAuditRepository['write']

/** Writes the events `auditOf` derives from a write's result; call it inside that write's transaction. */
export function recordAudit<R>(
  audit: AuditWriter | undefined,
  auditOf: AuditOf<R> | undefined,
  result: R,
  now: number,
): void {
  if (!audit || !auditOf) return
  for (const event of auditOf(result)) audit(event, now)
}
