import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import type { components } from '../src/http/generated/api.js'
import { hashToken } from '../src/services/token-service.js'
import { createTestApp, issueToken, request, type TestApp, useTestApp } from './helpers/app.js'

/** Socket's API-token endpoints (docs/api-tokens.md): one token store with the admin CLI. */

const TOKENS = '/v0/orgs/acme/api-tokens'
const committer = {
  email: 'ci@example.com',
  provider: 'github' as const,
  providerLoginName: 'ci-bot',
  providerUserId: '42',
}

function settings(overrides: Record<string, unknown> = {}) {
  return { name: 'ci', scopes: ['repo:list'], max_quota: 500, visibility: 'organization', committer, ...overrides }
}

type Created = components['schemas']['ApiTokenCreated']

function expectError(response: LightMyRequestResponse, status: number, message?: string | RegExp) {
  expect(response.statusCode, response.body).toBe(status)
  const json = response.json() as { error: { message: string } }
  if (message !== undefined) expect(json.error.message).toMatch(message)
}

async function mint(t: TestApp, body: Record<string, unknown> = settings(), token?: string): Promise<Created> {
  const response = await request(t, 'POST', TOKENS, { token, payload: body })
  expect(response.statusCode, response.body).toBe(200)
  return response.json() as Created
}

async function list(t: TestApp, query = '', token?: string) {
  const response = await request(t, 'GET', `${TOKENS}${query}`, { token })
  expect(response.statusCode, response.body).toBe(200)
  return response.json() as { tokens: Record<string, unknown>[]; nextPage: number | null }
}

async function idOf(t: TestApp, created: Created): Promise<string> {
  const found = (await list(t)).tokens.find((token) => token.group_uuid === created.group_uuid)
  return String(found?.id)
}

