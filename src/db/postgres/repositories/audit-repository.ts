import type { AuditEvent, AuditOf, NewAuditEvent, Page } from '../../models.js'
import { type AuditEventRow, toAuditEvent } from '../../rows.js'
import type { AuditRepository } from '../../types.js'
import { type Queryable, rows } from '../client.js'
import type { PgContext } from '../context.js'

const columns = `id, org_id AS "orgId", type, actor_token_id AS "actorTokenId", actor_name AS "actorName", payload,
  created_at AS "createdAt"`

/** Records an event with `q`: the transaction of the change it records, so it exists exactly when the change does. */
export async function writeAudit(q: Queryable, event: NewAuditEvent, now: number): Promise<void> {
  await q.query({
    name: 'audit_insert',
    text: `INSERT INTO audit_events (org_id, type, actor_token_id, actor_name, payload, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
    values: [
      Number(event.orgId),
      event.type,
      event.actor ? Number(event.actor.tokenId) : null,
      event.actor ? event.actor.name : null,
      JSON.stringify(event.payload),
      now,
    ],
  })
}

/** Writes the events `auditOf` derives from a write's result, with the write's transaction `q`. */
export async function recordAudit<R>(
  q: Queryable,
  auditOf: AuditOf<R> | undefined,
  result: R,
  now: number,
): Promise<void> {
  if (!auditOf) return
  for (const event of auditOf(result)) await writeAudit(q, event, now)
}

/** The audit log (see ../../sqlite/repositories/audit-repository.ts). */
export function createAuditRepository({ q }: PgContext): AuditRepository {
  return {
    async list(query) {
      const values: unknown[] = [Number(query.orgId)]
      const where = ['org_id = $1']
      if (query.type !== undefined) {
        values.push(query.type)
        where.push(`type = $${values.length}`)
      }
      if (query.before !== undefined) {
        values.push(query.before)
        where.push(`created_at < $${values.length}`)
      }
      values.push(query.limit + 1, query.offset)
      const found = await rows<AuditEventRow>(
        q,
        `SELECT ${columns} FROM audit_events WHERE ${where.join(' AND ')}
         ORDER BY created_at DESC, id DESC LIMIT $${values.length - 1} OFFSET $${values.length}`,
        values,
      )
      return {
        items: found.slice(0, query.limit).map(toAuditEvent),
        hasMore: found.length > query.limit,
      } satisfies Page<AuditEvent>
    },

    async pruneOlderThan(cutoff, limit) {
      const result = await q.query(
        'DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE created_at < $1 LIMIT $2)',
        [cutoff, limit],
      )
      return result.rowCount ?? 0
    },
  }
}
