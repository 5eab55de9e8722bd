import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { beforeEach, describe, expect, it } from 'vitest'
import { createJournal } from '../src/http/plugins/request-journal.js'
import { createServer } from '../src/index.js'
import { closedAfterTest, useFixture } from './helpers/fixtures.js'

const TOKEN = 'sktsec_journal_ci_token_0123456789'
const SECRET = 'journal-admin-secret-0123456789'
const fixture = { orgs: [{ slug: 'acme', tokens: [{ token: TOKEN, name: 'pipeline' }] }] }
const auth = { authorization: `Bearer ${TOKEN}` }

describe('request journal', () => {
  const server = useFixture(() => createServer({ fixture, config: { adminSecret: SECRET } }), { shared: true })
  beforeEach(() => server.clearRequests())

  const admin = (method: 'GET' | 'DELETE', url: string) =>
    server.app.inject({ method, url, headers: { 'x-admin-secret': SECRET } })

  it('shows a request just made, with its token id and name but never the token', async () => {
    const created = await server.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos?on_duplicate=redirect',
      headers: { ...auth, 'x-request-id': 'ci-run-1' },
      payload: { name: 'payments', visibility: 'private' },
    })
    expect(created.statusCode).toBe(201)

    const [entry, ...others] = server.requests({ operationId: 'createOrgRepo' })
    expect(others).toEqual([])
    expect(entry).toMatchObject({
      seq: 1,
      requestId: 'ci-run-1',
      method: 'POST',
      url: '/v0/orgs/acme/repos?on_duplicate=redirect',
      operationId: 'createOrgRepo',
      org: 'acme',
      token: { name: 'pipeline' },
      status: 201,
      bodyTruncated: false,
    })
    expect(JSON.parse(entry?.body ?? '')).toEqual({ name: 'payments', visibility: 'private' })
    expect(entry?.token?.id).toMatch(/^[1-9][0-9]*$/)
    expect(Date.parse(entry?.time ?? '')).toBeLessThanOrEqual(Date.now())
    expect(entry?.durationMs).toBeGreaterThanOrEqual(0)

    const listed = await admin('GET', '/_admin/requests')
    expect(listed.statusCode).toBe(200)
    expect(listed.json()).toEqual({ capacity: 1000, recorded: 1, requests: [entry] })
    expect(listed.body).not.toContain(TOKEN)
    expect(listed.body).not.toContain('authorization')
  })

  it('records refused and unknown requests too, without a token for a bad one', async () => {
    await server.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: { authorization: 'Bearer nope' } })
    await server.app.inject({ method: 'GET', url: '/v0/no/such/path', headers: auth })
    await server.app.inject({ method: 'GET', url: '/health' })
    const [unknown, refused] = server.requests()
    expect(unknown).toMatchObject({ url: '/v0/no/such/path', operationId: null, status: 404, token: null, org: null })
    expect(refused).toMatchObject({ operationId: 'getOrgRepoList', status: 401, token: null, org: 'acme', body: null })
    expect(server.requests()).toHaveLength(2)
  })

  it('filters by operationId, status, org and time; lists newest first; clears', async () => {
    const before = new Date().toISOString()
    for (const name of ['a', 'b', 'c']) {
      await server.app.inject({ method: 'POST', url: '/v0/orgs/acme/repos', headers: auth, payload: { name } })
    }
    await server.app.inject({ method: 'POST', url: '/v0/orgs/acme/repos', headers: auth, payload: { name: 'a' } })
    await server.app.inject({ method: 'GET', url: '/v0/orgs/other/repos', headers: auth })

    const query = async (qs: string) => (await admin('GET', `/_admin/requests?${qs}`)).json()
    const conflicts = await query('operationId=createOrgRepo&status=409')
    expect(conflicts.requests.map((r: { status: number }) => r.status)).toEqual([409])
    const created = await query('operationId=createOrgRepo&status=201&org=acme')
    expect(created.requests.map((r: { body: string }) => JSON.parse(r.body).name)).toEqual(['c', 'b', 'a'])
    expect((await query('limit=2')).requests.map((r: { seq: number }) => r.seq)).toEqual([5, 4])
    expect((await query('org=other')).requests).toMatchObject([{ status: 403 }])
    expect((await query(`since=${encodeURIComponent(before)}`)).requests).toHaveLength(5)
    expect((await query('since=2999-01-01T00:00:00Z')).requests).toEqual([])

    for (const bad of ['status=abc', 'limit=0', 'since=yesterday', 'colour=red']) {
      const refused = await admin('GET', `/_admin/requests?${bad}`)
      expect(refused.statusCode).toBe(400)
      expect(refused.json().error.details.issues).toHaveLength(1)
    }

    expect((await admin('DELETE', '/_admin/requests')).json()).toEqual({ status: 'ok' })
    expect(await query('')).toEqual({ capacity: 1000, recorded: 0, requests: [] })
  })

  it('needs the admin secret', async () => {
    const refused = await server.app.inject({ method: 'GET', url: '/_admin/requests', headers: auth })
    expect(refused.statusCode).toBe(401)
  })
})

