import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { Actor, Committer, NewAuditEvent, Token, TokenVisibility } from '../db/models.js'
import type { OrgRepository, TokenRepository, TokenSelector } from '../db/types.js'
import { type AuditEventType, auditEvent } from './audit-service.js'
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  refuseWhenIdsExhausted,
  UnauthorizedError,
} from './errors.js'
import { anyText, quotaUnits, scopes, tokenName, tokenValue } from './field-rules.js'
import type { Principal } from './principal.js'
import type { QuotaService } from './quota-service.js'
import { allScopes, isKnownScope, scopesBeyond } from './scopes.js'
import { parseOrThrow } from './validation.js'

/** Socket's org tokens start with this prefix; ours do too, so tools that look for it recognise them. */
export const TOKEN_PREFIX = 'sktsec_'
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

export interface IssueTokenInput {
  orgSlug: string
  name?: string
  scopes?: string[]
  maxQuota?: number
  /** A fixed token value (bootstrap, fixtures); generated when absent. */
  token?: string
}

const issueInput = z.object({
  orgSlug: z.string().min(1),
  name: tokenName.optional(),
  scopes: scopes.optional(),
  maxQuota: quotaUnits.optional(),
  token: tokenValue.optional(),
})

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** The stored digest in Subresource Integrity form (`sha256-<base64>`), Socket's `hash` of a token. */
export function sriHash(tokenHash: string): string {
  return `sha256-${Buffer.from(tokenHash, 'hex').toString('base64')}`
}

/** The hex digest of an SRI `sha256-…` hash; undefined when it is not one. */
function digestOfSri(hash: string): string | undefined {
  const match = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(hash)
  return match?.[1] === undefined ? undefined : Buffer.from(match[1], 'base64').toString('hex')
}

/** How Socket's token endpoints name a token: any of these; several must agree. */
export interface TokenIdentifiers {
  uuid?: string
  id?: string
  token?: string
  hash?: string
}

/** The settings Socket's create and update endpoints take. */
export interface ApiTokenSettings {
  name?: string
  scopes: string[]
  maxQuota: number
  visibility: TokenVisibility
  committer: Committer
  resources?: unknown[]
}

export function actorOf(principal: Principal): Actor {
  return { tokenId: principal.tokenId, name: principal.tokenName }
}

/** What the audit log says of a token: never its value, nor its digest. */
function tokenSummary(token: Token) {
  return {
    id: token.id,
    group_uuid: token.groupUuid,
    name: token.name,
    scopes: token.scopes,
    max_quota: token.maxQuota,
    visibility: token.visibility,
  }
}

/** `sktsec_` + 48 base62 characters (~285 bits from the CSPRNG). */
export function generateToken(): string {
  const bytes = randomBytes(48)
  let out = TOKEN_PREFIX
  for (const byte of bytes) out += BASE62[byte % 62]
  return out
}

interface CacheEntry {
  principal: Principal
  expiresAt: number
}

