import { describe, expect, it } from 'vitest'
import { createTestApp, issueToken, openTestDb, useTestApp } from './helpers/app.js'

const START = Date.parse('2026-01-01T00:00:00.000Z')

describe('quota', () => {
  let clock: number
  const t = useTestApp(() => {
    clock = START
    return { now: () => clock, config: { quota: { defaultMax: 1000, windowSeconds: 3600, costs: {} } } }
  })

  const list = (token: string) => t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth(token) })
  const quota = (token: string) => t.app.inject({ method: 'GET', url: '/v0/quota', headers: t.auth(token) })

  it('spends one unit per operation and reports it in X-RateLimit-* headers', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 5 })
    const first = await list(token)
    expect(first.statusCode).toBe(200)
    expect(first.headers['x-ratelimit-limit']).toBe('5')
    expect(first.headers['x-ratelimit-remaining']).toBe('4')
    expect(first.headers['x-ratelimit-reset']).toBe(String((START + 3_600_000) / 1000))
    const second = await list(token)
    expect(second.headers['x-ratelimit-remaining']).toBe('3')
  })

  it('answers 429 with Retry-After once the window is spent, and refills when it ends', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 2 })
    expect((await list(token)).statusCode).toBe(200)
    clock += 1000
    expect((await list(token)).statusCode).toBe(200)
    clock += 1000
    const limited = await list(token)
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['retry-after']).toBe('3598')
    expect(limited.headers['x-ratelimit-remaining']).toBe('0')
    expect(limited.json()).toEqual({
      error: {
        message: 'Insufficient quota for API route',
        details: { quota: 0, maxQuota: 2, nextWindowRefresh: '2026-01-01T01:00:00.000Z' },
      },
    })
    clock = START + 3_600_000
    const refreshed = await list(token)
    expect(refreshed.statusCode).toBe(200)
    expect(refreshed.headers['x-ratelimit-remaining']).toBe('1')
  })

  it('answers 403 Insufficient max_quota for API method when max_quota is below the cost', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 0 })
    const response = await list(token)
    expect(response.statusCode).toBe(403)
    const { message, details } = response.json().error
    expect(details).toBeNull()
    // The spec's text, and the phrase Socket's Python SDK matches on.
    expect(message).toMatch(/^Insufficient max_quota for API method/)
    expect(message).toContain('Insufficient max quota')
  })

  it('answers max_quota below the cost with 429 on GET /organizations, whose spec lists no 403', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 0 })
    const response = await t.app.inject({ method: 'GET', url: '/v0/organizations', headers: t.auth(token) })
    expect(response.statusCode).toBe(429)
    expect(response.headers['retry-after']).toBe('3600')
    expect(response.json().error.message).toMatch(/^Insufficient max_quota for API method/)
  })

  it('does not spend quota on 401 and 403, but does on 400 and 404', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 10, scopes: ['repo:list'] })
    await t.app.inject({ method: 'POST', url: '/v0/orgs/acme/repos', headers: t.auth(token), payload: { name: 'x' } })
    await t.app.inject({ method: 'GET', url: '/v0/orgs/globex/repos', headers: t.auth(token) })
    expect((await quota(token)).json().quota).toBe(10)
    await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos?per_page=500', headers: t.auth(token) })
    await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/missing', headers: t.auth(token) })
    expect((await quota(token)).json().quota).toBe(8)
  })

  it('GET /v0/quota costs nothing and reports the running window', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 3 })
    const fresh = await quota(token)
    expect(fresh.statusCode).toBe(200)
    expect(fresh.json()).toEqual({ quota: 3, maxQuota: 3, nextWindowRefresh: null })
    await list(token)
    clock += 60_000
    expect((await quota(token)).json()).toEqual({
      quota: 2,
      maxQuota: 3,
      nextWindowRefresh: '2026-01-01T01:00:00.000Z',
    })
    clock = START + 3_600_000
    expect((await quota(token)).json()).toEqual({ quota: 3, maxQuota: 3, nextWindowRefresh: null })
  })

  it('keeps each token’s quota apart', async () => {
    const a = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
    const b = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
    expect((await list(a)).statusCode).toBe(200)
    expect((await list(a)).statusCode).toBe(429)
    expect((await list(b)).statusCode).toBe(200)
  })

  it('never overspends under concurrent requests', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 20 })
    const responses = await Promise.all(Array.from({ length: 60 }, () => list(token)))
    const codes = responses.map((r) => r.statusCode)
    expect(codes.filter((c) => c === 200)).toHaveLength(20)
    expect(codes.filter((c) => c === 429)).toHaveLength(40)
    expect((await quota(token)).json().quota).toBe(0)
  })
})

describe('quota leases (docs/quota.md)', () => {
  it('reserve a block in the database, spend it in memory, and give the rest back when the app closes', async () => {
    const db = openTestDb({ path: ':memory:' })
    const t = await createTestApp({ db })
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1000 })
    const quotaUsed = () =>
      db.db.$client.prepare('SELECT quota_used FROM tokens WHERE max_quota = 1000').pluck().get() as number
    for (let i = 0; i < 3; i++) {
      const response = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth(token) })
      expect(response.headers['x-ratelimit-remaining']).toBe(String(999 - i))
    }
    // A lease of 5% of max_quota counts as used in the database while the server holds it.
    expect(quotaUsed()).toBe(50)
    const quota = await t.app.inject({ method: 'GET', url: '/v0/quota', headers: t.auth(token) })
    expect(quota.json().quota).toBe(997)
    // GET /quota gives the lease back before it reads the database's count (exact across processes).
    expect(quotaUsed()).toBe(3)
    await t.close()
    expect(quotaUsed()).toBe(3)
    db.db.$client.close()
  })

  it('count as used when tokens are listed; releaseAll() gives them back for the exact use', async () => {
    const t = await createTestApp()
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1000 })
    await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth(token) })
    await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth(token) })
    const used = async () => (await t.services.tokens.list('acme')).find((row) => row.maxQuota === 1000)?.quotaUsed
    // Listing is a plain read: the lease (5% of max_quota) counts as used, and stays with this process.
    expect(await used()).toBe(50)
    await t.services.quota.releaseAll()
    expect(await used()).toBe(2)
    const next = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth(token) })
    expect(next.headers['x-ratelimit-remaining']).toBe('997')
  })
})
