import { beforeAll, describe, expect, it } from 'vitest'
import { issueToken, useTestApp } from '../helpers/app.js'
import { exchange, type Target } from '../helpers/http.js'
import { pythonRequest } from './python-requests.js'

const REPOS = 230

/**
 * CNCF cartography's Socket.dev ingestion, replayed on the wire: Python `requests.get` with
 * `Authorization: Bearer <token>`, `Accept: application/json`, and `params={"per_page": 100,
 * "page": N}` (urlencoded by requests: `+` for a space). It walks pages until one is empty (or has
 * no nextPage), retries 429/5xx, and reads a repo by slug and workspace when a list item lacks
 * `integration_meta`.
 */
describe('cartography (Socket.dev intel module) on the wire', () => {
  const t = useTestApp({}, { shared: true })
  let target: Target

  beforeAll(async () => {
    const repos = Array.from({ length: REPOS }, (_, i) => ({
      slug: `svc-${String(i).padStart(3, '0')}`,
      ...(i % 10 === 0
        ? { workspace: 'team one' }
        : {
            integration_meta: {
              type: 'github',
              value: { installation_id: '1', installation_login: 'acme', repo_name: `svc-${i}`, repo_id: String(i) },
            },
          }),
    }))
    await t.services.state.seed({ orgs: [{ slug: 'cartography-org', repos }] })
    ;({ target } = await t.listen())
  })

  const get = (pathAndQuery: string, token: string) =>
    exchange(
      target,
      pythonRequest(target, 'GET', pathAndQuery, [
        ['Authorization', `Bearer ${token}`],
        ['Accept', 'application/json'],
      ]),
    )

  it('discovers its orgs with Bearer', async () => {
    const token = await issueToken(t.services, { orgSlug: 'cartography-org' })
    const response = await get('/v0/organizations', token)
    expect(response.status).toBe(200)
    const orgs = Object.values(response.json().organizations) as { id: string; slug: string; plan: string }[]
    expect(orgs).toEqual([expect.objectContaining({ slug: 'cartography-org', plan: 'enterprise', image: null })])
  })

  it('walks every page of 100 until an empty one, then reads the repos without integration_meta by workspace', async () => {
    const token = await issueToken(t.services, { orgSlug: 'cartography-org' })
    const seen: { id: string; slug: string; workspace: string; integration_meta: unknown }[] = []
    const nextPages: (number | null)[] = []
    for (let page = 1; page < 10; page++) {
      const response = await get(`/v0/orgs/cartography-org/repos?per_page=100&page=${page}`, token)
      expect(response.status).toBe(200)
      const body = response.json()
      nextPages.push(body.nextPage)
      if (body.results.length === 0) break
      seen.push(...body.results)
    }
    // Both of its stop conditions hold: nextPage is null on the last page, and the page after it is empty.
    expect(nextPages).toEqual([2, 3, null, null])
    expect(new Set(seen.map((r) => r.id)).size).toBe(REPOS)

    const withoutMeta = seen.filter((r) => r.integration_meta === null)
    expect(withoutMeta).toHaveLength(REPOS / 10)
    for (const repo of withoutMeta.slice(0, 5)) {
      // params={"workspace": "team one"} → ?workspace=team+one
      const read = await get(`/v0/orgs/cartography-org/repos/${repo.slug}?workspace=team+one`, token)
      expect(read.status).toBe(200)
      expect(read.json()).toMatchObject({ id: repo.id, slug: repo.slug, workspace: 'team one' })
    }
    const withMeta = seen.find((r) => r.integration_meta !== null)
    expect(withMeta?.integration_meta).toMatchObject({ type: 'github', value: { installation_login: 'acme' } })
  })

  it('gets a 429 with Retry-After to pace its retries when the quota runs out', async () => {
    const token = await issueToken(t.services, { orgSlug: 'cartography-org', maxQuota: 2 })
    for (const page of [1, 2]) {
      expect((await get(`/v0/orgs/cartography-org/repos?per_page=100&page=${page}`, token)).status).toBe(200)
    }
    const limited = await get('/v0/orgs/cartography-org/repos?per_page=100&page=3', token)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.json().error.message).toEqual(expect.any(String))
  })
})