export function createTokenService(deps: {
  tokens: TokenRepository
  orgs: OrgRepository
  /** Quota leases: a token's is given back when the token is revoked, rotated or its settings change. */
  quota: Pick<QuotaService, 'release'>
  now: () => number
  defaultMaxQuota: number
  /** How long a verified token is trusted without asking the database again. */
  cacheTtlMs: number
  cacheMaxEntries?: number
}) {
  const { tokens, orgs, quota, now, defaultMaxQuota, cacheTtlMs } = deps
  const cacheMaxEntries = deps.cacheMaxEntries ?? 10_000
  /**
   * Verified tokens by the value presented, so a request with a token verified within `cacheTtlMs`
   * costs one map lookup: no SHA-256, no query. Only verified tokens get in (an unknown value is never
   * cached, so the map cannot be filled with guesses); bounded, the oldest entry going first.
   */
  const cache = new Map<string, CacheEntry>()

  /**
   * `readAt`: when the read that verified it was sent. The entry expires `cacheTtlMs` after that, not
   * after the answer arrived: a read that started before another process's revocation committed is
   * never trusted past `cacheTtlMs` from then, however long the answer took.
   */
  function remember(presented: string, principal: Principal, readAt: number): void {
    if (cacheTtlMs <= 0) return
    if (cache.size >= cacheMaxEntries) {
      const oldest = cache.keys().next()
      if (!oldest.done) cache.delete(oldest.value)
    }
    cache.set(presented, { principal, expiresAt: readAt + cacheTtlMs })
  }

  /** Drops the cached verifications of a token (its settings changed, or it was revoked). */
  function forgetCached(tokenId: string): void {
    for (const [presented, entry] of cache) if (entry.principal.tokenId === tokenId) cache.delete(presented)
  }

  /** The principal of a token verified within `cacheTtlMs`; an expired entry is dropped. */
  function cachedPrincipal(presented: string): Principal | undefined {
    const cached = cache.get(presented)
    if (cached === undefined) return undefined
    if (cached.expiresAt > now()) return cached.principal
    cache.delete(presented)
    return undefined
  }

  /** The active token of the caller's org the identifiers name, if the caller may manage it. */
  async function manageable(principal: Principal, identifiers: TokenIdentifiers): Promise<Token> {
    const selectors: TokenSelector[] = []
    if (identifiers.uuid !== undefined) selectors.push({ groupUuid: identifiers.uuid })
    if (identifiers.id !== undefined) selectors.push({ id: identifiers.id })
    if (identifiers.token !== undefined) selectors.push({ tokenHash: hashToken(identifiers.token) })
    if (identifiers.hash !== undefined) {
      const digest = digestOfSri(identifiers.hash)
      if (!digest)
        throw new InvalidInputError('hash must be the sha256-… hash this server returned', { hash: identifiers.hash })
      selectors.push({ tokenHash: digest })
    }
    if (selectors.length === 0) throw new InvalidInputError('Provide uuid, id, token or hash of the API token')
    const target = await tokens.findActiveInOrg(principal.orgId, selectors)
    if (!target) throw new NotFoundError('API token not found')
    if (target.id !== principal.tokenId) {
      const beyond = scopesBeyond(principal.scopes, target.scopes)
      if (beyond.length > 0 || target.maxQuota > principal.maxQuota) {
        throw new ForbiddenError('The API token has permissions beyond those of the calling token', {
          scopes: beyond,
        })
      }
    }
    return target
  }

  return {
    /**
     * The principal of a token verified within `cacheTtlMs`, without I/O (the request path's fast
     * way); undefined when it has to be verified by `authenticate`.
     */
    cachedPrincipal,

    /**
     * Resolves a presented token to its principal. Tokens are looked up by SHA-256 digest (only the
     * digest is stored); a revoked token stops working within `cacheTtlMs` (at once when revoked
     * through this service).
     */
    async authenticate(presented: string): Promise<Principal> {
      if (!presented) throw new UnauthorizedError('Missing API token')
      const cached = cachedPrincipal(presented)
      if (cached) return cached
      const readAt = now()
      const token = await tokens.findActiveByHash(hashToken(presented))
      if (!token) throw new UnauthorizedError('Invalid API token')
      const principal: Principal = {
        tokenId: token.id,
        tokenName: token.name,
        orgId: token.orgId,
        orgSlug: token.orgSlug,
        scopes: Object.freeze([...token.scopes]),
        maxQuota: token.maxQuota,
      }
      remember(presented, principal, readAt)
      return principal
    },

    /** Creates a token for an org; returns the stored record and the token value, shown only this once. */
    async issue(input: IssueTokenInput): Promise<{ token: Token; secret: string }> {
      const data = parseOrThrow(issueInput, input)
      const org = await orgs.findBySlug(data.orgSlug)
      if (!org) throw new NotFoundError(`Organization "${data.orgSlug}" not found`)
      const secret = data.token ?? generateToken()
      const token = await refuseWhenIdsExhausted(
        tokens.create(
          {
            orgId: org.id,
            name: data.name ?? '',
            tokenHash: hashToken(secret),
            tokenPrefix: secret.slice(0, TOKEN_PREFIX.length + 4),
            scopes: [...new Set(data.scopes ?? allScopes)],
            maxQuota: data.maxQuota ?? defaultMaxQuota,
            groupUuid: randomUUID(),
          },
          now(),
        ),
      )
      if (!token) throw new ConflictError('That token value is already in use')
      return { token, secret }
    },

    /** True when a token with this value was ever stored (active or revoked). */
    async exists(secret: string): Promise<boolean> {
      return tokens.existsByHash(hashToken(secret))
    },

    /**
     * Tokens as the database has them. `quotaUsed` counts the units running servers hold in quota
     * leases as used; `quota.releaseAll()` first gives this process's back, for the exact use.
     */
    async list(orgSlug?: string): Promise<Token[]> {
      return tokens.list(orgSlug)
    },

    async revoke(id: string): Promise<void> {
      const token = await tokens.findById(id)
      if (!token || !(await tokens.revoke(id, now()))) {
        throw new NotFoundError(`No active token with id "${id}"`)
      }
      await this.forget(id)
    },

    /**
     * Drops what this process holds for a token: its cached verification and its quota lease. For a
     * token revoked here, and one found gone from the database (deleted with its org by another
     * process), so that its next request is refused at once instead of when the cache expires.
     */
    async forget(id: string): Promise<void> {
      forgetCached(id)
      await quota.release(id)
    },

    // Socket's API-token endpoints (docs/api-tokens.md). A token hands out, and manages, only what it
    // holds itself: scopes it is granted and a max_quota no larger than its own.

    /** POST /api-tokens: a new token of the caller's org; the value is returned only here. */
    async createFor(principal: Principal, settings: ApiTokenSettings): Promise<{ token: Token; secret: string }> {
      const data = checkSettings(principal, settings)
      const secret = generateToken()
      const token = await tokens.create(
        {
          orgId: principal.orgId,
          name: data.name ?? 'api token',
          tokenHash: hashToken(secret),
          tokenPrefix: secret.slice(0, TOKEN_PREFIX.length + 4),
          scopes: data.scopes,
          maxQuota: data.maxQuota,
          groupUuid: randomUUID(),
          visibility: data.visibility,
          committers: [data.committer],
        },
        now(),
        (created) => [
          auditEvent(principal.orgId, 'CreateApiToken', actorOf(principal), { token: tokenSummary(created) }),
        ],
      )
      if (!token) throw new ConflictError('That token value is already in use')
      return { token, secret }
    },

    /** The org's active tokens, by creation time. */
    async listFor(
      orgId: string,
      query: { direction: 'asc' | 'desc'; perPage: number; page: number },
    ): Promise<{ tokens: Token[]; nextPage: number | null }> {
      const offset = (query.page - 1) * query.perPage
      if (!Number.isSafeInteger(offset + query.perPage)) return { tokens: [], nextPage: null }
      const page = await tokens.listActive(orgId, query.direction, query.perPage, offset)
      return { tokens: page.items, nextPage: page.hasMore ? query.page + 1 : null }
    },

    /** POST /api-tokens/update: replaces the token's settings; the value stays. */
    async updateFor(principal: Principal, identifiers: TokenIdentifiers, settings: ApiTokenSettings): Promise<Token> {
      const target = await manageable(principal, identifiers)
      const data = checkSettings(principal, settings)
      const updated = await tokens.update(
        target.id,
        {
          ...(data.name === undefined ? {} : { name: data.name }),
          scopes: data.scopes,
          maxQuota: data.maxQuota,
          visibility: data.visibility,
          committers: [data.committer],
        },
        now(),
        ({ before, after }) => updateEvents(principal, before, after),
      )
      if (!updated) throw new NotFoundError('API token not found')
      forgetCached(target.id)
      await quota.release(target.id)
      return updated
    },

    /** POST /api-tokens/rotate: a new value for the token's group; the old value stops working at once. */
    async rotateFor(principal: Principal, identifiers: TokenIdentifiers): Promise<{ token: Token; secret: string }> {
      const target = await manageable(principal, identifiers)
      // Unspent units of the old token's lease go back first, so the replacement inherits the exact use.
      await quota.release(target.id)
      const secret = generateToken()
      const replacement = await tokens.rotate(
        target.id,
        { tokenHash: hashToken(secret), tokenPrefix: secret.slice(0, TOKEN_PREFIX.length + 4) },
        now(),
        ({ old, replacement: created }) => [
          auditEvent(principal.orgId, 'RotateApiToken', actorOf(principal), {
            token: tokenSummary(created),
            replaced_token_id: old.id,
          }),
        ],
      )
      if (!replacement) throw new NotFoundError('API token not found')
      forgetCached(target.id)
      return { token: replacement, secret }
    },

    /** POST /api-tokens/revoke */
    async revokeFor(principal: Principal, identifiers: TokenIdentifiers): Promise<void> {
      const target = await manageable(principal, identifiers)
      const revoked = await tokens.revoke(target.id, now(), (token) => [
        auditEvent(principal.orgId, 'RevokeApiToken', actorOf(principal), { token: tokenSummary(token) }),
      ])
      if (!revoked) throw new NotFoundError('API token not found')
      forgetCached(target.id)
      await quota.release(target.id)
    },

    /** Forgets every cached verification (after a reset or import replaced the tokens). */
    clearCache(): void {
      cache.clear()
    },
  }
}

