import { readFileSync } from 'node:fs'
import { beforeEach, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { createServer } from '../src/index.js'
import { bootstrap } from '../src/services/bootstrap-service.js'
import { createTestApp, useTestApp } from './helpers/app.js'
import { useFixture } from './helpers/fixtures.js'

const SECRET = 'admin-secret-for-tests-0123'
const admin = { 'x-admin-secret': SECRET }
const fixtureText = readFileSync(new URL('../examples/fixture.yml', import.meta.url), 'utf8')
const CI_TOKEN = 'sktsec_fixture_ci_token_0123456789'

describe('admin API', () => {
  const t = useTestApp({ config: { adminSecret: SECRET }, orgSlug: 'home' })
  beforeEach(async () => {
    // The fixture pins its own ids: start from an empty database.
    await t.services.state.reset({ everything: true })
  })

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers = admin) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })

  it('answers only the admin secret, never an org token', async () => {
    for (const headers of [{}, { 'x-admin-secret': 'wrong-secret-0123456789' }, t.auth()]) {
      const response = await call('GET', '/_admin/export', undefined, headers as typeof admin)
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual({ error: { message: 'Invalid admin secret', details: null } })
    }
  })

  it('does not exist without ADMIN_SECRET', async () => {
    const plain = await createTestApp({ orgSlug: 'home' })
    const response = await plain.app.inject({ method: 'POST', url: '/_admin/reset', headers: admin })
    expect(response.statusCode).toBe(404)
    const fault = await plain.app.inject({ method: 'POST', url: '/_admin/faults', headers: admin, payload: {} })
    expect(fault.statusCode).toBe(404)
  })

  it('seeds a YAML fixture with its fixed ids and tokens, which then work on the API', async () => {
    const seeded = await t.app.inject({
      method: 'POST',
      url: '/_admin/seed',
      headers: { ...admin, 'content-type': 'application/yaml' },
      payload: fixtureText,
    })
    expect(seeded.statusCode).toBe(201)
    expect(seeded.json()).toEqual({
      status: 'ok',
      created: { orgs: 2, tokens: 3, repos: 4, labels: 2, associations: 2, full_scans: 0, diff_scans: 0 },
    })
    const headers = { authorization: `Bearer ${CI_TOKEN}` }
    const repo = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/web-app', headers })
    expect(repo.json()).toMatchObject({
      id: '10',
      name: 'Web App',
      visibility: 'public',
      created_at: '2026-01-05T09:00:00.000Z',
    })
    const label = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/labels/5', headers })
    expect(label.json()).toEqual({
      id: '5',
      name: 'pci',
      repository_ids: ['11'],
      has_security_policy: true,
      has_license_policy: true,
    })
    const readOnly = { authorization: 'Bearer sktsec_fixture_readonly_token_012345' }
    expect(
      (await t.app.inject({ method: 'DELETE', url: '/v0/orgs/acme/repos/web-app', headers: readOnly })).statusCode,
    ).toBe(403)
  })

  it('applies a fixture whole or not at all', async () => {
    const fixture = parseYaml(fixtureText, { merge: true })
    fixture.orgs[0].labels[1].repositories = ['no-such-repo']
    const failed = await call('POST', '/_admin/seed', fixture)
    expect(failed.statusCode).toBe(409)
    expect(failed.json().error.message).toContain('no-such-repo')
    expect((await t.services.orgs.findBySlug('globex')) ?? null).toBeNull()

    const invalid = await call('POST', '/_admin/seed', { orgs: [{ slug: 'bad slug' }] })
    expect(invalid.statusCode).toBe(400)
    expect((await call('POST', '/_admin/seed', { orgs: [{ slug: 'acme' }] })).statusCode).toBe(201)
    const duplicate = await call('POST', '/_admin/seed', { orgs: [{ slug: 'acme' }] })
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.json().error.message).toBe('Fixture not applied: organization "acme": its slug already exists')
  })

  it('seeds the example fixture into a server that already has its bootstrap org', async () => {
    await bootstrap(t.services, { enabled: true, orgSlug: 'my-org', orgName: undefined, token: undefined })
    const seeded = await t.app.inject({
      method: 'POST',
      url: '/_admin/seed',
      headers: { ...admin, 'content-type': 'application/yaml' },
      payload: fixtureText,
    })
    expect(seeded.statusCode).toBe(201)
  })

  it('names the conflict of a refused fixture: which id or name, held by which org', async () => {
    await call('POST', '/_admin/seed', { orgs: [{ slug: 'first', id: '3', repos: [{ slug: 'web', id: '20' }] }] })
    const message = async (fixture: unknown) => (await call('POST', '/_admin/seed', fixture)).json().error.message
    expect(await message({ orgs: [{ slug: 'second', id: '3' }] })).toBe(
      'Fixture not applied: organization "second": id "3" is already held by organization "first"',
    )
    expect(await message({ orgs: [{ slug: 'second', repos: [{ slug: 'api', id: '20' }] }] })).toBe(
      'Fixture not applied: repo "api" of "second": id "20" is already held by repo "web" of organization "first"',
    )
    await call('POST', '/_admin/seed', { orgs: [{ slug: 'third', tokens: [{ token: CI_TOKEN, name: 'ci' }] }] })
    expect(await message({ orgs: [{ slug: 'fourth', tokens: [{ token: CI_TOKEN, name: 'bot' }] }] })).toBe(
      'Fixture not applied: token "bot" of "fourth": its value is already stored, as token "ci" of organization "third"',
    )
  })

  it('exports what import restores exactly, tokens included (by hash)', async () => {
    await call('POST', '/_admin/seed', parseYaml(fixtureText, { merge: true }))
    await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: { authorization: `Bearer ${CI_TOKEN}` },
      payload: { name: 'added later' },
    })
    const exported = (await call('GET', '/_admin/export')).json()
    expect(JSON.stringify(exported)).not.toContain(CI_TOKEN)
    expect(exported.orgs.map((o: { slug: string }) => o.slug)).toEqual(['acme', 'globex'])

    await call('POST', '/_admin/reset', { everything: true })
    expect((await call('GET', '/_admin/export')).json()).toEqual({ version: 1, orgs: [] })

    const imported = await call('POST', '/_admin/import', exported)
    expect(imported.statusCode).toBe(200)
    expect((await call('GET', '/_admin/export')).json()).toEqual(exported)
    const again = await t.app.inject({
      method: 'GET',
      url: '/v0/orgs/acme/repos/added-later',
      headers: { authorization: `Bearer ${CI_TOKEN}` },
    })
    expect(again.statusCode).toBe(200)

    const yaml = await call('GET', '/_admin/export?format=yaml')
    expect(yaml.headers['content-type']).toContain('application/yaml')
    expect(parseYaml(yaml.body)).toEqual(exported)
  })

  it('resets one org’s data, or all data, keeping orgs and tokens and refilling quotas', async () => {
    await call('POST', '/_admin/seed', parseYaml(fixtureText, { merge: true }))
    const headers = { authorization: `Bearer ${CI_TOKEN}` }
    await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers })
    expect((await call('POST', '/_admin/reset', { org: 'acme' })).json()).toEqual({ status: 'ok' })
    const list = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos?include_archived=true', headers })
    expect(list.json()).toEqual({ results: [], nextPage: null })
    expect(list.headers['x-ratelimit-remaining']).toBe('9999')
    const globex = await t.app.inject({
      method: 'GET',
      url: '/v0/orgs/globex/repos',
      headers: { authorization: 'Bearer sktsec_fixture_globex_token_0123456' },
    })
    expect(globex.json().results).toHaveLength(1)
    expect((await call('POST', '/_admin/reset', { org: 'nope' })).statusCode).toBe(404)
    await call('POST', '/_admin/reset', {})
    expect((await t.services.state.export()).orgs.every((o) => o.repos.length === 0 && o.labels.length === 0)).toBe(
      true,
    )
  })

  it('injects latency and forced statuses for matching operations and orgs', async () => {
    await call('POST', '/_admin/seed', parseYaml(fixtureText, { merge: true }))
    const rule = await call('POST', '/_admin/faults', { operationId: 'getOrgRepoList', status: 503, times: 2 })
    expect(rule.statusCode).toBe(201)
    expect(rule.json()).toMatchObject({ operationId: 'getOrgRepoList', status: 503, remaining: 2, delayMs: 0 })
    const list = () =>
      t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: { authorization: `Bearer ${CI_TOKEN}` } })
    const forced = await list()
    expect(forced.statusCode).toBe(503)
    expect(forced.headers['retry-after']).toBe('1')
    expect(forced.headers['x-injected-fault']).toBe(rule.json().id)
    // Before the operation's own steps: the request id is there, no quota was spent, credentials do not matter.
    expect(forced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(forced.headers['x-ratelimit-remaining']).toBeUndefined()
    expect(forced.json()).toEqual({ error: { message: 'Injected fault', details: null } })
    const anonymous = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos' })
    expect(anonymous.statusCode).toBe(503)
    expect((await list()).statusCode).toBe(200)

    // A rule for any operation leaves what is not an operation alone (/health, /_admin, an unknown route).
    await call('POST', '/_admin/faults', { status: 500, times: 1 })
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: '/v0/no/such/route' })).statusCode).toBe(404)
    expect((await call('GET', '/_admin/faults')).json().faults).toEqual([expect.objectContaining({ remaining: 1 })])
    expect((await list()).statusCode).toBe(500)

    await call('POST', '/_admin/faults', { org: 'acme', delayMs: 150 })
    const started = Date.now()
    expect((await list()).statusCode).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect((await call('GET', '/_admin/faults')).json().faults).toHaveLength(1)
    expect((await call('DELETE', '/_admin/faults')).json()).toEqual({ status: 'ok' })
    expect((await call('GET', '/_admin/faults')).json()).toEqual({ faults: [] })
    expect((await call('POST', '/_admin/faults', { operationId: 'getOrgRepoList' })).statusCode).toBe(400)
    expect((await call('DELETE', '/_admin/faults/not-an-id')).statusCode).toBe(404)
  })
})

