import type { TokenRepository } from '../db/types.js'
import { MaxQuotaError, QuotaExceededError, UnauthorizedError } from './errors.js'
import type { Principal } from './principal.js'
import type { QuotaStatus } from './quota-status.js'

// Socket's texts; clients match on them. The spec says "max_quota", Socket's Python SDK looks for
// "Insufficient max quota": the message carries both.
export const MAX_QUOTA_MESSAGE =
  "Insufficient max_quota for API method (Insufficient max quota: the token's max_quota is below this operation's cost)"
export const QUOTA_EXCEEDED_MESSAGE = 'Insufficient quota for API route'

/**
 * The token's row is gone: another process deleted its org (or imported a state without it) while
 * this one still held its verification. It is answered as an unknown token.
 */
function tokenGone(): UnauthorizedError {
  return new UnauthorizedError('Token no longer exists')
}

/** The most units one lease takes out of a token's quota at a time. */
const MAX_LEASE_UNITS = 100

/**
 * Units of one token's quota reserved in the database and spent here without touching it. The
 * database always counts the whole lease as used, so no other process can spend the same units,
 * and a crash can only cost the token the unspent rest of one lease, never give it extra.
 */
interface Lease {
  max: number
  windowStartedAt: number
  /** quota_used in the database, the lease included. */
  reservedUsed: number
  /** Units of the lease not spent yet. */
  unspent: number
  takenAt: number
}

export function createQuotaService(deps: {
  tokens: TokenRepository
  now: () => number
  windowSeconds: number
  /** A lease is given back after this long, so changes made by another process are seen. */
  leaseTtlMs: number
}) {
  const { tokens, now, leaseTtlMs } = deps
  const windowMs = deps.windowSeconds * 1000
  const leases = new Map<string, Lease>()

  function status(used: number, max: number, windowStartedAt: number): QuotaStatus {
    return {
      limit: max,
      remaining: Math.max(0, max - used),
      resetsAt: windowStartedAt === 0 ? null : windowStartedAt + windowMs,
    }
  }

  function leaseStatus(lease: Lease): QuotaStatus {
    return status(lease.reservedUsed - lease.unspent, lease.max, lease.windowStartedAt)
  }

  /** The token's lease if it is still good at `at` and needs no I/O: not past its window nor its TTL. */
  function currentLease(tokenId: string, at: number): Lease | undefined {
    const lease = leases.get(tokenId)
    if (!lease || lease.windowStartedAt + windowMs <= at || at - lease.takenAt >= leaseTtlMs) return undefined
    return lease
  }

  /** The token's lease if it is still good at `at`; an expired one is given back. */
  async function liveLease(tokenId: string, at: number): Promise<Lease | undefined> {
    const lease = leases.get(tokenId)
    if (!lease) return undefined
    // The window ended: the database restarts it on the next reservation, nothing to give back.
    if (lease.windowStartedAt + windowMs <= at) {
      leases.delete(tokenId)
      return undefined
    }
    if (at - lease.takenAt >= leaseTtlMs) {
      await release(tokenId)
      return undefined
    }
    return lease
  }

  async function release(tokenId: string): Promise<void> {
    const lease = leases.get(tokenId)
    if (!lease) return
    leases.delete(tokenId)
    await tokens.releaseQuota(tokenId, lease.unspent, lease.windowStartedAt)
  }

  /**
   * Spends `cost` from the token's lease when it holds enough and is still good: no I/O, so the
   * request path can spend without a promise. Undefined when `spend` has to refill or refuse.
   */
  function spendFromLease(principal: Principal, cost: number): QuotaStatus | undefined {
    if (cost <= 0 || principal.maxQuota < cost) return undefined
    const lease = currentLease(principal.tokenId, now())
    if (!lease || lease.unspent < cost) return undefined
    lease.unspent -= cost
    return leaseStatus(lease)
  }

  return {
    windowSeconds: deps.windowSeconds,

    spendFromLease,

    /**
     * Spends `cost` units of the token's quota. A token whose max_quota is below the cost can never
     * call the operation (403, MaxQuotaError); one that has spent its window waits for it to end
     * (429). Units come from the token's lease, which is refilled from the database a block at a time.
     */
    async spend(principal: Principal, cost: number): Promise<QuotaStatus> {
      if (cost <= 0) return this.read(principal)
      if (principal.maxQuota < cost) throw new MaxQuotaError(MAX_QUOTA_MESSAGE)
      const spent = spendFromLease(principal, cost)
      if (spent) return spent
      const at = now()
      const id = principal.tokenId
      let lease = await liveLease(id, at)
      if (!lease || lease.unspent < cost) {
        const want = Math.max(cost, Math.min(MAX_LEASE_UNITS, Math.ceil(principal.maxQuota / 20)))
        const state = await tokens.reserveQuota(id, want, cost, windowMs, at)
        if (!state) throw tokenGone()
        if (state.max < cost) throw new MaxQuotaError(MAX_QUOTA_MESSAGE)
        // Requests interleave at the await: carry over whatever lease of this window is there now.
        const current = leases.get(id)
        const carried = current && current.windowStartedAt === state.windowStartedAt ? current.unspent : 0
        if (state.granted === 0 && carried < cost) {
          const result = status(state.used - carried, state.max, state.windowStartedAt)
          const retryAfterSeconds = Math.max(1, Math.ceil(((result.resetsAt ?? at) - at) / 1000))
          throw new QuotaExceededError(QUOTA_EXCEEDED_MESSAGE, retryAfterSeconds, result)
        }
        lease = {
          max: state.max,
          windowStartedAt: state.windowStartedAt,
          reservedUsed: state.used,
          unspent: carried + state.granted,
          takenAt: current && carried > 0 ? current.takenAt : at,
        }
        leases.set(id, lease)
      }
      lease.unspent -= cost
      return leaseStatus(lease)
    },

    /**
     * What is left of the token's quota, as any process could still grant it: this process's lease
     * is given back first and the database's count read. Units another process holds in its lease
     * count as used until it spends or gives them back, so the answer is never more than a request,
     * to whichever process, would get.
     */
    async read(principal: Principal): Promise<QuotaStatus> {
      await release(principal.tokenId)
      const state = await tokens.readQuota(principal.tokenId, windowMs, now())
      if (!state) throw tokenGone()
      return status(state.used, state.max, state.windowStartedAt)
    },

    /** This process's view of the token's quota, without a write: for the headers of a refused request. */
    async peek(principal: Principal): Promise<QuotaStatus> {
      const at = now()
      const lease = await liveLease(principal.tokenId, at)
      if (lease) return leaseStatus(lease)
      const state = await tokens.readQuota(principal.tokenId, windowMs, at)
      return state ? status(state.used, state.max, state.windowStartedAt) : status(0, principal.maxQuota, 0)
    },

    /** Gives a token's unspent lease back to the database (its max_quota changed, it was revoked). */
    release,

    /** Gives every lease back: before the server closes, and before bulk changes to tokens. */
    async releaseAll(): Promise<void> {
      for (const tokenId of [...leases.keys()]) await release(tokenId)
    },
  }
}

export type QuotaService = ReturnType<typeof createQuotaService>
