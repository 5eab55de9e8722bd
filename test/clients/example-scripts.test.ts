import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../helpers/app.js'
import { exchange, type Target } from '../helpers/http.js'
import { pythonRequest } from './python-requests.js'

/**
 * Socket's own example scripts call paths the API does not have (`PUT /repos/{slug}`,
 * `/repos/{slug}/labels`) with Bearer, via Python `requests` (`json=` sets Content-Type). Whatever the
 * method, body or Content-Type, the answer is Socket's JSON error body with a 404 — never an HTML
 * page, never a 5xx — so the script's `raise_for_status()` / `.json()` report it plainly.
 */
describe("Socket's example scripts' wrong paths on the wire", () => {
  const t = useTestApp({}, { shared: true })
  let target: Target

  beforeAll(async () => {
    ;({ target } = await t.listen())
    await t.app.inject({ method: 'POST', url: '/v0/orgs/acme/repos', headers: t.auth(), payload: { name: 'web' } })
  })

  const json = 'application/json'
  const cases: { method: string; path: string; body?: string; contentType?: string }[] = [
    { method: 'PUT', path: '/v0/repos/web', body: '{"description": "x"}', contentType: json },
    { method: 'PUT', path: '/v0/orgs/acme/repos/web', body: '{"description": "x"}', contentType: json },
    { method: 'PATCH', path: '/v0/orgs/acme/repos/web', body: '{"description": "x"}', contentType: json },
    { method: 'GET', path: '/v0/repos/web/labels' },
    { method: 'GET', path: '/v0/orgs/acme/repos/web/labels' },
    { method: 'POST', path: '/v0/repos/web/labels', body: '{"name": "pci"}', contentType: json },
    { method: 'POST', path: '/v0/orgs/acme/repos/web/labels', body: '{"name": "pci"}' },
    { method: 'PUT', path: '/v0/repos/web', body: 'not json at all', contentType: json },
    {
      method: 'PUT',
      path: '/v0/repos/web',
      body: 'a=b',
      contentType: 'application/x-www-form-urlencoded',
    },
    { method: 'DELETE', path: '/v0/repos/web/labels/1' },
    { method: 'GET', path: '/repos/web' },
  ]

  it.each(cases)('$method $path → Socket-shaped 404', async ({ method, path, body, contentType }) => {
    const response = await exchange(
      target,
      pythonRequest(
        target,
        method,
        path,
        [
          ['Authorization', `Bearer ${t.token}`],
          ...(contentType ? [['Content-Type', contentType] as [string, string]] : []),
        ],
        body,
      ),
    )
    expect(response.status).toBe(404)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.json()).toEqual({ error: { message: `Route ${method}:${path} not found`, details: null } })
  })

  it('leaves the real repo alone', async () => {
    const read = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/web', headers: t.auth() })
    expect(read.json()).toMatchObject({ slug: 'web', description: '' })
  })
})
