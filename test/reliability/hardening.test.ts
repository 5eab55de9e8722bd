import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createTestApp, issueToken, type TestApp, type TestAppOptions } from '../helpers/app.js'
import { databaseEnv } from '../helpers/database.js'
import { tempDir } from '../helpers/fixtures.js'
import { runCli, startServer } from '../helpers/process.js'
import { socketErrorProblem } from './support.js'

/**
 * Issue 10, part B: no 500 and no silent change from an admin mistake or a second process —
 * a token of an org deleted by another process, admin bodies, /quota across processes, settings
 * that could never be presented, the headers of every metered answer, the admin-secret comparison.
 */

const INVALID = { error: { message: 'Invalid API token', details: null } }
const SECRET = 'hardening-admin-secret-0123'

/** A test app on a database file of its own, and the file's path. */
async function fileApp(prefix: string, options: TestAppOptions = {}) {
  const path = tempDir(prefix).file('socket.db')
  const t = await createTestApp({ ...options, config: { databasePath: path, ...options.config } })
  return { t, path }
}

describe('a token whose org another process deleted (row 1)', () => {
  it('is answered 401 by every write and read while its verification is still cached, never a 500', async () => {
    // A cache that outlives the test: what is checked is the answer before it expires.
    const { t, path } = await fileApp('org-gone', { config: { authCacheTtlMs: 600_000 } })
    await t.services.orgs.create({ slug: 'gone' })
    const forRepos = await issueToken(t.services, { orgSlug: 'gone', maxQuota: 1000 })
    const forLabels = await issueToken(t.services, { orgSlug: 'gone', maxQuota: 1000 })
    const forQuota = await issueToken(t.services, { orgSlug: 'gone', maxQuota: 1000 })
    // Each token is verified (cached) and holds a quota lease, so no request below needs the database to pass auth.
    for (const token of [forRepos, forLabels, forQuota]) {
      const listed = await t.app.inject({ method: 'GET', url: '/v0/orgs/gone/repos', headers: t.auth(token) })
      expect(listed.statusCode).toBe(200)
    }

    const deleted = await runCli(['orgs', 'delete', 'gone'], { ...(await databaseEnv(path)), LOG_LEVEL: 'silent' })
    expect(deleted.code, deleted.stderr).toBe(0)

    const repo = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/gone/repos',
      headers: t.auth(forRepos),
      payload: { name: 'after-delete' },
    })
    expect(repo.statusCode, repo.body).toBe(401)
    expect(repo.json()).toEqual(INVALID)
    const label = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/gone/repos/labels',
      headers: t.auth(forLabels, 'basic'),
      payload: { name: 'after-delete' },
    })
    expect(label.statusCode, label.body).toBe(401)
    expect(label.json()).toEqual(INVALID)
    const quota = await t.app.inject({ method: 'GET', url: '/v0/quota', headers: t.auth(forQuota) })
    expect(quota.statusCode, quota.body).toBe(401)
    expect(quota.json()).toEqual(INVALID)

    // Found out once, forgotten at once: the next request of each is refused by authentication itself.
    for (const token of [forRepos, forLabels, forQuota]) {
      const next = await t.app.inject({ method: 'GET', url: '/v0/orgs/gone/repos', headers: t.auth(token) })
      expect(next.statusCode).toBe(401)
      expect(next.json()).toEqual(INVALID)
    }
    // Another org's token is unaffected.
    const other = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: t.auth(),
      payload: { name: 'x' },
    })
    expect(other.statusCode).toBe(201)
  }, 30_000)
})

