import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { stringify as stringifyYaml } from 'yaml'
import { useTestApp } from '../helpers/app.js'
import { socketErrorProblem } from './support.js'

/**
 * Values JSON, YAML and the CLI let through but no field may hold (issue 10, rows 2, 4, 5, 6, 10):
 * non-finite and inexact numbers, lone surrogates, control characters, ids beyond 2^53 − 1, and
 * states the API can create that the fixture format once could not take back.
 * docs/text-validation.md and docs/ids-and-timestamps.md hold the rules.
 */

const SECRET = 'admin-secret-for-tests-0123'
const admin = { 'x-admin-secret': SECRET }
const REPOS = '/v0/orgs/acme/repos'
const LABELS = '/v0/orgs/acme/repos/labels'

const t = useTestApp({ config: { adminSecret: SECRET } })

/** Sends `json` as written: the raw text is what carries 1e309 or an escaped lone surrogate. */
function raw(method: 'POST' | 'PUT', url: string, json: string, headers: Record<string, string> = t.auth()) {
  return t.app.inject({ method, url, headers: { ...headers, 'content-type': 'application/json' }, payload: json })
}

function get(url: string) {
  return t.app.inject({ method: 'GET', url, headers: t.auth() })
}

function expect400(response: LightMyRequestResponse, message?: RegExp) {
  expect(response.statusCode, response.body).toBe(400)
  expect(socketErrorProblem(response.body)).toBeNull()
  if (message) expect((response.json() as { error: { message: string } }).error.message).toMatch(message)
}

const exported = async () => JSON.stringify(await t.services.state.export())

async function labelId(name = 'policy'): Promise<string> {
  const response = await raw('POST', LABELS, JSON.stringify({ name }))
  expect(response.statusCode, response.body).toBe(201)
  return (response.json() as { id: string }).id
}

describe('row 2: every number accepted is finite, in range and exact', () => {
  it.each([
    ['1e309', /finite/],
    ['-1e309', /finite/],
    ['1e300', /9007199254740991/],
    ['9007199254740993', /9007199254740991/],
    ['9007199254740992', /9007199254740991/],
    ['-1', />= 0/],
    ['1.5', /integer/],
  ])('recentlyPublishedThresholdMs %s is a 400 and stores nothing', async (number, message) => {
    const id = await labelId()
    const setting = `${LABELS}/${id}/label-setting`
    const before = await exported()
    expect400(await raw('PUT', setting, `{"recentlyPublishedThresholdMs":${number}}`), message)
    expect(await exported()).toBe(before)
    const read = await get(`${setting}?setting_key=recentlyPublishedThresholdMs`)
    expect(read.statusCode, read.body).toBe(200)
  })

  it('the largest exact integer is stored and served exactly', async () => {
    const id = await labelId()
    const setting = `${LABELS}/${id}/label-setting`
    expect((await raw('PUT', setting, '{"recentlyPublishedThresholdMs":9007199254740991}')).statusCode).toBe(200)
    const read = await get(`${setting}?setting_key=recentlyPublishedThresholdMs`)
    expect(read.body).toContain('9007199254740991')
  })

  it('a non-finite number anywhere in a body is a 400, free-form policies and unknown fields included', async () => {
    const id = await labelId()
    const before = await exported()
    expect400(await raw('PUT', `${LABELS}/${id}/label-setting`, '{"licensePolicy":{"allow":[1e309]}}'), /finite/)
    expect400(await raw('POST', REPOS, '{"slug":"x","extra":-1e999}'), /finite/)
    expect(await exported()).toBe(before)
  })

  it.each(['page=1e309', 'page=9007199254740992', 'page=1e300', 'per_page=1e309', 'per_page=Infinity'])(
    '?%s is a 400',
    async (query) => {
      expect400(await get(`${REPOS}?${query}`))
      expect400(await get(`${LABELS}?${query}`))
    },
  )

  it('a fixture number that is not finite or not exact is a 400 and nothing is seeded', async () => {
    const before = await exported()
    for (const value of [Number.POSITIVE_INFINITY, 1e300, 2 ** 53]) {
      const yaml = stringifyYaml({
        orgs: [{ slug: 'n', labels: [{ name: 'l', settings: { recentlyPublishedThresholdMs: value } }] }],
      })
      const response = await t.app.inject({
        method: 'POST',
        url: '/_admin/seed',
        headers: { ...admin, 'content-type': 'application/yaml' },
        payload: yaml,
      })
      expect400(response)
    }
    expect(await exported()).toBe(before)
  })
})

