import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createTestApp, createTestDb, useTestApp } from './helpers/app.js'
import { closedAfterTest, tempDir } from './helpers/fixtures.js'

describe("errors in Socket's shape", () => {
  const t = useTestApp({ config: { bodyLimit: 2048 } })

  const create = (payload: string, contentType = 'application/json') =>
    t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: { ...t.auth(), 'content-type': contentType },
      payload,
    })

  it('reshapes schema validation errors with the problems in details', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos?per_page=101', headers: t.auth() })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      error: {
        message: 'querystring/per_page must be <= 100',
        details: { validation: [{ location: 'querystring', path: '/per_page', message: 'must be <= 100' }] },
      },
    })
  })

  it('lists the allowed values of an enum', async () => {
    const query = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos?sort=size', headers: t.auth() })
    expect(query.statusCode).toBe(400)
    expect(query.json().error.details.validation).toEqual([
      {
        location: 'querystring',
        path: '/sort',
        message: 'must be equal to one of the allowed values',
        allowedValues: ['name', 'updated_at', 'created_at'],
      },
    ])
    const body = await create(JSON.stringify({ name: 'x', visibility: 'secret' }))
    expect(body.statusCode).toBe(400)
    expect(body.json().error.details.validation).toMatchObject([
      { location: 'body', path: '/visibility', allowedValues: ['public', 'private'] },
    ])
  })

  it('answers malformed JSON with 400', async () => {
    const response = await create('{"name": ')
    expect(response.statusCode).toBe(400)
    expect(response.json().error.details).toEqual({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  })

  it('answers an oversized body with 413', async () => {
    const response = await create(JSON.stringify({ name: 'x', description: 'y'.repeat(4096) }))
    expect(response.statusCode).toBe(413)
    expect(response.json()).toEqual({
      error: { message: 'Request body is too large', details: { code: 'FST_ERR_CTP_BODY_TOO_LARGE' } },
    })
  })

  it('answers a body that is not JSON with 415', async () => {
    const response = await create('name=x', 'application/x-www-form-urlencoded')
    expect(response.statusCode).toBe(415)
    expect(response.json().error.details).toEqual({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })
  })

  it('treats an empty JSON body as no body', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos/labels/1/associate',
      headers: { ...t.auth(), 'content-type': 'application/json' },
      payload: '',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.message).toBe('repository_id is required')
  })

  it('drops unknown body properties instead of rejecting them', async () => {
    const response = await create(JSON.stringify({ name: 'extra', orgSlug: 'acme', whatever: 1 }))
    expect(response.statusCode).toBe(201)
    expect(response.json()).not.toHaveProperty('orgSlug')
  })

  it('answers unknown routes and methods with 404 in the same shape', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/v0/nothing/here?x=1' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({ error: { message: 'Route GET:/v0/nothing/here not found', details: null } })
    const method = await t.app.inject({ method: 'PATCH', url: '/v0/orgs/acme/repos/x', headers: t.auth() })
    expect(method.statusCode).toBe(404)
    expect(method.json().error.details).toBeNull()
  })

  it('answers a malformed percent-encoding in the path with 400 in the same shape', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/v0/orgs/%zz/repos', headers: t.auth() })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      error: { message: "'/v0/orgs/%zz/repos' is not a valid url component", details: { code: 'FST_ERR_BAD_URL' } },
    })
  })

  it('answers a path parameter over 100 characters with 414 in the same shape', async () => {
    const slug = 'a'.repeat(101)
    const response = await t.app.inject({ method: 'GET', url: `/v0/orgs/acme/repos/${slug}`, headers: t.auth() })
    expect(response.statusCode).toBe(414)
    expect(response.json()).toEqual({
      error: {
        message: `'/v0/orgs/acme/repos/${slug}' is exceeding the max param length`,
        details: { code: 'FST_ERR_MAX_PARAM_LENGTH' },
      },
    })
  })

  it('serves its OpenAPI document (also at /v0/openapi and /v0/openapi.json) and Swagger UI', async () => {
    const spec = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(spec.statusCode).toBe(200)
    const document = spec.json()
    expect(document.openapi).toBe('3.0.0')
    expect(Object.keys(document.paths)).toContain('/orgs/{org_slug}/repos/labels/{label_id}/label-setting')
    // Where SDK 4.1's getOpenAPI/getOpenAPIJSON look: the same document, no auth, no quota spent.
    const quotaBefore = (await t.app.inject({ method: 'GET', url: '/v0/quota', headers: t.auth() })).json()
    for (const url of ['/v0/openapi', '/v0/openapi.json']) {
      const anonymous = await t.app.inject({ method: 'GET', url })
      expect(anonymous.statusCode).toBe(200)
      expect(anonymous.headers['content-type']).toMatch(/^application\/json/)
      expect(anonymous.json()).toEqual(document)
      const withToken = await t.app.inject({ method: 'GET', url, headers: t.auth(undefined, 'basic') })
      expect(withToken.statusCode).toBe(200)
      expect(withToken.headers).not.toHaveProperty('x-ratelimit-remaining')
    }
    const quotaAfter = (await t.app.inject({ method: 'GET', url: '/v0/quota', headers: t.auth() })).json()
    expect(quotaAfter.quota).toBeTypeOf('number')
    expect(quotaAfter.quota).toBe(quotaBefore.quota)
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' })
    expect(ui.statusCode).toBe(200)
    expect(ui.headers['content-type']).toContain('text/html')
  })
})

describe('a database locked by another process', () => {
  it('answers 503 with Retry-After once the busy timeout runs out, and writes nothing', async () => {
    const path = tempDir('busy').file('busy.db')
    const t = await createTestApp({ db: createTestDb({ path, busyTimeoutMs: 100 }) })
    const other = closedAfterTest(new Database(path))
    other.exec('BEGIN IMMEDIATE')
    const response = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: t.auth(),
      payload: { name: 'locked-out' },
    })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('1')
    expect(response.json()).toEqual({
      error: { message: 'Service temporarily unavailable, retry shortly', details: null },
    })
    other.exec('ROLLBACK')
    const retried = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/locked-out', headers: t.auth() })
    expect(retried.statusCode).toBe(404)
  })
})