describe('admin bodies are validated like the API’s (row 3)', () => {
  let t: TestApp
  const admin = { 'x-admin-secret': SECRET }

  async function seeded() {
    t = await createTestApp({ config: { adminSecret: SECRET } })
    await t.services.orgs.create({ slug: 'globex' })
    for (const org of ['acme', 'globex']) {
      const token = await issueToken(t.services, { orgSlug: org })
      for (const name of ['one', 'two']) {
        const created = await t.app.inject({
          method: 'POST',
          url: `/v0/orgs/${org}/repos`,
          headers: t.auth(token),
          payload: { name },
        })
        expect(created.statusCode).toBe(201)
      }
      const label = await t.app.inject({
        method: 'POST',
        url: `/v0/orgs/${org}/repos/labels`,
        headers: t.auth(token),
        payload: { name: 'pci' },
      })
      expect(label.statusCode).toBe(201)
    }
    return t
  }

  it.each([
    ['{"org":["x"]}', { org: ['x'] }],
    ['{"org":null}', { org: null }],
    ['{"org":""}', { org: '' }],
    ['{"orgs":"acme"}', { orgs: 'acme' }],
    ['{"everything":"true"}', { everything: 'true' }],
    ['{"everything":1}', { everything: 1 }],
    ['{"org":"acme","everything":true}', { org: 'acme', everything: true }],
    ['[]', []],
    ['null', null],
  ])('POST /_admin/reset with %s is a 400 in Socket’s body and deletes nothing', async (_name, payload) => {
    const app = await seeded()
    const before = await app.services.state.export()
    const response = await app.app.inject({
      method: 'POST',
      url: '/_admin/reset',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    })
    expect(response.statusCode, response.body).toBe(400)
    expect(socketErrorProblem(response.body)).toBeNull()
    expect(await app.services.state.export()).toEqual(before)
  })

  it('POST /_admin/reset with a valid body still resets (one org, all data, everything)', async () => {
    const app = await seeded()
    const repos = async () => (await app.services.state.export()).orgs.map((o) => [o.slug, o.repos.length])
    expect(
      (await app.app.inject({ method: 'POST', url: '/_admin/reset', headers: admin, payload: { org: 'acme' } }))
        .statusCode,
    ).toBe(200)
    expect(await repos()).toEqual([
      ['acme', 0],
      ['globex', 2],
    ])
    expect(
      (await app.app.inject({ method: 'POST', url: '/_admin/reset', headers: admin, payload: { everything: false } }))
        .statusCode,
    ).toBe(200)
    expect(await repos()).toEqual([
      ['acme', 0],
      ['globex', 0],
    ])
  })

  it('the same options are refused by the state service itself (the CLI and createServer() use it)', async () => {
    const app = await seeded()
    const before = await app.services.state.export()
    await expect(app.services.state.reset({ org: 'acme', everything: true })).rejects.toThrow(
      'give either org or everything, not both',
    )
    await expect(app.services.state.reset(JSON.parse('{"everything":"true"}'))).rejects.toThrow()
    expect(await app.services.state.export()).toEqual(before)
  })

  it('POST /_admin/faults with an unknown operationId is a 400 and adds no rule', async () => {
    const app = await seeded()
    for (const operationId of ['getOrgRepoLists', 'createorgrepo', '', 'constructor']) {
      const response = await app.app.inject({
        method: 'POST',
        url: '/_admin/faults',
        headers: admin,
        payload: { operationId, status: 503 },
      })
      expect(response.statusCode, operationId).toBe(400)
      expect(socketErrorProblem(response.body)).toBeNull()
    }
    expect(
      response400Message(
        await app.app.inject({
          method: 'POST',
          url: '/_admin/faults',
          headers: admin,
          payload: { operationId: 'nope', status: 503 },
        }),
      ),
    ).toContain('unknown operationId "nope"')
    expect((await app.app.inject({ method: 'GET', url: '/_admin/faults', headers: admin })).json()).toEqual({
      faults: [],
    })
    const known = await app.app.inject({
      method: 'POST',
      url: '/_admin/faults',
      headers: admin,
      payload: { operationId: 'createOrgRepo', status: 503 },
    })
    expect(known.statusCode).toBe(201)
  })

  it('GET /_admin/export with an unknown format or parameter is a 400', async () => {
    const app = await seeded()
    for (const query of ['format=xml', 'format=', 'format=JSON', 'formats=yaml']) {
      const response = await app.app.inject({ method: 'GET', url: `/_admin/export?${query}`, headers: admin })
      expect(response.statusCode, query).toBe(400)
      expect(socketErrorProblem(response.body)).toBeNull()
    }
    for (const query of ['', '?format=json', '?format=yaml']) {
      expect((await app.app.inject({ method: 'GET', url: `/_admin/export${query}`, headers: admin })).statusCode).toBe(
        200,
      )
    }
  })
})

function response400Message(response: { statusCode: number; json(): { error: { message: string } } }): string {
  expect(response.statusCode).toBe(400)
  return response.json().error.message
}