describe('row 4: lone surrogates never reach the database', () => {
  it('"s\\ud800" and "s\\ud801" are 400s; no label is created; a surrogate pair is fine', async () => {
    const before = await exported()
    expect400(await raw('POST', LABELS, '{"name":"s\\ud800"}'), /lone surrogate/)
    expect400(await raw('POST', LABELS, '{"name":"s\\ud801"}'), /lone surrogate/)
    expect400(await raw('POST', LABELS, '{"name":"\\udc00s"}'), /lone surrogate/)
    expect(await exported()).toBe(before)
    const pair = await raw('POST', LABELS, '{"name":"s\\ud83d\\udca5"}')
    expect(pair.statusCode).toBe(201)
    expect(pair.json()).toMatchObject({ name: 's💥' })
  })

  it('in repo fields, workspaces, policies and keys: 400', async () => {
    const id = await labelId()
    const before = await exported()
    expect400(await raw('POST', REPOS, '{"slug":"a","name":"n\\ud800"}'))
    expect400(await raw('POST', REPOS, '{"slug":"a","description":"\\udfff"}'))
    expect400(await raw('POST', REPOS, '{"slug":"a","workspace":"w\\ud800"}'))
    expect400(await raw('PUT', `${LABELS}/${id}/label-setting`, '{"licensePolicy":{"allow":["MIT\\ud800"]}}'))
    expect400(await raw('PUT', `${LABELS}/${id}/label-setting`, '{"licensePolicy":{"\\ud800":1}}'))
    expect(await exported()).toBe(before)
  })

  it('through the services (the admin CLI) and in YAML fixtures: refused', async () => {
    await expect(t.services.orgs.create({ slug: 'x', name: 'x\ud800' })).rejects.toThrow(/lone surrogate/)
    await expect(t.services.tokens.issue({ orgSlug: 'acme', name: 'n\udc00' })).rejects.toThrow(/lone surrogate/)
    const response = await t.app.inject({
      method: 'POST',
      url: '/_admin/seed',
      headers: { ...admin, 'content-type': 'application/yaml' },
      payload: 'orgs:\n  - slug: y\n    labels:\n      - name: "s\\ud800"\n',
    })
    expect400(response, /lone surrogate/)
    expect(await t.services.orgs.findBySlug('y')).toBeUndefined()
  })
})

describe('row 5: control characters', () => {
  it.each([
    ['a label named NUL', LABELS, { name: '\u0000' }],
    ['a label name with NUL inside', LABELS, { name: 'x\u0000a' }],
    ['a label name with DEL', LABELS, { name: 'x\u007f' }],
    ['a label name with a line feed', LABELS, { name: 'x\ny' }],
    ['a repo name with BEL', REPOS, { slug: 'r', name: 'r\u0007' }],
    ['a workspace with CR LF', REPOS, { slug: 'r', workspace: 'x\r\nSet-Cookie: a=b' }],
    ['a workspace with a tab', REPOS, { slug: 'r', workspace: 'a\tb' }],
    ['a slug with NUL', REPOS, { slug: 'r\u0000' }],
    ['a description with NUL', REPOS, { slug: 'r', description: 'a\u0000b' }],
    ['a description with ESC', REPOS, { slug: 'r', description: '\u001b[31mred' }],
    ['a homepage with a line feed', REPOS, { slug: 'r', homepage: 'https://x\n' }],
    ['a default_branch with NUL', REPOS, { slug: 'r', default_branch: 'main\u0000' }],
  ])('%s is a 400 and creates nothing', async (_name, url, payload) => {
    const before = await exported()
    expect400(await raw('POST', url, JSON.stringify(payload)), /control characters|may contain only/)
    expect(await exported()).toBe(before)
  })

  it('"x\\u0000a" then "x\\u0000b": both refused, so NUL can no longer shorten a name comparison', async () => {
    expect400(await raw('POST', LABELS, JSON.stringify({ name: 'x\u0000a' })))
    expect400(await raw('POST', LABELS, JSON.stringify({ name: 'x\u0000b' })))
    expect((await raw('POST', LABELS, JSON.stringify({ name: 'x' }))).statusCode).toBe(201)
  })

  it('a description may hold tabs and line breaks', async () => {
    const response = await raw('POST', REPOS, JSON.stringify({ slug: 'r', description: 'line 1\r\nline 2\tend' }))
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toMatchObject({ description: 'line 1\r\nline 2\tend' })
  })

  it('updates and renames follow the same rules', async () => {
    expect((await raw('POST', REPOS, '{"slug":"r"}')).statusCode).toBe(201)
    const id = await labelId()
    const before = await exported()
    expect400(await raw('POST', `${REPOS}/r`, JSON.stringify({ workspace: 'a\u0000' })))
    expect400(await raw('POST', `${REPOS}/r`, JSON.stringify({ name: 'a\u001f' })))
    expect400(await raw('PUT', `${LABELS}/${id}`, JSON.stringify({ name: 'a\u0000' })))
    expect(await exported()).toBe(before)
  })

  it('org and token names given to the admin CLI follow them too', async () => {
    await expect(t.services.orgs.create({ slug: 'x', name: 'a\nb' })).rejects.toThrow(/control characters/)
    await expect(t.services.tokens.issue({ orgSlug: 'acme', name: 'a\u0000' })).rejects.toThrow(/control/)
  })
})