describe('request journal limits', () => {
  it('cuts bodies to REQUEST_JOURNAL_BODY_BYTES', async () => {
    const server = closedAfterTest(
      await createServer({ fixture, config: { requestJournal: { size: 10, bodyBytes: 16 } } }),
    )
    const payload = { name: 'a-rather-long-repository-name', description: 'é'.repeat(50) }
    await server.app.inject({ method: 'POST', url: '/v0/orgs/acme/repos', headers: auth, payload })
    const [entry] = server.requests()
    expect(entry?.body).toBe(JSON.stringify(payload).slice(0, 16))
    expect(entry?.bodyTruncated).toBe(true)
  })

  it('is off with REQUEST_JOURNAL_SIZE=0', async () => {
    const server = closedAfterTest(
      await createServer({
        fixture,
        env: { DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent', REQUEST_JOURNAL_SIZE: '0' },
      }),
    )
    await server.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: auth })
    expect(server.requests()).toEqual([])
    expect(server.app.requestJournal.capacity).toBe(0)
  })

  it('keeps the last N requests of the app', async () => {
    const server = closedAfterTest(
      await createServer({ fixture, config: { requestJournal: { size: 500, bodyBytes: 4096 } } }),
    )
    for (let i = 0; i < 5000; i++) {
      await server.app.inject({ method: 'GET', url: `/v0/orgs/acme/nothing-here-${i}` })
    }
    const kept = server.requests({ limit: 100_000 })
    expect(kept).toHaveLength(500)
    expect(kept[0]?.url).toBe('/v0/orgs/acme/nothing-here-4999')
    expect(kept.at(-1)?.url).toBe('/v0/orgs/acme/nothing-here-4500')
    expect(server.app.requestJournal.recorded).toBe(5000)
  })

  it('holds at most capacity × (body limit + URL limit) over 100,000 requests, however large the bodies', () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const journal = createJournal(1000, 1024)
    const body = 'x'.repeat(64 * 1024)
    const url = `/v0/orgs/acme/repos?${'q'.repeat(10_000)}`
    gc()
    const heapBefore = process.memoryUsage().heapUsed
    for (let i = 0; i < 100_000; i++) {
      journal.record({
        seq: 0,
        at: i,
        requestId: String(i),
        method: 'POST',
        url,
        operationId: 'createOrgRepo',
        org: 'acme',
        tokenId: null,
        tokenName: null,
        status: 201,
        durationMs: 1,
        body,
        bodyTruncated: false,
      })
    }
    const entries = journal.list({ limit: 100_000 })
    expect(entries).toHaveLength(1000)
    expect(entries.every((e) => e.body?.length === 1024 && e.url.length === 2048)).toBe(true)
    gc()
    // 1000 × (1 KB + 2 KB) is some 3 MB; keeping 100,000 bodies of 64 KB would be 6.4 GB.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024)
  })
})
