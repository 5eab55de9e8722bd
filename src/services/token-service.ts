import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import type { Token } from '../db/models.js'
import type { OrgRepository } from '../db/repositories/org-repository.js'
import type { TokenRepository } from '../db/repositories/token-repository.js'
import { ConflictError, NotFoundError, refuseWhenIdsExhausted, UnauthorizedError } from './errors.js'
import { quotaUnits, scopes, tokenName, tokenValue } from './field-rules.js'
import type { QuotaService } from './quota-service.js'
import { allScopes } from './scopes.js'
import { parseOrThrow } from './validation.js'

/** Socket's org tokens start with this prefix; ours do too, so tools that look for it recognise them. */
export const TOKEN_PREFIX = 'sktsec_'
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** What a request is authenticated as: the slice of a token that authorization needs. */
export interface Principal {
  tokenId: string
  /** The token's label (never its value), for the request journal. */
  tokenName: string
  orgId: string
  orgSlug: string
  scopes: readonly string[]
  maxQuota: number
}

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

/** `sktsec_` + 48 base62 characters (~285 bits from the CSPRNG). */
export function generateToken(): string {
  const bytes = randomBytes(48)
  let out = TOKEN_PREFIX
  for (const byte of bytes) out += BASE62[byte % 62]
  return out
}

interface CacheEntry {
  principal: Principal
  tokenHash: string
  expiresAt: number
}

export function createTokenService(deps: {
  tokens: TokenRepository
  orgs: OrgRepository
  /** Quota leases: given back when a token is revoked, and before tokens are listed with their use. */
  quota: Pick<QuotaService, 'release' | 'releaseAll'>
  now: () => number
  defaultMaxQuota: number
  /** How long a verified token is trusted without asking the database again. */
  cacheTtlMs: number
  cacheMaxEntries?: number
}) {
  const { tokens, orgs, quota, now, defaultMaxQuota, cacheTtlMs } = deps
  const cacheMaxEntries = deps.cacheMaxEntries ?? 10_000
  const cache = new Map<string, CacheEntry>()

  function remember(tokenHash: string, principal: Principal): void {
    if (cacheTtlMs <= 0) return
    if (cache.size >= cacheMaxEntries) {
      const oldest = cache.keys().next()
      if (!oldest.done) cache.delete(oldest.value)
    }
    cache.set(tokenHash, { principal, tokenHash, expiresAt: now() + cacheTtlMs })
  }

  return {
    /**
     * Resolves a presented token to its principal. Tokens are looked up by SHA-256 digest and the
     * digests compared in constant time; a revoked token stops working within `cacheTtlMs` (at once
     * when revoked through this service).
     */
    async authenticate(presented: string): Promise<Principal> {
      if (!presented) throw new UnauthorizedError('Missing API token')
      const digest = hashToken(presented)
      const cached = cache.get(digest)
      if (cached && cached.expiresAt > now() && constantTimeEqual(cached.tokenHash, digest)) return cached.principal
      if (cached) cache.delete(digest)
      const token = await tokens.findActiveByHash(digest)
      if (!token) throw new UnauthorizedError('Invalid API token')
      const principal: Principal = {
        tokenId: token.id,
        tokenName: token.name,
        orgId: token.orgId,
        orgSlug: token.orgSlug,
        scopes: Object.freeze([...token.scopes]),
        maxQuota: token.maxQuota,
      }
      remember(digest, principal)
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

    /** Tokens with their quota use as the database has it, leases given back first so it is exact. */
    async list(orgSlug?: string): Promise<Token[]> {
      await quota.releaseAll()
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
      for (const [digest, entry] of cache) if (entry.principal.tokenId === id) cache.delete(digest)
      await quota.release(id)
    },

    /** Forgets every cached verification (after a reset or import replaced the tokens). */
    clearCache(): void {
      cache.clear()
    },
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export type TokenService = ReturnType<typeof createTokenService>