describe('API tokens', () => {
  const t = useTestApp()

  describe('POST /api-tokens', () => {
    it('mints a token whose value is returned once, with its group uuid and SRI hash', async () => {
      const created = await mint(t)
      expect(created.token).toMatch(/^sktsec_[0-9A-Za-z]{48}$/)
      expect(created.group_uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(created.hash).toBe(`sha256-${Buffer.from(hashToken(created.token), 'hex').toString('base64')}`)
      expect(created.created_by).toBeNull()
      // The same store as the admin CLI: the service lists it with its settings.
      const stored = (await t.services.tokens.list('acme')).find((token) => token.groupUuid === created.group_uuid)
      expect(stored).toMatchObject({ name: 'ci', scopes: ['repo:list'], maxQuota: 500, committers: [committer] })
    })

    it('the minted token works within exactly its scopes', async () => {
      const { token } = await mint(t, settings({ scopes: ['repo:list', 'repo-label:create'] }))
      expect((await request(t, 'GET', '/v0/orgs/acme/repos', { token })).statusCode).toBe(200)
      expect(
        (await request(t, 'POST', '/v0/orgs/acme/repos/labels', { token, payload: { name: 'x' } })).statusCode,
      ).toBe(201)
      const refused = [
        await request(t, 'POST', '/v0/orgs/acme/repos', { token, payload: { slug: 'r' } }),
        await request(t, 'GET', '/v0/orgs/acme/repos/labels', { token }),
        await request(t, 'GET', TOKENS, { token }),
        await request(t, 'GET', '/v0/orgs/acme/settings/security-policy', { token }),
      ]
      for (const response of refused) expectError(response, 403, 'Insufficient permissions for API method')
      expect((await request(t, 'GET', '/v0/quota', { token })).statusCode).toBe(200)
    })

    it('refuses scopes or a max_quota beyond the caller’s (403), naming the scopes', async () => {
      const caller = await issueToken(t.services, {
        orgSlug: 'acme',
        scopes: ['api-tokens', 'repo:list'],
        maxQuota: 1000,
      })
      const beyond = await request(t, 'POST', TOKENS, {
        token: caller,
        payload: settings({ scopes: ['repo:list', 'repo:delete'] }),
      })
      expectError(beyond, 403, /repo:delete/)
      const wildcard = await request(t, 'POST', TOKENS, { token: caller, payload: settings({ scopes: ['*'] }) })
      expectError(wildcard, 403, /\*/)
      const quota = await request(t, 'POST', TOKENS, { token: caller, payload: settings({ max_quota: 1001 }) })
      expectError(quota, 403, /max_quota/)
      // Within both: fine, including the umbrella the caller holds.
      await mint(t, settings({ scopes: ['api-tokens:list', 'repo:list'], max_quota: 1000 }), caller)
      await mint(t, settings({ scopes: ['api-tokens'], max_quota: 10 }), caller)
    })

    it('400: a body without the required settings, an unknown scope, or resource grants', async () => {
      expectError(await request(t, 'POST', TOKENS, { payload: { name: 'x' } }), 400)
      expectError(await request(t, 'POST', TOKENS, { payload: settings({ scopes: ['repo:fly'] }) }), 400)
      expectError(await request(t, 'POST', TOKENS, { payload: settings({ scopes: [] }) }), 400, /at least one scope/)
      const resources = settings({ resources: [{ organizationSlug: 'acme', repositorySlug: 'r' }] })
      expectError(await request(t, 'POST', TOKENS, { payload: resources }), 400, /resource grants/)
      // NUL fits in no stored text (PostgreSQL refuses it): a 400 on both engines, nothing stored.
      expectError(await request(t, 'POST', TOKENS, { payload: settings({ name: 'a\u0000b' }) }), 400, /NUL/)
      expect(await t.services.tokens.list('acme')).toHaveLength(1)
    })

    it('401 without a token, 403 without api-tokens:create or for another org', async () => {
      expectError(await request(t, 'POST', TOKENS, { token: null, payload: settings() }), 401)
      const reader = await issueToken(t.services, { orgSlug: 'acme', scopes: ['api-tokens:list', 'repo'] })
      expectError(await request(t, 'POST', TOKENS, { token: reader, payload: settings() }), 403)
      await t.services.orgs.create({ slug: 'other' })
      expectError(await request(t, 'POST', '/v0/orgs/other/api-tokens', { payload: settings() }), 403)
    })

    it('429 once the caller’s quota is spent (each call costs 10 units)', async () => {
      const caller = await issueToken(t.services, {
        orgSlug: 'acme',
        scopes: ['api-tokens', 'repo:list'],
        maxQuota: 10,
      })
      await mint(t, settings({ max_quota: 10 }), caller)
      const second = await request(t, 'POST', TOKENS, { token: caller, payload: settings({ max_quota: 10 }) })
      expectError(second, 429, 'Insufficient quota for API route')
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(0)
    })
  })

  describe('GET /api-tokens', () => {
    it('lists active tokens by creation, never their values, with pagination', async () => {
      let clock = Date.parse('2030-01-01T00:00:00Z')
      const t = await createTestApp({ now: () => clock })
      for (const name of ['a', 'b', 'c']) {
        clock += 1000
        await mint(t, settings({ name }))
      }
      const first = await list(t, '?per_page=2')
      expect(first.tokens.map((token) => token.name)).toEqual(['c', 'b'])
      expect(first.nextPage).toBe(2)
      const second = await list(t, '?per_page=2&page=2')
      expect(second.tokens.map((token) => token.name)).toEqual(['a', 'test'])
      expect(second.nextPage).toBeNull()
      const ascending = await list(t, '?direction=asc&sort=created_at')
      expect(ascending.tokens.map((token) => token.name)).toEqual(['test', 'a', 'b', 'c'])
      const [token] = first.tokens
      expect(token).toMatchObject({
        committers: [committer],
        created_by: null,
        max_quota: 500,
        scopes: ['repo:list'],
        token: null,
        visibility: 'organization',
        last_used_at: '',
      })
      expect(JSON.stringify(first)).not.toMatch(/sktsec_[0-9A-Za-z]{48}/)
      const included = await list(t, '?token_values=include')
      for (const listed of included.tokens) expect(listed.token).toMatch(/^sktsec_[0-9A-Za-z]{4}…$/)
    })

    it('400 on a bad query, 401, 403 without api-tokens:list', async () => {
      expectError(await request(t, 'GET', `${TOKENS}?per_page=101`), 400)
      expectError(await request(t, 'GET', `${TOKENS}?sort=name`), 400)
      expectError(await request(t, 'GET', TOKENS, { token: null }), 401)
      const other = await issueToken(t.services, { orgSlug: 'acme', scopes: ['api-tokens:create'] })
      expectError(await request(t, 'GET', TOKENS, { token: other }), 403)
    })
  })

  describe('POST /api-tokens/update', () => {
    it('replaces the settings (by id, uuid, value or hash); the new scopes apply at once', async () => {
      const created = await mint(t, settings({ scopes: ['repo:list'] }))
      expect((await request(t, 'GET', '/v0/orgs/acme/repos/labels', { token: created.token })).statusCode).toBe(403)
      const update = (identifier: Record<string, string>, overrides: Record<string, unknown>) =>
        request(t, 'POST', `${TOKENS}/update`, { payload: { ...settings(overrides), ...identifier } })

      const byUuid = await update({ uuid: created.group_uuid }, { scopes: ['repo-label:list'], name: 'renamed' })
      expect(byUuid.statusCode, byUuid.body).toBe(200)
      expect(byUuid.json()).toEqual({ hash: created.hash })
      expect((await request(t, 'GET', '/v0/orgs/acme/repos/labels', { token: created.token })).statusCode).toBe(200)
      expect((await request(t, 'GET', '/v0/orgs/acme/repos', { token: created.token })).statusCode).toBe(403)

      const id = await idOf(t, created)
      const identifiers: Record<string, string>[] = [
        { id },
        { token: created.token },
        { hash: created.hash },
        { uuid: created.group_uuid, hash: created.hash },
      ]
      for (const identifier of identifiers) {
        const response = await update(identifier, { max_quota: 7 })
        expect(response.statusCode, response.body).toBe(200)
      }
      const [stored] = (await list(t)).tokens.filter((token) => token.id === id)
      expect(stored).toMatchObject({ name: 'ci', max_quota: 7, scopes: ['repo:list'] })
    })

    it('404 for no such active token or identifiers that disagree; 400 without one; 403 beyond the caller', async () => {
      const created = await mint(t)
      const other = await mint(t, settings({ name: 'other' }))
      const update = (identifier: Record<string, string>) =>
        request(t, 'POST', `${TOKENS}/update`, { payload: { ...settings(), ...identifier } })
      expectError(await update({ id: '999' }), 404, 'API token not found')
      expectError(await update({ uuid: created.group_uuid, hash: other.hash }), 404)
      expectError(await update({ hash: 'sha512-abc' }), 400, /hash/)
      expectError(await update({}), 400, /uuid, id, token or hash/)
      expectError(await update({ uuid: 'not-a-uuid' }), 400)

      const admin = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo', 'api-tokens'], maxQuota: 100_000 })
      const small = await issueToken(t.services, { orgSlug: 'acme', scopes: ['api-tokens'], maxQuota: 100 })
      const adminId = String((await t.services.tokens.list('acme')).find((token) => token.scopes.includes('repo'))?.id)
      const refused = await request(t, 'POST', `${TOKENS}/update`, {
        token: small,
        payload: { ...settings({ scopes: ['api-tokens:list'], max_quota: 10 }), id: adminId },
      })
      expectError(refused, 403, /beyond/)
      expect(admin).toBeTruthy()
      expectError(await request(t, 'POST', `${TOKENS}/update`, { token: null, payload: settings() }), 401)
    })
  })

  describe('POST /api-tokens/rotate and /revoke', () => {
    it('rotate: a new value and id in the same group; the old value is dead at once', async () => {
      const created = await mint(t, settings({ scopes: ['repo:list'] }))
      expect((await request(t, 'GET', '/v0/orgs/acme/repos', { token: created.token })).statusCode).toBe(200)
      const oldId = await idOf(t, created)
      const response = await request(t, 'POST', `${TOKENS}/rotate`, { payload: { uuid: created.group_uuid } })
      expect(response.statusCode, response.body).toBe(200)
      const rotated = response.json() as Created & { id: string }
      expect(rotated.group_uuid).toBe(created.group_uuid)
      expect(rotated.id).not.toBe(oldId)
      expect(rotated.token).not.toBe(created.token)
      expectError(await request(t, 'GET', '/v0/orgs/acme/repos', { token: created.token }), 401, 'Invalid API token')
      expect((await request(t, 'GET', '/v0/orgs/acme/repos', { token: rotated.token })).statusCode).toBe(200)
      // The quota already used (a call by each value) carries over: a rotation is no refill.
      const quota = (await request(t, 'GET', '/v0/quota', { token: rotated.token })).json() as { quota: number }
      expect(quota.quota).toBe(498)
      expect((await list(t)).tokens.map((token) => token.id)).toContain(rotated.id)
      expectError(await request(t, 'POST', `${TOKENS}/rotate`, { payload: { id: oldId } }), 404)
    })

    it('revoke: the value stops working at once; revoking again is a 404', async () => {
      const created = await mint(t)
      expect((await request(t, 'GET', '/v0/orgs/acme/repos', { token: created.token })).statusCode).toBe(200)
      const response = await request(t, 'POST', `${TOKENS}/revoke`, { payload: { token: created.token } })
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json()).toEqual({ status: 'revoked' })
      expectError(await request(t, 'GET', '/v0/orgs/acme/repos', { token: created.token }), 401)
      expectError(await request(t, 'POST', `${TOKENS}/revoke`, { payload: { token: created.token } }), 404)
      expect((await list(t)).tokens.map((token) => token.group_uuid)).not.toContain(created.group_uuid)
    })

    it('400 without an identifier, 401, 403 without the scope', async () => {
      for (const action of ['rotate', 'revoke']) {
        expectError(await request(t, 'POST', `${TOKENS}/${action}`, { payload: {} }), 400)
        expectError(await request(t, 'POST', `${TOKENS}/${action}`, { token: null, payload: { id: '1' } }), 401)
        const lister = await issueToken(t.services, { orgSlug: 'acme', scopes: ['api-tokens:list'] })
        expectError(await request(t, 'POST', `${TOKENS}/${action}`, { token: lister, payload: { id: '1' } }), 403)
      }
    })

    it('a token may rotate and revoke itself', async () => {
      const own = await mint(t, settings({ scopes: ['api-tokens:rotate', 'api-tokens:revoke'] }))
      const rotated = await request(t, 'POST', `${TOKENS}/rotate`, { token: own.token, payload: { hash: own.hash } })
      expect(rotated.statusCode, rotated.body).toBe(200)
      const next = (rotated.json() as Created).token
      const revoked = await request(t, 'POST', `${TOKENS}/revoke`, { token: next, payload: { token: next } })
      expect(revoked.statusCode, revoked.body).toBe(200)
      expectError(await request(t, 'GET', '/v0/quota', { token: next }), 401)
    })
  })
})
