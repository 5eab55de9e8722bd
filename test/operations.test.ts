import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { requestLogger } from '../src/http/request-log.js'
import { createTestApp, openTestDb } from './helpers/app.js'
import { closedAfterTest } from './helpers/fixtures.js'

describe('operations endpoints', () => {
  it('/health and /ready answer without auth or quota', async () => {
    const t = await createTestApp()
    const health = await t.app.inject({ method: 'GET', url: '/health' })
    expect(health.statusCode).toBe(200)
    expect(health.json()).toEqual({ status: 'ok' })
    expect(health.headers['x-ratelimit-limit']).toBeUndefined()
    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: true, migrations: true } })
  })

  it('GET / is an index of the server: JSON, or HTML for a browser, without auth', async () => {
    const t = await createTestApp()
    const json = await t.app.inject({ method: 'GET', url: '/', headers: { accept: '*/*' } })
    expect(json.statusCode).toBe(200)
    expect(json.json()).toEqual({
      name: 'socket-repos-server',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      links: {
        api: '/v0',
        docs: '/docs',
        openapi: '/openapi.json',
        health: '/health',
        ready: '/ready',
        metrics: '/metrics',
      },
    })
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
    const html = await t.app.inject({ method: 'GET', url: '/', headers: { accept: browser } })
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8')
    for (const href of ['/docs', '/openapi.json', '/v0', '/health']) expect(html.body).toContain(`href="${href}"`)
    const docs = await t.app.inject({ method: 'GET', url: '/docs' })
    expect(docs.statusCode).toBeLessThan(400)
  })

  it('/ready answers 503 when the database is gone', async () => {
    const db = openTestDb({ path: ':memory:' })
    const t = await createTestApp({ db })
    db.db.$client.close()
    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({
      error: { message: 'Not ready', details: { database: false, migrations: false } },
    })
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
  })

  it('/ready answers 503 before the migrations are applied', async () => {
    const t = await createTestApp({
      db: (() => {
        const db = openTestDb({ path: ':memory:' })
        db.db.$client.exec('DELETE FROM __drizzle_migrations')
        return db
      })(),
    })
    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json().error.details).toEqual({ database: true, migrations: false })
  })

  it('exposes Prometheus metrics by operationId, status, latency and quota rejections', async () => {
    const t = await createTestApp()
    const token = (await t.services.tokens.issue({ orgSlug: 'acme', maxQuota: 1 })).secret
    await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth(token) })
    await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth(token) })
    await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/none', headers: t.auth() })
    await t.app.inject({ method: 'GET', url: '/health' })
    await t.app.inject({ method: 'HEAD', url: '/health' })
    await t.app.inject({ method: 'GET', url: '/no/such/route' })
    await t.app.inject({ method: 'GET', url: '/metrics' })
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.statusCode).toBe(200)
    expect(metrics.headers['content-type']).toContain('text/plain')
    const text = metrics.body
    expect(text).toContain('socket_repos_http_requests_total{operation="getOrgRepoList",method="GET",status="200"} 1')
    expect(text).toContain('socket_repos_http_requests_total{operation="getOrgRepoList",method="GET",status="429"} 1')
    expect(text).toContain('socket_repos_http_requests_total{operation="getOrgRepo",method="GET",status="404"} 1')
    expect(text).toContain('socket_repos_quota_rejections_total{operation="getOrgRepoList",reason="exhausted"} 1')
    expect(text).toMatch(/socket_repos_http_request_duration_seconds_bucket\{le="[^"]+",operation="getOrgRepoList"\} 2/)
    // Routes outside the spec by their URL (a GET's HEAD counted once, as HEAD), no route as unmatched,
    // /metrics itself not at all; an operation never called has no series.
    expect(text).toContain('socket_repos_http_requests_total{operation="/health",method="GET",status="200"} 1')
    expect(text).toContain('socket_repos_http_requests_total{operation="/health",method="HEAD",status="200"} 1')
    expect(text).toContain('socket_repos_http_requests_total{operation="unmatched",method="GET",status="404"} 1')
    expect(text).not.toContain('operation="/metrics"')
    expect(text).not.toContain('operation="createOrgRepo"')
  })

  it('sends X-Request-Id on every response, honouring a sane incoming one', async () => {
    const t = await createTestApp()
    const own = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'ci-run-42:step.7' } })
    expect(own.headers['x-request-id']).toBe('ci-run-42:step.7')
    const generated = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos' })
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const hostile = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'a\tb"c' } })
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('answers CORS preflights for configured origins and exposes the quota and id headers', async () => {
    const t = await createTestApp({ config: { corsOrigins: ['https://dash.example.com'] } })
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/v0/orgs/acme/repos',
      headers: {
        origin: 'https://dash.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })
    expect(preflight.statusCode).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('https://dash.example.com')
    expect(preflight.headers['access-control-allow-methods']).toContain('POST')
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization')
    const actual = await t.app.inject({
      method: 'GET',
      url: '/v0/orgs/acme/repos',
      headers: { ...t.auth(), origin: 'https://dash.example.com' },
    })
    expect(actual.headers['access-control-allow-origin']).toBe('https://dash.example.com')
    expect(actual.headers['access-control-expose-headers']).toBe(
      'retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, x-request-id',
    )
    const stranger = await t.app.inject({
      method: 'GET',
      url: '/v0/orgs/acme/repos',
      headers: { ...t.auth(), origin: 'https://evil.example.com' },
    })
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('sends no CORS headers when no origin is configured', async () => {
    const t = await createTestApp()
    const response = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://dash.example.com' },
    })
    expect(response.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('logs', () => {
  it('never contain a token, an Authorization header or the admin secret', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const adminSecret = 'admin-secret-never-logged-42'
    const app = closedAfterTest(
      await buildApp({ config: testConfig({ logLevel: 'trace', adminSecret }), logStream: sink }),
    )
    await app.ready()
    await app.services.orgs.create({ slug: 'acme' })
    const { secret } = await app.services.tokens.issue({ orgSlug: 'acme' })
    const basic = Buffer.from(`${secret}:`).toString('base64')
    await app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: { authorization: `Bearer ${secret}` } })
    await app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: { authorization: `Basic ${basic}` } })
    await app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: { authorization: 'Bearer sktsec_bad' } })
    await app.inject({ method: 'GET', url: '/_admin/export', headers: { 'x-admin-secret': adminSecret } })
    await app.inject({ method: 'GET', url: '/_admin/export', headers: { 'x-admin-secret': `${adminSecret}x` } })
    const all = lines.join('')
    // One line per request, with its id, status and time.
    const completed = lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request completed')
    expect(completed.map((line) => line.statusCode)).toEqual([200, 200, 401, 200, 401])
    for (const line of completed) {
      expect(line).toMatchObject({ method: 'GET', reqId: expect.any(String), responseTime: expect.any(Number) })
    }
    for (const secretText of [secret, basic, 'sktsec_bad', adminSecret, 'authorization']) {
      expect(all).not.toContain(secretText)
    }
  })

  it("write the request line as a child logger of the request would: reqId right after pino's own fields", async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const app = closedAfterTest(await buildApp({ config: testConfig({ logLevel: 'info' }), logStream: sink }))
    await app.ready()
    await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'req-42' } })
    const line = JSON.parse(lines.find((l) => l.includes('request completed')) ?? '{}')
    expect(Object.keys(line)).toEqual([
      'level',
      'time',
      'pid',
      'hostname',
      'reqId',
      'method',
      'url',
      'statusCode',
      'responseTime',
      'msg',
    ])
    expect(line).toMatchObject({ reqId: 'req-42', url: '/health', statusCode: 200 })
  })

  it("request.log is the request's child logger, made on first use", () => {
    const lines: string[] = []
    const parent = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(chunk.toString())
          done()
        },
      }),
    )
    const log = requestLogger(parent, { reqId: 'req-7' }, {})
    expect(log.level).toBe('info')
    log.debug('not written')
    log.warn({ detail: 1 }, 'written')
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 40, reqId: 'req-7', detail: 1, msg: 'written' }),
    ])
    expect(log.child({ part: 'x' }, {}).level).toBe('info')
  })
})
