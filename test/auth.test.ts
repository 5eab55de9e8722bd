import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import pg from 'pg'
import { beforeEach, describe, expect, it } from 'vitest'
import { createTestApp, issueToken, useTestApp } from './helpers/app.js'
import { schemaOfFile, testDatabaseUrl } from './helpers/database.js'
import { tempDir } from './helpers/fixtures.js'

/** Every stored token row, as the database of `databasePath` holds it (on PostgreSQL: the schema that stands for it). */
async function storedTokens(databasePath: string): Promise<unknown[]> {
  if (testDatabaseUrl) {
    const client = new pg.Client({ connectionString: (await schemaOfFile(testDatabaseUrl, databasePath)).url })
    await client.connect()
    try {
      return (await client.query('SELECT * FROM tokens')).rows
    } finally {
      await client.end()
    }
  }
  const sqlite = new Database(databasePath, { readonly: true })
  try {
    return sqlite.prepare('SELECT * FROM tokens').all()
  } finally {
    sqlite.close()
  }
}

const invalid = { error: { message: 'Invalid API token', details: null } }

describe('authentication', () => {
  const t = useTestApp()

  const list = (headers: Record<string, string | string[]> = {}) =>
    t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers })
  const basic = (raw: string) => ({ authorization: `Basic ${Buffer.from(raw).toString('base64')}` })

  it('accepts Bearer and Basic (token as user, empty password) as Socket does', async () => {
    expect((await list(t.auth(t.token, 'bearer'))).statusCode).toBe(200)
    expect((await list(t.auth(t.token, 'basic'))).statusCode).toBe(200)
  })

  it('accepts a lower-case scheme and a Basic password (which is ignored)', async () => {
    expect((await list({ authorization: `bearer ${t.token}` })).statusCode).toBe(200)
    expect((await list({ authorization: `BASIC ${Buffer.from(`${t.token}:`).toString('base64')}` })).statusCode).toBe(
      200,
    )
    expect((await list(basic(`${t.token}:some-password`))).statusCode).toBe(200)
  })

  it.each([
    ['no Authorization header', {}],
    ['an unknown Bearer token', { authorization: 'Bearer sktsec_unknown_token_value_123456' }],
    ['an unknown Basic token', { authorization: `Basic ${Buffer.from('sktsec_nope_nope_nope:').toString('base64')}` }],
    ['an empty Basic user', { authorization: `Basic ${Buffer.from(':secret').toString('base64')}` }],
    ['broken base64', { authorization: 'Basic %%%not-base64%%%' }],
    ['another scheme', { authorization: 'Token abc' }],
    ['a scheme without credentials', { authorization: 'Bearer' }],
    ['an empty Bearer token', { authorization: 'Bearer ' }],
  ])('answers 401 for %s', async (_case, headers) => {
    const response = await list(headers as Record<string, string>)
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual(invalid)
    expect(response.headers['x-ratelimit-remaining']).toBeUndefined()
  })

  it('rejects a revoked token at once when revoked through the service', async () => {
    const { token, secret } = await t.services.tokens.issue({ orgSlug: 'acme' })
    expect((await list(t.auth(secret))).statusCode).toBe(200)
    await t.services.tokens.revoke(token.id)
    const response = await list(t.auth(secret))
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual(invalid)
  })

  it('rejects the token of a deleted org', async () => {
    await t.services.orgs.create({ slug: 'gone' })
    const token = await issueToken(t.services, { orgSlug: 'gone' })
    await t.services.orgs.delete('gone')
    t.services.tokens.clearCache()
    const response = await t.app.inject({ method: 'GET', url: '/v0/orgs/gone/repos', headers: t.auth(token) })
    expect(response.statusCode).toBe(401)
  })

  it('answers a database that stays busy during a token lookup with 503 (retry), whichever scheme', async () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    const authenticate = t.services.tokens.authenticate
    t.services.tokens.authenticate = async () => {
      throw busy
    }
    try {
      for (const scheme of ['bearer', 'basic'] as const) {
        const response = await list(t.auth('sktsec_not_verified_yet_0123456789', scheme))
        expect(response.statusCode, scheme).toBe(503)
        expect(response.headers['retry-after']).toBe('1')
        expect(response.json()).toEqual({
          error: { message: 'Service temporarily unavailable, retry shortly', details: null },
        })
      }
    } finally {
      t.services.tokens.authenticate = authenticate
    }
  })

  it('never stores a token in plain text', async () => {
    const databasePath = tempDir('auth').file('db.sqlite')
    const file = await createTestApp({ config: { databasePath } })
    const { secret } = await file.services.tokens.issue({ orgSlug: 'acme' })
    await file.close()
    const rows = await storedTokens(databasePath)
    const dump = JSON.stringify(rows)
    expect(rows.length).toBe(2)
    expect(dump).toContain(createHash('sha256').update(secret).digest('hex'))
    expect(dump).not.toContain(secret)
    expect(dump).not.toContain(secret.slice(12))
  })
})

describe('organizations and scopes', () => {
  const t = useTestApp()
  beforeEach(async () => {
    await t.services.orgs.create({ slug: 'globex' })
  })

  it('answers 403 Organization not allowed for another org, existing or not', async () => {
    for (const org of ['globex', 'no-such-org']) {
      const response = await t.app.inject({ method: 'GET', url: `/v0/orgs/${org}/repos`, headers: t.auth() })
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual({ error: { message: 'Organization not allowed', details: null } })
    }
  })

  it('answers 403 Insufficient permissions for API method without the scope', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo:list'] })
    const response = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: t.auth(token),
      payload: { name: 'x' },
    })
    expect(response.statusCode).toBe(403)
    // Socket's message, and the scope the token lacks.
    expect(response.json()).toEqual({
      error: { message: 'Insufficient permissions for API method', details: { requiredScopes: ['repo:create'] } },
    })
  })

  it('grants every repo:* scope with the repo umbrella, and nothing of repo-label', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo'] })
    const headers = t.auth(token)
    const create = await t.app.inject({ method: 'POST', url: '/v0/orgs/acme/repos', headers, payload: { name: 'u' } })
    expect(create.statusCode).toBe(201)
    const update = await t.app.inject({ method: 'POST', url: '/v0/orgs/acme/repos/u', headers, payload: {} })
    expect(update.statusCode).toBe(200)
    const remove = await t.app.inject({ method: 'DELETE', url: '/v0/orgs/acme/repos/u', headers })
    expect(remove.statusCode).toBe(200)
    const labels = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/labels', headers })
    expect(labels.statusCode).toBe(403)
  })

  it('needs no scope for /quota and /organizations, only a token', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label:list'] })
    for (const url of ['/v0/quota', '/v0/organizations']) {
      expect((await t.app.inject({ method: 'GET', url, headers: t.auth(token) })).statusCode).toBe(200)
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401)
    }
  })

  it('lists only the token’s own organization, keyed by id', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/v0/organizations', headers: t.auth() })
    expect(response.json()).toEqual({
      organizations: { [t.org.id]: { id: t.org.id, name: 'Acme Inc.', image: null, plan: 'enterprise', slug: 'acme' } },
    })
  })

  it('checks the org before the scope, and both before validation', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo:list'] })
    const otherOrg = await t.app.inject({ method: 'POST', url: '/v0/orgs/globex/repos', headers: t.auth(token) })
    expect(otherOrg.json().error.message).toBe('Organization not allowed')
    const badBody = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: t.auth(token),
      payload: { visibility: 'secret' },
    })
    expect(badBody.statusCode).toBe(403)
  })
})
