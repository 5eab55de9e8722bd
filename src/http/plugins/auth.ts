import fastifyAuth from '@fastify/auth'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { ForbiddenError, isOrgGone, QuotaExceededError, UnauthorizedError } from '../../services/errors.js'
import type { QuotaStatus } from '../../services/quota-service.js'
import { grants } from '../../services/scopes.js'
import type { Principal } from '../../services/token-service.js'
import { readCredentials } from '../credentials.js'
import type { OperationSpec } from '../spec-loader.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The token the request is authenticated with; set by the security hooks. */
    principal: Principal | null
    /** Which security scheme of the operation the credentials satisfied. */
    authScheme: 'bearerAuth' | 'basicAuth' | null
  }
  interface FastifyInstance {
    /** The onRequest hooks that enforce an operation's `security` and spend its quota. */
    securityHooks(operation: OperationSpec): onRequestHookHandler[]
  }
}

// Socket's texts; the official clients match on them.
export const UNAUTHORIZED_MESSAGE = 'Invalid API token'
export const FORBIDDEN_SCOPE_MESSAGE = 'Insufficient permissions for API method'
export const FORBIDDEN_ORG_MESSAGE = 'Organization not allowed'

/**
 * Security is data: each operation's `security` list (scheme + scopes, alternatives OR-ed) comes
 * from the spec, and these hooks evaluate it. In order: authenticate (401), org of the path (403),
 * scopes (403), then quota (403 max_quota / 429). Handlers never check any of it.
 */
async function authPlugin(fastify: FastifyInstance) {
  await fastify.register(fastifyAuth)
  fastify.decorateRequest('principal', null)
  fastify.decorateRequest('authScheme', null)

  const { tokens, quota } = fastify.services

  function strategy(scheme: 'bearerAuth' | 'basicAuth') {
    return async (request: FastifyRequest) => {
      const credentials = readCredentials(request.headers.authorization)
      if (credentials.scheme !== scheme) {
        throw new UnauthorizedError(UNAUTHORIZED_MESSAGE)
      }
      try {
        request.principal = await tokens.authenticate(credentials.token)
      } catch (error) {
        // One message for every authentication failure: a 401 tells nothing of why.
        throw error instanceof UnauthorizedError ? new UnauthorizedError(UNAUTHORIZED_MESSAGE) : error
      }
      request.authScheme = scheme
    }
  }
  const strategies = { bearerAuth: strategy('bearerAuth'), basicAuth: strategy('basicAuth') }

  // A cached verification that proved stale — the token's org was deleted by another process, found
  // out by the quota step or by a write — is dropped, so the token's next request is refused at once.
  fastify.addHook('onError', async (request, _reply, error) => {
    if (request.principal && (error instanceof UnauthorizedError || isOrgGone(error))) {
      await tokens.forget(request.principal.tokenId)
    }
  })

  function setRateLimitHeaders(reply: FastifyReply, status: QuotaStatus) {
    reply.header('x-ratelimit-limit', String(status.limit))
    reply.header('x-ratelimit-remaining', String(status.remaining))
    if (status.resetsAt !== null) reply.header('x-ratelimit-reset', String(Math.ceil(status.resetsAt / 1000)))
  }

  fastify.decorate('securityHooks', (operation: OperationSpec): onRequestHookHandler[] => {
    if (operation.security.length === 0) return []
    const schemes = [...new Set(operation.security.map((s) => s.scheme))]
    const authenticate = fastify.auth(schemes.map((scheme) => strategies[scheme]))
    const cost = operation.quotaCost
    // A token whose max_quota is below the cost is a 403; an operation whose spec lists no 403
    // (GET /organizations) says it with its 429 instead, Retry-After a whole window.
    const maxQuotaIs403 = operation.statuses.includes(403)

    async function authorize(request: FastifyRequest, reply: FastifyReply) {
      const principal = request.principal
      if (!principal) throw new UnauthorizedError(UNAUTHORIZED_MESSAGE)
      const orgSlug = (request.params as { org_slug?: string }).org_slug
      if (orgSlug !== undefined && orgSlug !== principal.orgSlug) throw new ForbiddenError(FORBIDDEN_ORG_MESSAGE)
      const usable = operation.security.filter((requirement) => requirement.scheme === request.authScheme)
      const satisfied = usable.some((requirement) =>
        requirement.scopes.every((scope) => grants(principal.scopes, scope)),
      )
      if (!satisfied) {
        // Socket's message, which clients match on; the details say what the token lacks.
        throw new ForbiddenError(FORBIDDEN_SCOPE_MESSAGE, {
          requiredScopes: [...new Set(usable.flatMap((requirement) => requirement.scopes))],
        })
      }
      try {
        setRateLimitHeaders(reply, await quota.spend(principal, cost))
      } catch (error) {
        // The token's row is gone (its org deleted by another process): as for an unknown token.
        if (error instanceof UnauthorizedError) throw new UnauthorizedError(UNAUTHORIZED_MESSAGE)
        if (error instanceof ForbiddenError) {
          request.quotaRejection = 'max_quota'
          setRateLimitHeaders(reply, await quota.peek(principal))
          if (!maxQuotaIs403) throw new QuotaExceededError(error.message, fastify.config.quota.windowSeconds)
        }
        if (error instanceof QuotaExceededError) request.quotaRejection = 'exhausted'
        if (error instanceof QuotaExceededError && error.details) {
          const { maxQuota, nextWindowRefresh } = error.details as { maxQuota: number; nextWindowRefresh: string }
          setRateLimitHeaders(reply, { limit: maxQuota, remaining: 0, resetsAt: Date.parse(nextWindowRefresh) })
        }
        throw error
      }
    }

    return [authenticate, authorize as onRequestHookHandler]
  })
}

export default fp(authPlugin, { name: 'auth', fastify: '5.x', dependencies: ['services', 'error-handler'] })