describe('row 6: ids are exact', () => {
  const seed = (fixture: unknown) =>
    t.app.inject({ method: 'POST', url: '/_admin/seed', headers: admin, payload: fixture as object })

  it.each(['9007199254740993', '9007199254740992', '9999999999999999', '0', '01', '-1', '1.0'])(
    'a fixture id %s is a 400 and nothing is seeded',
    async (id) => {
      const before = await exported()
      expect400(await seed({ orgs: [{ slug: 'far', repos: [{ id, slug: 'r' }] }] }), /ids are positive integers/)
      expect400(await seed({ orgs: [{ slug: 'far', labels: [{ id, name: 'l' }] }] }), /ids are positive integers/)
      expect400(await seed({ orgs: [{ id, slug: 'far' }] }), /ids are positive integers/)
      expect(await exported()).toBe(before)
    },
  )

  it('after seeding ids at 2^53 − 1, API creates are refused (409) instead of colliding', async () => {
    const max = '9007199254740991'
    const seeded = await seed({
      orgs: [{ slug: 'far', repos: [{ id: max, slug: 'top' }], labels: [{ id: max, name: 'top' }] }],
    })
    expect(seeded.statusCode, seeded.body).toBe(201)
    const { secret } = await t.services.tokens.issue({ orgSlug: 'far' })
    const headers = t.auth(secret)
    const before = await exported()
    for (const slug of ['next', 'after']) {
      const response = await raw('POST', '/v0/orgs/far/repos', JSON.stringify({ slug }), headers)
      expect(response.statusCode, response.body).toBe(409)
      expect(response.json()).toMatchObject({ error: { message: expect.stringMatching(/no ids left in repos/) } })
    }
    expect((await raw('POST', '/v0/orgs/far/repos/labels', '{"name":"next"}', headers)).statusCode).toBe(409)
    expect(await exported()).toBe(before)
    const top = await t.app.inject({ method: 'GET', url: '/v0/orgs/far/repos/top', headers })
    expect(top.json()).toMatchObject({ id: max, slug: 'top' })
  })

  it('a fixture that would number a row past 2^53 − 1 is refused whole (409)', async () => {
    const before = await exported()
    const response = await seed({
      orgs: [{ slug: 'far', repos: [{ id: '9007199254740991', slug: 'top' }, { slug: 'next' }] }],
    })
    expect(response.statusCode, response.body).toBe(409)
    expect(response.json()).toMatchObject({ error: { message: expect.stringMatching(/no ids left in repos/) } })
    expect(await exported()).toBe(before)
  })
})

describe('row 10: every state the API and the admin CLI create survives export → import', () => {
  it('an org slugged "labels" round-trips', async () => {
    await t.services.orgs.create({ slug: 'labels' })
    const { secret } = await t.services.tokens.issue({ orgSlug: 'labels' })
    expect((await raw('POST', '/v0/orgs/labels/repos', '{"slug":"web"}', t.auth(secret))).statusCode).toBe(201)
    const first = await t.services.state.export()
    await t.services.state.import(first)
    expect(await t.services.state.export()).toEqual(first)
  })
})
