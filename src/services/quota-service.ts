import type { TokenRepository } from '../db/repositories/token-repository.js'
import { ForbiddenError, QuotaExceededError } from './errors.js'
import type { Principal } from './token-service.js'

export interface QuotaStatus {
  /** max_quota of the token. */
  limit: number
  remaining: number
  /** When the running window ends (epoch ms); null when no window is running. */
  resetsAt: number | null
}

// Socket's texts; clients match on them. The spec says "max_quota", Socket's Python SDK looks for
// "Insufficient max quota": the message carries both.
export const MAX_QUOTA_MESSAGE =
  "Insufficient max_quota for API method (Insufficient max quota: the token's max_quota is below this operation's cost)"
export const QUOTA_EXCEEDED_MESSAGE = 'Insufficient quota for API route'

export function createQuotaService(deps: { tokens: TokenRepository; now: () => number; windowSeconds: number }) {
  const { tokens, now } = deps
  const windowMs = deps.windowSeconds * 1000

  function status(used: number, max: number, windowStartedAt: number): QuotaStatus {
    return {
      limit: max,
      remaining: Math.max(0, max - used),
      resetsAt: windowStartedAt === 0 ? null : windowStartedAt + windowMs,
    }
  }

  return {
    windowSeconds: deps.windowSeconds,

    /**
     * Spends `cost` units of the token's quota atomically. A token whose max_quota is below the cost
     * can never call the operation (403); one that has spent its window waits for it to end (429).
     */
    async spend(principal: Principal, cost: number): Promise<QuotaStatus> {
      if (cost <= 0) return this.read(principal)
      if (principal.maxQuota < cost) throw new ForbiddenError(MAX_QUOTA_MESSAGE)
      const at = now()
      const state = await tokens.spendQuota(principal.tokenId, cost, windowMs, at)
      if (!state) throw new ForbiddenError(MAX_QUOTA_MESSAGE)
      if (state.max < cost) throw new ForbiddenError(MAX_QUOTA_MESSAGE)
      const result = status(state.used, state.max, state.windowStartedAt)
      if (!state.spent) {
        const retryAfterSeconds = Math.max(1, Math.ceil(((result.resetsAt ?? at) - at) / 1000))
        throw new QuotaExceededError(QUOTA_EXCEEDED_MESSAGE, retryAfterSeconds, {
          quota: result.remaining,
          maxQuota: result.limit,
          nextWindowRefresh: result.resetsAt === null ? null : new Date(result.resetsAt).toISOString(),
        })
      }
      return result
    },

    async read(principal: Principal): Promise<QuotaStatus> {
      const state = await tokens.readQuota(principal.tokenId, windowMs, now())
      if (!state) return status(0, principal.maxQuota, 0)
      return status(state.used, state.max, state.windowStartedAt)
    },
  }
}

export type QuotaService = ReturnType<typeof createQuotaService>
