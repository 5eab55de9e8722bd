import { describe, expect, it } from 'vitest'
import { useTestApp } from './helpers/app.js'

const ADMIN_SECRET = 'content-type-admin-secret-0123'

/** docs/content-types.md: JSON bodies with application/json, text/plain or no Content-Type; anything else 415. */
describe('request bodies by Content-Type', () => {
  const t = useTestApp({ config: { bodyLimit: 2048, adminSecret: ADMIN_SECRET } })

  /** A string payload: light-my-request then sets Content-Length and no Content-Type of its own. */
  const send = (method: 'POST' | 'PUT', url: string, payload: string, contentType?: string) =>
    t.app.inject({
      method,
      url,
      headers: { ...t.auth(undefined, 'basic'), ...(contentType === undefined ? {} : { 'content-type': contentType }) },
      payload,
    })

  it.each([
    ['no Content-Type', undefined],
    ['text/plain', 'text/plain'],
    ['text/plain; charset=utf-8', 'text/plain; charset=utf-8'],
  ])('reads a JSON body sent with %s on every operation that takes one', async (_name, contentType) => {
    const repo = await send('POST', '/v0/orgs/acme/repos', '{"name": "web", "visibility": "public"}', contentType)
    expect(repo.statusCode).toBe(201)
    expect(repo.json()).toMatchObject({ slug: 'web', visibility: 'public' })

    const update = await send('POST', '/v0/orgs/acme/repos/web', '{"description": "changed"}', contentType)
    expect(update.statusCode).toBe(200)
    expect(update.json().description).toBe('changed')

    const label = await send('POST', '/v0/orgs/acme/repos/labels', '{"name": "pci"}', contentType)
    expect(label.statusCode).toBe(201)
    const labelId = label.json().id as string

    const renamed = await send('PUT', `/v0/orgs/acme/repos/labels/${labelId}`, '{"name": "pci-dss"}', contentType)
    expect(renamed.statusCode).toBe(200)
    expect(renamed.json().name).toBe('pci-dss')

    const body = JSON.stringify({ repository_id: repo.json().id })
    const associated = await send('POST', `/v0/orgs/acme/repos/labels/${labelId}/associate`, body, contentType)
    expect(associated.statusCode).toBe(200)
    expect(associated.json()).toEqual({ status: 'ok' })

    const settings = '{"issueRulesPolicyDefault": "high", "issueRules": {"malware": {"action": "error"}}}'
    const put = await send('PUT', `/v0/orgs/acme/repos/labels/${labelId}/label-setting`, settings, contentType)
    expect(put.statusCode).toBe(200)

    const disassociated = await send('POST', `/v0/orgs/acme/repos/labels/${labelId}/disassociate`, body, contentType)
    expect(disassociated.statusCode).toBe(200)

    const read = await t.app.inject({ method: 'GET', url: `/v0/orgs/acme/repos/labels/${labelId}`, headers: t.auth() })
    expect(read.json()).toMatchObject({ name: 'pci-dss', repository_ids: [], has_security_policy: true })
  })

  it('validates such a body exactly as a JSON one: typed, no coercion, unknown fields dropped', async () => {
    const coerced = await send('POST', '/v0/orgs/acme/repos', '{"name": "x", "archived": "true"}')
    expect(coerced.statusCode).toBe(400)
    expect(coerced.json().error.details.validation[0]).toMatchObject({ location: 'body', path: '/archived' })

    const extra = await send('POST', '/v0/orgs/acme/repos', '{"name": "extra", "orgSlug": "acme"}', 'text/plain')
    expect(extra.statusCode).toBe(201)
    expect(extra.json()).not.toHaveProperty('orgSlug')

    const strict = await send('POST', '/v0/orgs/acme/repos/labels', '{"name": "l"}')
    const id = strict.json().id as string
    const unknownKey = await send('PUT', `/v0/orgs/acme/repos/labels/${id}/label-setting`, '{"nope": {}}')
    expect(unknownKey.statusCode).toBe(400)
  })

  it('answers malformed JSON without Content-Type with 400, and an empty body as no body', async () => {
    const broken = await send('POST', '/v0/orgs/acme/repos', '{"name": ')
    expect(broken.statusCode).toBe(400)
    expect(broken.json().error.details).toEqual({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
    const notJson = await send('POST', '/v0/orgs/acme/repos', 'name=web', 'text/plain')
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json().error.details).toEqual({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' })

    const empty = await send('POST', '/v0/orgs/acme/repos/labels/1/associate', '')
    expect(empty.statusCode).toBe(400)
    expect(empty.json().error.message).toBe('repository_id is required')
  })

  it.each([
    ['application/x-www-form-urlencoded', 'name=web'],
    ['application/xml', '<repo><name>web</name></repo>'],
    ['text/xml', '<repo/>'],
    [
      'multipart/form-data; boundary=xyz',
      '--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nweb\r\n--xyz--\r\n',
    ],
    ['application/octet-stream', '{"name":"web"}'],
    ['application/yaml', 'name: web'],
  ])('keeps 415 in Socket’s shape for %s, and creates nothing', async (contentType, payload) => {
    const response = await send('POST', '/v0/orgs/acme/repos', payload, contentType)
    expect(response.statusCode).toBe(415)
    expect(response.json()).toEqual({
      error: { message: 'Unsupported Media Type', details: { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' } },
    })
    const list = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers: t.auth() })
    expect(list.json().results).toEqual([])
  })

  it('refuses multipart outside a full-scan upload with 415 before reading it, whatever its size', async () => {
    const big = `--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\n${'w'.repeat(8192)}\r\n--xyz--\r\n`
    for (const url of ['/v0/orgs/acme/repos', '/_admin/seed']) {
      const response = await t.app.inject({
        method: 'POST',
        url,
        headers: { ...t.auth(), 'x-admin-secret': ADMIN_SECRET, 'content-type': 'multipart/form-data; boundary=xyz' },
        payload: big,
      })
      expect(response.statusCode, url).toBe(415)
      expect(response.json().error.details).toEqual({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })
    }
  })

  it.each([
    ['no Content-Type', undefined],
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
  ])('holds BODY_LIMIT for a body with %s (413)', async (_name, contentType) => {
    const payload = JSON.stringify({ name: 'big', description: 'y'.repeat(4096) })
    const response = await send('POST', '/v0/orgs/acme/repos', payload, contentType)
    expect(response.statusCode).toBe(413)
    expect(response.json().error.details).toEqual({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' })
  })

  it.each([
    ['no Content-Type', undefined, '{"name":'],
    ['a form', 'application/x-www-form-urlencoded', 'a=b'],
  ])('answers an unknown route with 404 whatever its body (%s)', async (_name, contentType, payload) => {
    const response = await send('PUT', '/v0/orgs/acme/repos/web', payload, contentType)
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      error: { message: 'Route PUT:/v0/orgs/acme/repos/web not found', details: null },
    })
  })

  it('reads admin bodies the same way: JSON without Content-Type, YAML when declared, 415 otherwise', async () => {
    const admin = (payload: string, contentType?: string) =>
      t.app.inject({
        method: 'POST',
        url: '/_admin/seed',
        headers: { 'x-admin-secret': ADMIN_SECRET, ...(contentType ? { 'content-type': contentType } : {}) },
        payload,
      })
    const json = await admin('{"orgs": [{"slug": "beta", "repos": [{"slug": "one"}]}]}')
    expect(json.statusCode).toBe(201)
    expect(json.json().created).toMatchObject({ orgs: 1, repos: 1 })
    const yaml = await admin('orgs:\n  - slug: gamma\n', 'application/yaml')
    expect(yaml.statusCode).toBe(201)
    const form = await admin('orgs=delta', 'application/x-www-form-urlencoded')
    expect(form.statusCode).toBe(415)
    expect(form.json().error.details).toEqual({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })
    const reset = await t.app.inject({
      method: 'POST',
      url: '/_admin/reset',
      headers: { 'x-admin-secret': ADMIN_SECRET, 'content-length': '0' },
    })
    expect(reset.statusCode).toBe(200)
  })
})
