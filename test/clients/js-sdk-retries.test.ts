import { SocketSdk } from '@socketsecurity/sdk'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { issueToken, useTestApp } from '../helpers/app.js'
import { call } from '../helpers/http.js'

const ADMIN_SECRET = 'js-sdk-retries-admin-secret'

/**
 * The retry behaviour of Socket's JS SDK 4.0.1 (the pinned devDependency, unchanged): 3 retries on
 * 5xx and 429 with exponential backoff, honouring Retry-After. Faults are injected through the
 * control plane (/_admin/faults) as a user testing their pipeline would; every attempt the SDK
 * makes is recorded through its own response hook.
 */
describe('@socketsecurity/sdk 4.0.1 retries against injected faults', () => {
  const t = useTestApp({ config: { adminSecret: ADMIN_SECRET } }, { shared: true })
  const admin = { 'x-admin-secret': ADMIN_SECRET }
  let origin: string
  let seen: { method: string; url: string; status: number | undefined; retryAfter: unknown }[]

  beforeAll(async () => {
    ;({ origin } = await t.listen())
  })
  beforeEach(async () => {
    seen = []
    await call(origin, 'DELETE', '/_admin/faults', { headers: admin })
  })

  const sdk = (token = t.token, retries?: number) =>
    new SocketSdk(token, {
      baseUrl: `${origin}/v0/`,
      // Default retries (3); a short base delay so backoff takes milliseconds. Retry-After still rules a 429.
      retryDelay: 10,
      ...(retries === undefined ? {} : { retries }),
      hooks: {
        onResponse: (info) =>
          seen.push({
            method: info.method,
            url: info.url,
            status: info.status,
            retryAfter: info.headers?.['retry-after'],
          }),
      },
    })

  async function injectFault(rule: Record<string, unknown>) {
    const response = await call(origin, 'POST', '/_admin/faults', { headers: admin, body: rule })
    expect(response.status).toBe(201)
  }

  it('sees an injected 503 then success as a success, and the create happened once', async () => {
    await injectFault({ operationId: 'createOrgRepo', status: 503, times: 1 })
    const created = await sdk().createRepository('acme', 'retried-repo', { description: 'after a 503' })
    expect(created).toMatchObject({ success: true, status: 200 })
    expect(created.success && created.data).toMatchObject({ slug: 'retried-repo', description: 'after a 503' })
    expect(seen.map((s) => [s.method, s.status])).toEqual([
      ['POST', 503],
      ['POST', 201],
    ])
    expect(seen[0]?.retryAfter).toBe('1')
    const list = await sdk().listRepositories('acme', { per_page: 100 })
    expect(list.success && list.data.results.filter((r) => r.slug === 'retried-repo')).toHaveLength(1)
  })

  it('gives up after four attempts when the 5xx persists (the SDK then throws)', async () => {
    await injectFault({ operationId: 'getOrgRepoList', status: 502, times: 4 })
    await expect(sdk().listRepositories('acme')).rejects.toThrow('Socket API server error (502)')
    expect(seen.map((s) => s.status)).toEqual([502, 502, 502, 502])
    // The fault is used up: the next call goes through.
    expect((await sdk().listRepositories('acme')).success).toBe(true)
  })

  it('waits out the Retry-After of an injected 429 and succeeds', async () => {
    const created = await sdk().createRepositoryLabel('acme', { name: 'rate-limited' })
    const id = created.success ? created.data.id : ''
    seen = []
    await injectFault({ operationId: 'getOrgRepoLabel', status: 429, times: 1 })
    const started = Date.now()
    const label = await sdk().getRepositoryLabel('acme', id)
    expect(label.success && label.data).toMatchObject({ id, name: 'rate-limited' })
    expect(seen.map((s) => [s.status, s.retryAfter])).toEqual([
      [429, '1'],
      [200, undefined],
    ])
    // Retry-After: 1 is honoured (a 10 ms backoff would have retried at once).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
  })

  it('gets Retry-After on a real quota 429 (a whole window away: the SDK caps each wait at 10 s)', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
    expect((await sdk(token, 0).getQuota()).success).toBe(true)
    expect((await sdk(token, 0).listRepositories('acme')).success).toBe(true)
    const limited = await sdk(token, 0).listRepositories('acme')
    expect(limited).toMatchObject({ success: false, status: 429 })
    const last = seen.at(-1)
    expect(last?.status).toBe(429)
    expect(Number(last?.retryAfter)).toBeGreaterThan(0)
    expect(Number(last?.retryAfter)).toBeLessThanOrEqual(3600)
  })
})
