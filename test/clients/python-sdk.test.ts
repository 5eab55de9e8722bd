import { beforeAll, describe, expect, it } from 'vitest'
import { issueToken, useTestApp } from '../helpers/app.js'
import type { Target } from '../helpers/http.js'
import { pythonRequest, socketdevRequest } from './python-requests.js'

/**
 * Socket's Python SDK, socketdev 3.5.0 (the library under Socket's Python CI scanner), replayed on
 * the wire: each method's request as it builds it — path and query concatenated by hand without
 * URL-encoding, `Authorization: Basic base64("<token>:")`, `User-Agent: SocketSDKPython/3.5.0`,
 * `accept: application/json`, and JSON bodies as a string with **no Content-Type** (Python
 * `requests` with `data=json.dumps(...)`, whose default separators are ", " and ": ") — against a
 * listening server. Each test asserts the status the SDK branches on and the fields it reads.
 * Not replayed: `repos.update`, which raises before sending anything (it unpacks `kwargs.keys()` as
 * pairs); the request it means to send (POST …/repos/{slug}, no Content-Type) is in content-types.test.ts.
 */
describe('socketdev 3.5.0 (Python SDK) on the wire', () => {
  const t = useTestApp({}, { shared: true })
  let target: Target
  let sdk: ReturnType<typeof socketdevRequest>

  beforeAll(async () => {
    ;({ target } = await t.listen())
    sdk = socketdevRequest(target, 'SocketSDKPython/3.5.0', t.token)
  })

  it('writes what requests 2.x writes: no Content-Type, Content-Length, its header order', () => {
    const raw = pythonRequest(
      target,
      'POST',
      '/v0/orgs/acme/repos',
      [
        ['Authorization', 'Basic VE9LRU46'],
        ['User-Agent', 'SocketSDKPython/3.5.0'],
        ['accept', 'application/json'],
      ],
      '{"name": "x", "default_branch": "socket-default-branch"}',
    )
    expect(raw).toBe(
      'POST /v0/orgs/acme/repos HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${target.port}\r\n` +
        'User-Agent: SocketSDKPython/3.5.0\r\nAccept-Encoding: gzip, deflate\r\naccept: application/json\r\n' +
        'Connection: keep-alive\r\nAuthorization: Basic VE9LRU46\r\nContent-Length: 56\r\n\r\n' +
        '{"name": "x", "default_branch": "socket-default-branch"}',
    )
  })

  it('org.get and quota.get', async () => {
    const orgs = await sdk('GET', 'organizations')
    expect(orgs.status).toBe(200)
    expect(orgs.json().organizations).toEqual({
      [t.org.id]: { id: t.org.id, name: 'Acme Inc.', image: null, plan: 'enterprise', slug: 'acme' },
    })
    const quota = await sdk('GET', 'quota')
    expect(quota.status).toBe(200)
    expect(quota.json()).toMatchObject({ quota: expect.any(Number), maxQuota: 100_000 })
  })

  it('repos.post, repos.get, repos.repo, repos.delete', async () => {
    // repos.post(org, name=…, description=…, visibility=…): json.dumps of the kwargs, expects 201.
    const created = await sdk(
      'POST',
      'orgs/acme/repos',
      '{"name": "py-repo", "description": "from Python", "visibility": "public", "homepage": "https://x.test"}',
    )
    expect(created.status).toBe(201)
    expect(created.headers['content-type']).toBe('application/json; charset=utf-8')
    const repo = created.json()
    expect(repo).toMatchObject({ name: 'py-repo', slug: 'py-repo', description: 'from Python', visibility: 'public' })

    // repos.get(org, per_page=100, page=1, sort="name", direction="asc"): f"{param}={value}&" joined, last & stripped.
    const list = await sdk('GET', 'orgs/acme/repos?per_page=100&page=1&sort=name&direction=asc')
    expect(list.status).toBe(200)
    const page = list.json()
    // It reads results and nextPage (the key must exist: it indexes raw_result["nextPage"]).
    expect(page).toHaveProperty('nextPage', null)
    expect(page.results.map((r: { slug: string }) => r.slug)).toContain('py-repo')

    // repos.repo(org, slug, use_types=True): RepositoryInfo.from_dict reads id, name and slug by key.
    const read = await sdk('GET', 'orgs/acme/repos/py-repo')
    expect(read.status).toBe(200)
    expect(read.json()).toMatchObject({
      id: repo.id,
      name: 'py-repo',
      slug: 'py-repo',
      head_full_scan_id: null,
      archived: false,
      default_branch: 'main',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    })

    // repos.delete: DELETE with Content-Length: 0, expects 200 and returns the body.
    const deleted = await sdk('DELETE', 'orgs/acme/repos/py-repo')
    expect(deleted.status).toBe(200)
    expect(deleted.json()).toEqual({ status: 'ok' })
    const gone = await sdk('GET', 'orgs/acme/repos/py-repo')
    expect(gone.status).toBe(404)
    expect(gone.json().error.message).toEqual(expect.any(String))
  })

  it('passes a query value as requests re-quotes it (the SDK encodes nothing itself)', async () => {
    await sdk('POST', 'orgs/acme/repos', '{"name": "spaced", "workspace": "team one"}')
    // repos.get(org, workspace="team one"): the SDK writes the space; requests sends it as %20.
    const list = await sdk('GET', 'orgs/acme/repos?workspace=team%20one&per_page=10')
    expect(list.status).toBe(200)
    expect(list.json().results.map((r: { slug: string; workspace: string }) => [r.slug, r.workspace])).toEqual([
      ['spaced', 'team one'],
    ])
  })

  it('labels.post, list, get, associate, disassociate, delete', async () => {
    const repo = (await sdk('POST', 'orgs/acme/repos', '{"name": "labelled"}')).json()

    const created = await sdk('POST', 'orgs/acme/repos/labels', '{"name": "python-label"}')
    expect(created.status).toBe(201)
    const label = created.json()
    expect(label).toMatchObject({ name: 'python-label', repository_ids: [] })

    const list = await sdk('GET', 'orgs/acme/repos/labels')
    expect(list.status).toBe(200)
    expect(list.json().results.map((l: { name: string }) => l.name)).toContain('python-label')

    const associate = await sdk(
      'POST',
      `orgs/acme/repos/labels/${label.id}/associate`,
      `{"repository_id": "${repo.id}"}`,
    )
    expect(associate.status).toBe(200)
    expect(associate.json()).toEqual({ status: 'ok' })
    const read = await sdk('GET', `orgs/acme/repos/labels/${label.id}`)
    expect(read.status).toBe(200)
    expect(read.json()).toMatchObject({ id: label.id, name: 'python-label', repository_ids: [repo.id] })

    const disassociate = await sdk(
      'POST',
      `orgs/acme/repos/labels/${label.id}/disassociate`,
      `{"repository_id": "${repo.id}"}`,
    )
    expect(disassociate.status).toBe(200)
    expect(disassociate.json()).toEqual({ status: 'ok' })

    const deleted = await sdk('DELETE', `orgs/acme/repos/labels/${label.id}`)
    expect(deleted.status).toBe(200)
    expect(deleted.json()).toEqual({ status: 'ok' })
  })

  it('labels.setting.put, get, delete answer the spec’s 200 (the SDK expects 201: a client bug)', async () => {
    const label = (await sdk('POST', 'orgs/acme/repos/labels', '{"name": "policy"}')).json()
    const path = `orgs/acme/repos/labels/${label.id}/label-setting`

    // setting.put(org, id, settings): the settings dict as the body, no query. The SDK checks for 201,
    // so it logs "Error updating label settings" and returns {} although the server applied it.
    const put = await sdk(
      'PUT',
      path,
      '{"issueRulesPolicyDefault": "high", "issueRules": {"malware": {"action": "error"}, "installScripts": {"action": "warn"}}}',
    )
    expect(put.status).toBe(200)
    expect(put.json()).toEqual({ status: 'ok' })

    // setting.get(org, id, setting_key): f"{url}?setting_key={setting_key}".
    const get = await sdk('GET', `${path}?setting_key=issueRules`)
    expect(get.status).toBe(200)
    expect(get.json()).toMatchObject({ issueRules: { installScripts: { action: 'warn' } } })

    // setting.delete(org, id, settings_key): DELETE with the key in the query, Content-Length: 0.
    const deleted = await sdk('DELETE', `${path}?setting_key=issueRules`)
    expect(deleted.status).toBe(200)
    const after = await sdk('GET', `${path}?setting_key=issueRules`)
    expect(after.status).toBe(200)
    expect(after.json().issueRules ?? null).toBeNull()
  })

  it('gets the statuses and messages its do_request branches on', async () => {
    // 401: APIAccessDenied.
    const unauthorized = await sdk('GET', 'orgs/acme/repos', undefined, 'sktsec_not_a_token_0123456789')
    expect(unauthorized.status).toBe(401)
    // 403 by message: APIInsufficientPermissions, APIOrganizationNotAllowed, APIInsufficientQuota.
    const listOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo:list'] })
    const scope = await sdk('POST', 'orgs/acme/repos/labels', '{"name": "nope"}', listOnly)
    expect(scope.status).toBe(403)
    expect(scope.json().error.message).toContain('Insufficient permissions for API method')
    const otherOrg = await sdk('GET', 'orgs/someone-else/repos')
    expect(otherOrg.status).toBe(403)
    expect(otherOrg.json().error.message).toContain('Organization not allowed')
    const noQuota = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 0 })
    const maxQuota = await sdk('GET', 'orgs/acme/repos', undefined, noQuota)
    expect(maxQuota.status).toBe(403)
    expect(maxQuota.json().error.message).toContain('Insufficient max quota')
    // 429: it reads Retry-After as whole seconds.
    const oneUnit = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
    expect((await sdk('GET', 'orgs/acme/repos', undefined, oneUnit)).status).toBe(200)
    const limited = await sdk('GET', 'orgs/acme/repos', undefined, oneUnit)
    expect(limited.status).toBe(429)
    expect(limited.headers['retry-after']).toMatch(/^\d+$/)
    // Any other 4xx: it reads error.message.
    const invalid = await sdk('POST', 'orgs/acme/repos', '{"name": "bad", "visibility": "secret"}')
    expect(invalid.status).toBe(400)
    expect(invalid.json().error.message).toEqual(expect.any(String))
  })
})
