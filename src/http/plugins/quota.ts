import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { MaxQuotaError, QuotaExceededError, UnauthorizedError } from '../../services/errors.js'
import type { Principal } from '../../services/principal.js'
import type { QuotaStatus } from '../../services/quota-status.js'
import type { OperationSpec } from '../spec-loader.js'
import { UNAUTHORIZED_MESSAGE } from './auth.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the quota step refused the request (the metrics count it). */
    quotaRejection: 'exhausted' | 'max_quota' | null
  }
  interface FastifyInstance {
    /** The onRequest hook that spends an operation's quota cost; undefined for an operation open to all. */
    quotaHook(operation: OperationSpec): onRequestHookHandler | undefined
  }
}

function setRateLimitHeaders(reply: FastifyReply, status: QuotaStatus) {
  reply.header('x-ratelimit-limit', String(status.limit))
  reply.header('x-ratelimit-remaining', String(status.remaining))
  if (status.resetsAt !== null) reply.header('x-ratelimit-reset', String(Math.ceil(status.resetsAt / 1000)))
}

/**
 * The quota step, after authorization (docs/quota.md): every authenticated operation spends its cost
 * (`x-quota-cost`, or QUOTA_COSTS) from the token's quota and says where it stands in X-RateLimit-*
 * headers. A token whose max_quota is below the cost is a 403 (it could never call the operation); one
 * that spent its window is a 429 with Retry-After. Callback-style: a spend from the token's lease
 * (the common case) answers without a promise.
 */
async function quotaPlugin(fastify: FastifyInstance) {
  fastify.decorateRequest('quotaRejection', null)
  const { quota } = fastify.services
  const windowSeconds = fastify.config.quota.windowSeconds

  fastify.decorate('quotaHook', (operation: OperationSpec): onRequestHookHandler | undefined => {
    if (operation.security.length === 0) return undefined
    const cost = operation.quotaCost
    // A token whose max_quota is below the cost is a 403; an operation whose spec lists no 403
    // (GET /organizations) says it with its 429 instead, Retry-After a whole window.
    const maxQuotaIs403 = operation.statuses.includes(403)

    /** The error a refused spend is answered with, its headers set. */
    async function refusal(request: FastifyRequest, reply: FastifyReply, principal: Principal, error: unknown) {
      // The token's row is gone (its org deleted by another process): as for an unknown token.
      if (error instanceof UnauthorizedError) return new UnauthorizedError(UNAUTHORIZED_MESSAGE)
      if (error instanceof MaxQuotaError) {
        request.quotaRejection = 'max_quota'
        setRateLimitHeaders(reply, await quota.peek(principal))
        return maxQuotaIs403 ? error : new QuotaExceededError(error.message, windowSeconds)
      }
      if (error instanceof QuotaExceededError) {
        request.quotaRejection = 'exhausted'
        if (error.quota) setRateLimitHeaders(reply, { ...error.quota, remaining: 0 })
      }
      return error as Error
    }

    return function spendQuota(request, reply, done) {
      // The security hook, which runs first, refused the request unless it set a principal.
      const principal = request.principal
      if (principal === null) return done(new UnauthorizedError(UNAUTHORIZED_MESSAGE))
      const spent = quota.spendFromLease(principal, cost)
      if (spent !== undefined) {
        setRateLimitHeaders(reply, spent)
        return done()
      }
      quota.spend(principal, cost).then(
        (status) => {
          setRateLimitHeaders(reply, status)
          done()
        },
        (error: unknown) => refusal(request, reply, principal, error).then(done, done),
      )
    }
  })
}

export default fp(quotaPlugin, {
  name: 'quota',
  fastify: '5.x',
  dependencies: ['services', 'error-handler', 'auth'],
  decorators: { fastify: ['services', 'config'], request: ['principal'] },
})
