import { beforeEach, describe, expect, it } from 'vitest'
import { supportedFiles } from '../src/services/supported-files.js'
import { issueToken, useTestApp } from './helpers/app.js'

describe('supported files', () => {
  const t = useTestApp()
  beforeEach(async () => {
    await t.services.orgs.create({ slug: 'other', name: 'Other' })
  })

  const supported = (headers: Record<string, string> = t.auth(), org = 'acme') =>
    t.app.inject({ method: 'GET', url: `/v0/orgs/${org}/supported-files`, headers })

  it("GET /orgs/{org}/supported-files answers Socket's patterns by ecosystem to any token and spends one unit", async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo:list'], maxQuota: 10 })
    const response = await supported(t.auth(token, 'basic'))
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body).toEqual(supportedFiles)
    expect(body.npm['package-lock.json']).toEqual({ pattern: 'package-lock.json' })
    expect(body.npm['yarn.lock']).toEqual({ pattern: 'yarn.lock' })
    expect(body.pypi['requirements.txt']).toEqual({ pattern: '*requirements.txt' })
    expect(response.headers['x-ratelimit-remaining']).toBe('9')
  })

  it('GET /orgs/{org}/supported-files: 401 without a valid token, 403 for another org, 429 once the quota is spent', async () => {
    const missing = await supported({})
    expect(missing.statusCode).toBe(401)
    expect(missing.json()).toEqual({ error: { message: 'Invalid API token', details: null } })
    expect((await supported({ authorization: 'Bearer nope' })).statusCode).toBe(401)

    const otherOrg = await supported(t.auth(), 'other')
    expect(otherOrg.statusCode).toBe(403)
    expect(otherOrg.json().error.message).toBe('Organization not allowed')

    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
    expect((await supported(t.auth(token))).statusCode).toBe(200)
    const limited = await supported(t.auth(token))
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['retry-after']).toBeDefined()
  })

  it('GET /report/supported (deprecated) needs no token, as its spec says (security: [])', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/v0/report/supported' })
    expect(anonymous.statusCode).toBe(200)
    expect(anonymous.json()).toEqual(supportedFiles)
    expect(anonymous.headers['x-ratelimit-remaining']).toBeUndefined()
    // The Python scanner sends its token anyway; a bad one changes nothing on an open route.
    const withToken = await t.app.inject({
      method: 'GET',
      url: '/v0/report/supported',
      headers: { authorization: 'Basic bm9wZTo=', 'user-agent': 'SocketPythonCLI/2.6.6' },
    })
    expect(withToken.statusCode).toBe(200)
  })
})