describe('programmatic API (createServer)', () => {
  const server = useFixture(() => createServer({ fixture: parseYaml(fixtureText, { merge: true }) }))

  it('starts an isolated in-memory server, seeded, that listens for real HTTP', async () => {
    const base = await server.listen()
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v0$/)
    const response = await fetch(`${base}/orgs/acme/repos?sort=name&direction=asc`, {
      headers: { authorization: `Bearer ${CI_TOKEN}` },
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { results: { slug: string }[] }
    expect(body.results.map((r) => r.slug)).toEqual(['payments-api', 'web-app'])
  })

  it('resets and seeds between tests', async () => {
    await server.reset()
    const empty = await server.app.inject({
      method: 'GET',
      url: '/v0/orgs/acme/repos',
      headers: { authorization: `Bearer ${CI_TOKEN}` },
    })
    expect(empty.json()).toEqual({ results: [], nextPage: null })
    await server.reset({ everything: true })
    expect(await server.export()).toEqual({ version: 1, orgs: [] })
    expect(await server.seed({ orgs: [{ slug: 'fresh', repos: [{ slug: 'one' }] }] })).toEqual({
      orgs: 1,
      tokens: 0,
      repos: 1,
      labels: 0,
      associations: 0,
      full_scans: 0,
      diff_scans: 0,
    })
  })
})