const committerSchema = z.object({
  email: z.string().max(320).optional(),
  provider: z.enum(['api', 'azure', 'bitbucket', 'github', 'gitlab']).optional(),
  providerLoginName: z.string().max(200).optional(),
  providerUserId: z.string().max(200).optional(),
})

const settingsSchema = z.object({
  name: anyText('name', 200).optional(),
  scopes: z
    .array(z.string().refine(isKnownScope, { error: (i) => `unknown scope "${String(i.input)}"` }))
    .min(1, 'at least one scope is required'),
  maxQuota: z.number().int().min(0),
  visibility: z.enum(['admin', 'organization']),
  committer: committerSchema,
  resources: z.array(z.unknown()).max(0, 'resource grants are not supported by this server').optional(),
})

/** Valid settings within the caller's own scopes and quota (else 403 naming what is beyond). */
function checkSettings(principal: Principal, settings: ApiTokenSettings) {
  const data = parseOrThrow(settingsSchema, settings)
  const scopes = [...new Set(data.scopes)]
  const beyond = scopesBeyond(principal.scopes, scopes)
  if (beyond.length > 0) {
    throw new ForbiddenError(`A token cannot grant scopes it does not hold: ${beyond.join(', ')}`, { scopes: beyond })
  }
  if (data.maxQuota > principal.maxQuota) {
    throw new ForbiddenError(`A token cannot grant a max_quota above its own (${principal.maxQuota})`, {
      max_quota: data.maxQuota,
    })
  }
  return { ...data, scopes, committer: data.committer as Committer }
}

/** One event per attribute an update changed (Socket's audit log has a type for each). */
function updateEvents(principal: Principal, before: Token, after: Token): NewAuditEvent[] {
  const changes: [AuditEventType, unknown, unknown][] = [
    ['UpdateApiTokenName', before.name, after.name],
    ['UpdateApiTokenScopes', before.scopes, after.scopes],
    ['UpdateApiTokenMaxQuota', before.maxQuota, after.maxQuota],
    ['UpdateApiTokenVisibility', before.visibility, after.visibility],
    ['UpdateApiTokenCommitter', before.committers, after.committers],
  ]
  return changes
    .filter(([, old, current]) => JSON.stringify(old) !== JSON.stringify(current))
    .map(([type, old, current]) =>
      auditEvent(principal.orgId, type, actorOf(principal), {
        token: { id: after.id, group_uuid: after.groupUuid, name: after.name },
        before: old,
        after: current,
      }),
    )
}

export type TokenService = ReturnType<typeof createTokenService>
