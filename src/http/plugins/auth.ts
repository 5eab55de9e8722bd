import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { type DomainError, ForbiddenError, isOrgGone, UnauthorizedError } from '../../services/errors.js'
import type { Principal } from '../../services/principal.js'
import { grants } from '../../services/scopes.js'
import { readCredentials } from '../credentials.js'
import type { OperationSpec, SecurityRequirement } from '../spec-loader.js'

type Scheme = SecurityRequirement['scheme']

declare module 'fastify' {
  interface FastifyRequest {
    /** The token the request is authenticated with; set by the security hook. */
    principal: Principal | null
    /** Which security scheme of the operation the credentials satisfied. */
    authScheme: Scheme | null
  }
  interface FastifyInstance {
    /** The onRequest hook that enforces an operation's `security`; undefined for an operation open to all. */
    securityHook(operation: OperationSpec): onRequestHookHandler | undefined
  }
}

// Socket's texts; the official clients match on them.
export const UNAUTHORIZED_MESSAGE = 'Invalid API token'
export const FORBIDDEN_SCOPE_MESSAGE = 'Insufficient permissions for API method'
export const FORBIDDEN_ORG_MESSAGE = 'Organization not allowed'

/** One message for every authentication failure: a 401 tells nothing of why. */
const unauthorized = () => new UnauthorizedError(UNAUTHORIZED_MESSAGE)

/** Whether the principal holds every scope of any one of the lists (loops: no closure per request). */
function satisfies(principal: Principal, alternatives: readonly (readonly string[])[]): boolean {
  for (const scopes of alternatives) {
    let all = true
    for (const scope of scopes) {
      if (!grants(principal.scopes, scope)) {
        all = false
        break
      }
    }
    if (all) return true
  }
  return false
}

/**
 * Security is data: each operation's `security` list (scheme + scopes, alternatives OR-ed) comes from
 * the spec, and one hook per operation evaluates it, in order: authenticate (401), the org of the
 * path (403), scopes (403). Quota is the next step (plugins/quota.ts). Handlers never check any of it.
 *
 * The hook is callback-style and answers without a promise when the token was verified within
 * AUTH_CACHE_TTL_MS (the token service's cache, keyed by the value presented): the common case costs a
 * header parse, a map lookup and the scope check. Why not @fastify/auth: docs/auth-and-scopes.md.
 */
async function authPlugin(fastify: FastifyInstance) {
  fastify.decorateRequest('principal', null)
  fastify.decorateRequest('authScheme', null)

  const { tokens } = fastify.services

  // A cached verification that proved stale — the token's org was deleted by another process, found
  // out by the quota step or by a write — is dropped, so the token's next request is refused at once.
  fastify.addHook('onError', async (request, _reply, error) => {
    if (request.principal && (error instanceof UnauthorizedError || isOrgGone(error))) {
      await tokens.forget(request.principal.tokenId)
    }
  })

  fastify.decorate('securityHook', (operation: OperationSpec): onRequestHookHandler | undefined => {
    if (operation.security.length === 0) return undefined
    // Per scheme, the scope lists that would do (any one, all of its scopes), and what a 403 names.
    const alternatives = new Map<Scheme, string[][]>()
    for (const { scheme, scopes } of operation.security) {
      alternatives.set(scheme, [...(alternatives.get(scheme) ?? []), scopes])
    }
    const requiredScopes = new Map(
      [...alternatives].map(([scheme, lists]) => [scheme, [...new Set(lists.flat())]] as const),
    )

    /** Authorizes an authenticated request: the error to answer with, or undefined to go on. */
    function admit(request: FastifyRequest, principal: Principal, scheme: Scheme): DomainError | undefined {
      request.principal = principal
      request.authScheme = scheme
      const orgSlug = (request.params as { org_slug?: string }).org_slug
      if (orgSlug !== undefined && orgSlug !== principal.orgSlug) return new ForbiddenError(FORBIDDEN_ORG_MESSAGE)
      if (satisfies(principal, alternatives.get(scheme) ?? [])) return undefined
      // Socket's message, which clients match on; the details say what the token lacks.
      return new ForbiddenError(FORBIDDEN_SCOPE_MESSAGE, { requiredScopes: requiredScopes.get(scheme) ?? [] })
    }

    return function security(request, _reply, done) {
      const credentials = readCredentials(request.headers.authorization)
      const scheme = credentials.scheme
      if (scheme === null || !alternatives.has(scheme)) return done(unauthorized())
      const cached = tokens.cachedPrincipal(credentials.token)
      if (cached !== undefined) return done(admit(request, cached, scheme))
      tokens.authenticate(credentials.token).then(
        (principal) => done(admit(request, principal, scheme)),
        (error: unknown) => done(error instanceof UnauthorizedError ? unauthorized() : (error as Error)),
      )
    }
  })
}

export default fp(authPlugin, {
  name: 'auth',
  fastify: '5.x',
  dependencies: ['services', 'error-handler'],
  decorators: { fastify: ['services'] },
})
