import type { Actor, AuditEvent, NewAuditEvent } from '../db/models.js'
import type { AuditRepository } from '../db/types.js'
import { InvalidInputError } from './errors.js'

/** The event types of Socket's audit-log `type` enum that this server can cause. */
export const auditEventTypes = [
  'CreateLabel',
  'UpdateLabel',
  'DeleteLabel',
  'AssociateLabel',
  'DisassociateLabel',
  'UpdateLabelSetting',
  'DeleteLabelSetting',
  'DeleteRepository',
  'CreateApiToken',
  'RotateApiToken',
  'RevokeApiToken',
  'UpdateApiTokenName',
  'UpdateApiTokenScopes',
  'UpdateApiTokenMaxQuota',
  'UpdateApiTokenVisibility',
  'UpdateApiTokenCommitter',
  'UpdateOrganizationSetting',
] as const

export type AuditEventType = (typeof auditEventTypes)[number]

export function auditEvent(
  orgId: string,
  type: AuditEventType,
  actor: Actor,
  payload: Record<string, unknown>,
): NewAuditEvent {
  return { orgId, type, actor, payload }
}

export interface AuditPage {
  events: AuditEvent[]
  nextPage: string | null
}

/** Deletes this many events per statement, then yields to the event loop before the next batch. */
const PRUNE_BATCH = 500

export function createAuditService(deps: {
  audit: AuditRepository
  now: () => number
  /** Events older than this many days are pruned; 0 keeps them forever. */
  retentionDays: number
}) {
  const { audit, now, retentionDays } = deps

  return {
    /** Newest first; `page` is Socket's page token (here a page number as a string). */
    async list(
      orgId: string,
      query: { type?: string; perPage: number; page: string; from?: string },
    ): Promise<AuditPage> {
      if (!/^[1-9]\d{0,8}$/.test(query.page)) {
        throw new InvalidInputError('page must be a page token returned as nextPage (a number ≥ 1)', {
          page: query.page,
        })
      }
      let before: number | undefined
      if (query.from !== undefined) {
        if (!/^\d{1,12}$/.test(query.from)) {
          throw new InvalidInputError('from must be a Unix timestamp in seconds', { from: query.from })
        }
        before = Number(query.from) * 1000
      }
      const page = Number(query.page)
      const result = await audit.list({
        orgId,
        type: query.type,
        before,
        limit: query.perPage,
        offset: (page - 1) * query.perPage,
      })
      return { events: result.items, nextPage: result.hasMore ? String(page + 1) : null }
    },

    /**
     * Deletes the events past the retention, a batch per turn of the event loop so requests are
     * never held up behind one long delete. Returns how many went.
     */
    async prune(): Promise<number> {
      if (retentionDays <= 0) return 0
      const cutoff = now() - retentionDays * 86_400_000
      let total = 0
      for (;;) {
        const deleted = await audit.pruneOlderThan(cutoff, PRUNE_BATCH)
        total += deleted
        if (deleted < PRUNE_BATCH) return total
        await new Promise((resolve) => setImmediate(resolve))
      }
    },
  }
}

export type AuditService = ReturnType<typeof createAuditService>