describe('GET /quota across processes (row 7)', () => {
  it('never reports more units than requests, to either process, then get', async () => {
    const { t, path } = await fileApp('quota-two', { config: { authCacheTtlMs: 600_000 } })
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 100 })
    // Both keep their leases for the whole test, so the arithmetic below is exact whatever the machine's load.
    const other = await startServer({ ...(await databaseEnv(path)), BOOTSTRAP: 'false', AUTH_CACHE_TTL_MS: '600000' })
    const viaA = (url: string) => t.app.inject({ method: 'GET', url, headers: t.auth(token) })
    const viaB = (url: string) => fetch(`${other.url}${url}`, { headers: t.auth(token) })

    // A spends 3 units from a lease of 5; B spends 90 from leases of its own.
    for (let i = 0; i < 3; i++) expect((await viaA('/v0/orgs/acme/repos')).statusCode).toBe(200)
    for (let i = 0; i < 90; i++) expect((await viaB('/v0/orgs/acme/repos')).status).toBe(200)

    const reportedByA = (await viaA('/v0/quota')).json().quota as number
    const reportedByB = ((await (await viaB('/v0/quota')).json()) as { quota: number }).quota
    // Then spend what is left, alternating between the processes, until both refuse.
    let granted = 0
    let refusals = 0
    for (let i = 0; refusals < 2 && i < 200; i++) {
      const status =
        i % 2 === 0 ? (await viaA('/v0/orgs/acme/repos')).statusCode : (await viaB('/v0/orgs/acme/repos')).status
      if (status === 200) {
        granted++
        refusals = 0
      } else {
        expect(status).toBe(429)
        refusals++
      }
    }
    expect(reportedByA).toBeLessThanOrEqual(granted)
    expect(reportedByB).toBeLessThanOrEqual(granted)
    // Nothing is lost either: 3 + 90 spent, the 7 reported are the 7 granted.
    expect(granted).toBe(7)
    expect(reportedByA).toBe(7)
  }, 60_000)
})

describe('settings and tokens that could never be presented (row 8)', () => {
  it('refuses an ADMIN_SECRET with surrounding whitespace at start, naming the rule', () => {
    for (const secret of [' admin-secret-0123456789', 'admin-secret-0123456789 ', '\tadmin-secret-0123456789\n']) {
      expect(() => loadConfig({ ADMIN_SECRET: secret })).toThrow(
        'ADMIN_SECRET=(value hidden): must not start or end with whitespace (HTTP trims header values)',
      )
    }
    expect(loadConfig({ ADMIN_SECRET: 'admin secret 0123456789' }).adminSecret).toBe('admin secret 0123456789')
  })

  it('refuses a token value containing ":" wherever one is given: creation, BOOTSTRAP_TOKEN, fixtures', async () => {
    const rule =
      'a token must not contain ":" (Basic auth, as Socket\'s clients send it, ends the user at the first ":")'
    const t = await createTestApp({ config: { adminSecret: SECRET } })
    await expect(t.services.tokens.issue({ orgSlug: 'acme', token: 'sktsec_with:colon_0123456789' })).rejects.toThrow(
      rule,
    )
    expect(() => loadConfig({ BOOTSTRAP_TOKEN: 'ci:token-0123456789abcdef' })).toThrow(
      `BOOTSTRAP_TOKEN=(value hidden): ${rule}`,
    )
    const seeded = await t.app.inject({
      method: 'POST',
      url: '/_admin/seed',
      headers: { 'x-admin-secret': SECRET },
      payload: { orgs: [{ slug: 'colon', tokens: [{ token: 'fixture:token-0123456789' }] }] },
    })
    expect(seeded.statusCode).toBe(400)
    expect(seeded.json().error.message).toBe(rule)
  })
})

describe('X-RateLimit-* headers on every metered answer (row 9)', () => {
  it('are on the 403 "Insufficient max_quota" and on the 429 of /organizations', async () => {
    const t = await createTestApp({ now: () => Date.parse('2026-01-01T00:00:00Z') })
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 0 })
    const forbidden = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: t.auth(token),
      payload: { name: 'x' },
    })
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json().error.message).toMatch(/^Insufficient max_quota/)
    expect(forbidden.headers['x-ratelimit-limit']).toBe('0')
    expect(forbidden.headers['x-ratelimit-remaining']).toBe('0')
    const organizations = await t.app.inject({ method: 'GET', url: '/v0/organizations', headers: t.auth(token) })
    expect(organizations.statusCode).toBe(429)
    expect(organizations.headers['x-ratelimit-limit']).toBe('0')
    expect(organizations.headers['x-ratelimit-remaining']).toBe('0')

    // A token with a running window: the headers of the refusal carry its reset too.
    const spent = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
    expect((await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth(spent) })).statusCode).toBe(
      200,
    )
    const exhausted = await t.app.inject({ method: 'GET', url: '/v0/organizations', headers: t.auth(spent) })
    expect(exhausted.statusCode).toBe(429)
    expect(exhausted.headers).toMatchObject({
      'x-ratelimit-limit': '1',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Date.parse('2026-01-01T01:00:00Z') / 1000),
    })
  })
})
