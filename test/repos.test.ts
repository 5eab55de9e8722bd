import type { LightMyRequestResponse } from 'fastify'
import request from 'supertest'
import { beforeEach, describe, expect, it } from 'vitest'
import type { components } from '../src/http/generated/api.js'
import { createTestApp, issueToken, type TestApp } from './helpers/app.js'
import { tempDir } from './helpers/fixtures.js'

/**
 * The five repo operations (getOrgRepoList, createOrgRepo, getOrgRepo, updateOrgRepo, deleteOrgRepo)
 * against docs/repo-lifecycle.md, docs/slugs-and-workspaces.md, docs/pagination-and-sorting.md,
 * docs/ids-and-timestamps.md, docs/auth-and-scopes.md and docs/quota.md. Every response is also
 * checked against openapi/ by test/setup/contract.ts.
 */

const REPOS = '/v0/orgs/acme/repos'
const T0 = Date.parse('2026-03-01T12:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()
const ID = /^[1-9][0-9]*$/
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

type Body = Record<string, unknown>
type Headers = Record<string, string>

/** A repo as the API answers it: the spec's schema, every key present (the server always writes each). */
type RepoJson = Required<components['schemas']['Repo']>
type RepoList = { results: RepoJson[]; nextPage: components['schemas']['RepoList']['nextPage'] }

const unauthorized = { error: { message: 'Invalid API token', details: null } }
const noScope = {
  error: {
    message: 'Insufficient permissions for API method',
    details: { requiredScopes: [expect.stringMatching(/^repo:(list|create|update|delete)$/)] },
  },
}
const otherOrg = { error: { message: 'Organization not allowed', details: null } }

/** The full wire body of a repo: the documented defaults, overridden by `fields`. */
function expectedRepo(fields: Partial<RepoJson> & { slug: string }, at: number): RepoJson {
  return {
    id: expect.stringMatching(ID) as unknown as string,
    created_at: iso(at),
    updated_at: iso(at),
    html_url: `https://socket.dev/dashboard/org/acme/repo/${fields.slug}`,
    head_full_scan_id: null,
    integration_meta: null,
    name: fields.slug,
    description: '',
    homepage: '',
    visibility: 'private',
    archived: false,
    default_branch: 'main',
    workspace: '',
    ...fields,
  }
}

/** The five operations of one token, as plain inject calls (query strings are written out by the tests). */
function repoClient(t: TestApp, headers: Headers = t.auth()) {
  const payload = (body: Body | undefined) => (body === undefined ? {} : { payload: body })
  return {
    list: (query = '') => t.app.inject({ method: 'GET', url: `${REPOS}${query}`, headers }),
    create: (body?: Body, query = '') =>
      t.app.inject({ method: 'POST', url: `${REPOS}${query}`, headers, ...payload(body) }),
    get: (slug: string, query = '') => t.app.inject({ method: 'GET', url: `${REPOS}/${slug}${query}`, headers }),
    update: (slug: string, body?: Body, query = '') =>
      t.app.inject({ method: 'POST', url: `${REPOS}/${slug}${query}`, headers, ...payload(body) }),
    remove: (slug: string, query = '') => t.app.inject({ method: 'DELETE', url: `${REPOS}/${slug}${query}`, headers }),
  }
}
type RepoClient = ReturnType<typeof repoClient>

function json<T>(response: LightMyRequestResponse): T {
  return response.json() as T
}

function expectError(response: LightMyRequestResponse, status: number, message: string | RegExp) {
  expect(response.statusCode).toBe(status)
  const body = json<{ error: { message: string; details: unknown } }>(response)
  expect(Object.keys(body)).toEqual(['error'])
  if (typeof message === 'string') expect(body.error.message).toBe(message)
  else expect(body.error.message).toMatch(message)
  return body.error
}

/** An app on a clock the test moves, and a client with an all-scopes token. */
function useApp() {
  const ctx = {} as { t: TestApp; api: RepoClient; clock: number }
  beforeEach(async () => {
    ctx.clock = T0
    ctx.t = await createTestApp({ now: () => ctx.clock })
    ctx.api = repoClient(ctx.t)
  })
  return {
    ctx,
    /** Creates a repo, asserting 201, and answers its body. */
    async createRepo(body: Body, query = ''): Promise<RepoJson> {
      const response = await ctx.api.create(body, query)
      expect(response.statusCode, response.body).toBe(201)
      return json<RepoJson>(response)
    },
    async getRepo(slug: string, query = ''): Promise<RepoJson & { slig: string }> {
      const response = await ctx.api.get(slug, query)
      expect(response.statusCode, response.body).toBe(200)
      return json<RepoJson & { slig: string }>(response)
    },
    async listRepos(query = ''): Promise<RepoList> {
      const response = await ctx.api.list(query)
      expect(response.statusCode, response.body).toBe(200)
      return json<RepoList>(response)
    },
  }
}

const withoutSlig = (repo: RepoJson & { slig?: string }): RepoJson => {
  const { slig: _slig, ...rest } = repo
  return rest
}

describe('id and timestamp formats', () => {
  const { ctx, createRepo, getRepo, listRepos } = useApp()

  it('creates with 201 and the full body: decimal id, ISO-8601 UTC ms timestamps, html_url, nulls, no slig', async () => {
    const response = await ctx.api.create({ name: 'web' })
    expect(response.statusCode).toBe(201)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    const body = json<RepoJson>(response)
    expect(body).toEqual({
      id: expect.stringMatching(ID),
      created_at: '2026-03-01T12:00:00.000Z',
      updated_at: '2026-03-01T12:00:00.000Z',
      html_url: 'https://socket.dev/dashboard/org/acme/repo/web',
      head_full_scan_id: null,
      integration_meta: null,
      slug: 'web',
      name: 'web',
      description: '',
      homepage: '',
      visibility: 'private',
      archived: false,
      default_branch: 'main',
      workspace: '',
    })
    expect(body).not.toHaveProperty('slig')
    expect(body).toHaveProperty('head_full_scan_id', null)
    expect(body).toHaveProperty('integration_meta', null)
  })

  it('adds slig (equal to slug) on GET only: not on list items, create or update', async () => {
    const created = await createRepo({ slug: 'api', name: 'API' })
    const read = await getRepo('api')
    expect(read).toEqual({ ...created, slig: 'api' })

    const list = await listRepos()
    expect(list.results).toEqual([created])
    expect(list.results[0]).not.toHaveProperty('slig')

    const updated = await ctx.api.update('api', { description: 'x' })
    expect(updated.statusCode).toBe(200)
    expect(json<Body>(updated)).not.toHaveProperty('slig')
  })

  it('gives increasing decimal ids, never reused', async () => {
    const a = await createRepo({ slug: 'a' })
    const b = await createRepo({ slug: 'b' })
    expect(a.id).toMatch(ID)
    expect(b.id).toMatch(ID)
    expect(Number(b.id)).toBeGreaterThan(Number(a.id))
    expect((await ctx.api.remove('b')).statusCode).toBe(200)
    const c = await createRepo({ slug: 'c' })
    expect(Number(c.id)).toBeGreaterThan(Number(b.id))
  })

  it('writes real-clock timestamps as ISO-8601 UTC with milliseconds', async () => {
    const real = await createTestApp()
    const before = Date.now()
    const response = await repoClient(real).create({ name: 'clocked' })
    const after = Date.now()
    expect(response.statusCode).toBe(201)
    const body = json<RepoJson>(response)
    expect(body.created_at).toMatch(ISO_MS_UTC)
    expect(body.updated_at).toBe(body.created_at)
    const at = Date.parse(body.created_at)
    expect(at).toBeGreaterThanOrEqual(before)
    expect(at).toBeLessThanOrEqual(after)
  })
})

describe('html_url', () => {
  it('is DASHBOARD_BASE_URL + /dashboard/org/<org>/repo/<slug>', async () => {
    const t = await createTestApp({ config: { dashboardBaseUrl: 'https://dash.example.com' } })
    const api = repoClient(t)
    const created = json<RepoJson>(await api.create({ slug: 'dash' }))
    expect(created.html_url).toBe('https://dash.example.com/dashboard/org/acme/repo/dash')
    expect(json<RepoJson>(await api.get('dash')).html_url).toBe(created.html_url)
    expect(json<RepoList>(await api.list()).results[0]?.html_url).toBe(created.html_url)
  })
})

describe('createOrgRepo', () => {
  const { ctx, createRepo, getRepo, listRepos } = useApp()

  it('applies the documented defaults for fields not sent', async () => {
    expect(await createRepo({ slug: 'defaults' })).toEqual(expectedRepo({ slug: 'defaults' }, T0))
  })

  it('keeps every field sent', async () => {
    const body = {
      name: 'Payments API',
      slug: 'payments-api',
      description: 'Payments service',
      homepage: 'https://example.com/payments',
      visibility: 'public',
      archived: true,
      default_branch: 'develop',
      workspace: 'team',
    } as const
    expect(await createRepo(body)).toEqual(expectedRepo(body, T0))
  })

  it('keeps null and "" as sent for description, homepage and default_branch (different values)', async () => {
    const nulls = await createRepo({ slug: 'nulls', description: null, homepage: null, default_branch: null })
    expect(nulls).toEqual(expectedRepo({ slug: 'nulls', description: null, homepage: null, default_branch: null }, T0))
    const empties = await createRepo({ slug: 'empties', description: '', homepage: '', default_branch: '' })
    expect(empties).toEqual(expectedRepo({ slug: 'empties', description: '', homepage: '', default_branch: '' }, T0))
    expect(await getRepo('nulls')).toMatchObject({ description: null, homepage: null, default_branch: null })
    expect(await getRepo('empties')).toMatchObject({ description: '', homepage: '', default_branch: '' })
  })

  it('does not check that homepage is a URL', async () => {
    expect(await createRepo({ slug: 'hp', homepage: 'not a url' })).toMatchObject({ homepage: 'not a url' })
  })

  it('drops unknown body properties such as orgSlug (201)', async () => {
    const response = await ctx.api.create({ name: 'cli-repo', orgSlug: 'acme', bogus: { nested: true } })
    expect(response.statusCode).toBe(201)
    expect(json<RepoJson>(response)).toEqual(expectedRepo({ slug: 'cli-repo' }, T0))
  })

  it('answers 409 with Socket’s error body for a duplicate slug in the same workspace, changing nothing', async () => {
    const original = await createRepo({ slug: 'dup', description: 'first' })
    ctx.clock += 5000
    const response = await ctx.api.create({ slug: 'dup', description: 'second', visibility: 'public' })
    expect(response.statusCode).toBe(409)
    expect(response.json()).toEqual({
      error: { message: 'Repository "dup" already exists', details: { slug: 'dup', workspace: '' } },
    })
    expect(withoutSlig(await getRepo('dup'))).toEqual(original)
    expect((await listRepos()).results).toHaveLength(1)
  })

  it('answers 409 when a name derives to a slug that exists', async () => {
    await createRepo({ name: 'My Repo!' })
    const response = await ctx.api.create({ name: 'My Repo?' })
    expect(response.statusCode).toBe(409)
    expect(response.json()).toEqual({
      error: { message: 'Repository "My-Repo" already exists', details: { slug: 'My-Repo', workspace: '' } },
    })
  })

  it('answers 409 for a duplicate in a non-default workspace, with that workspace in details', async () => {
    await createRepo({ slug: 'dup', workspace: 'team' })
    const response = await ctx.api.create({ slug: 'dup', workspace: 'team' })
    expect(response.statusCode).toBe(409)
    expect(response.json()).toEqual({
      error: { message: 'Repository "dup" already exists', details: { slug: 'dup', workspace: 'team' } },
    })
  })

  it('with ?on_duplicate=redirect answers 302, the existing repo unchanged as body, and a Location header', async () => {
    const original = await createRepo({ slug: 'ci', description: 'original', visibility: 'public' })
    ctx.clock += 60_000
    const response = await ctx.api.create(
      { slug: 'ci', description: 'ignored', visibility: 'private', archived: true, default_branch: 'x' },
      '?on_duplicate=redirect',
    )
    expect(response.statusCode).toBe(302)
    expect(response.headers.location).toBe('/v0/orgs/acme/repos/ci')
    expect(response.json()).toEqual(original)
    // the new body was not applied, not even updated_at
    expect(withoutSlig(await getRepo('ci'))).toEqual(original)
    expect((await listRepos('?include_archived=true')).results).toEqual([original])

    // following the redirect with GET finds the same repo
    const followed = await ctx.t.app.inject({
      method: 'GET',
      url: String(response.headers.location),
      headers: ctx.t.auth(),
    })
    expect(followed.statusCode).toBe(200)
    expect(followed.json()).toEqual({ ...original, slig: 'ci' })
  })

  it('with ?on_duplicate=redirect in a non-default workspace, Location carries ?workspace=', async () => {
    const inTeam = await createRepo({ slug: 'ci', workspace: 'team' })
    await createRepo({ slug: 'ci' })
    const response = await ctx.api.create({ slug: 'ci', workspace: 'team' }, '?on_duplicate=redirect')
    expect(response.statusCode).toBe(302)
    expect(response.headers.location).toBe('/v0/orgs/acme/repos/ci?workspace=team')
    expect(response.json()).toEqual(inTeam)
  })

  it('with ?on_duplicate=redirect, a Location to a workspace with special characters leads back to the repo', async () => {
    const original = await createRepo({ slug: 'ci', workspace: 'team a/b&c' })
    const response = await ctx.api.create({ slug: 'ci', workspace: 'team a/b&c' }, '?on_duplicate=redirect')
    expect(response.statusCode).toBe(302)
    const location = String(response.headers.location)
    expect(location.startsWith('/v0/orgs/acme/repos/ci?workspace=')).toBe(true)
    const followed = await ctx.t.app.inject({ method: 'GET', url: location, headers: ctx.t.auth() })
    expect(followed.statusCode).toBe(200)
    expect(followed.json()).toEqual({ ...original, slig: 'ci' })
  })

  it('with ?on_duplicate=redirect and a new slug simply creates (201, no Location)', async () => {
    const response = await ctx.api.create({ slug: 'fresh' }, '?on_duplicate=redirect')
    expect(response.statusCode).toBe(201)
    expect(response.headers.location).toBeUndefined()
    expect(response.json()).toEqual(expectedRepo({ slug: 'fresh' }, T0))
  })

  it.each(['error', 'REDIRECT', '', 'redirect2'])('treats on_duplicate=%j as absent (409)', async (value) => {
    await createRepo({ slug: 'dup' })
    const response = await ctx.api.create({ slug: 'dup' }, `?on_duplicate=${value}`)
    expect(response.statusCode).toBe(409)
    expect(response.headers.location).toBeUndefined()
    expect(response.json()).toEqual({
      error: { message: 'Repository "dup" already exists', details: { slug: 'dup', workspace: '' } },
    })
  })

  it('allows the same slug in another workspace (two repos, two ids)', async () => {
    const main = await createRepo({ slug: 'shared' })
    const team = await createRepo({ slug: 'shared', workspace: 'team' })
    expect(team).toEqual(expectedRepo({ slug: 'shared', workspace: 'team' }, T0))
    expect(team.id).not.toBe(main.id)
    expect((await listRepos()).results.map((r) => [r.slug, r.workspace])).toEqual(
      expect.arrayContaining([
        ['shared', ''],
        ['shared', 'team'],
      ]),
    )
  })

  it('a re-created slug gets a new id', async () => {
    const first = await createRepo({ slug: 'again', description: 'first life' })
    expect((await ctx.api.remove('again')).json()).toEqual({ status: 'ok' })
    ctx.clock += 1000
    const second = await createRepo({ slug: 'again' })
    expect(second.id).not.toBe(first.id)
    expect(Number(second.id)).toBeGreaterThan(Number(first.id))
    expect(second).toEqual(expectedRepo({ slug: 'again', id: second.id }, T0 + 1000))
    expect(await getRepo('again')).toMatchObject({ id: second.id, description: '' })
  })

  it.each([
    ['name', 1000],
    ['description', 10_000],
    ['homepage', 2048],
    ['default_branch', 255],
    ['workspace', 100],
  ])('accepts %s of %i characters and refuses one more (400)', async (field, max) => {
    const ok = await ctx.api.create({ slug: 'at-limit', [field]: 'x'.repeat(max) })
    expect(ok.statusCode, ok.body).toBe(201)
    expect(json<Body>(ok)[field]).toBe('x'.repeat(max))
    const tooLong = await ctx.api.create({ slug: 'over-limit', [field]: 'x'.repeat(max + 1) })
    expectError(tooLong, 400, /.+/)
    expect((await ctx.api.get('over-limit')).statusCode).toBe(404)
  })

  it('answers 400 for a visibility outside the enum', async () => {
    expectError(await ctx.api.create({ slug: 'v', visibility: 'secret' }), 400, /visibility/)
    expect((await ctx.api.get('v')).statusCode).toBe(404)
  })

  it('answers 400 for malformed JSON', async () => {
    const response = await ctx.t.app.inject({
      method: 'POST',
      url: REPOS,
      headers: { ...ctx.t.auth(), 'content-type': 'application/json' },
      payload: '{"slug":',
    })
    const error = expectError(response, 400, /.+/)
    expect(error.details).toEqual({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  })
})

describe('slugs', () => {
  const { ctx, createRepo, getRepo } = useApp()

  it.each([
    ['My Repo!', 'My-Repo'],
    ['web-app', 'web-app'],
    ['  spaced   out  ', 'spaced-out'],
    ['a / b \\ c', 'a-b-c'],
    ['héllo wörld', 'h-llo-w-rld'],
    ['v1.2_beta', 'v1.2_beta'],
    ['--dashes--', 'dashes'],
    ['Case Kept', 'Case-Kept'],
  ])('derives the slug of name %j as %j, keeping the name as display name', async (name, slug) => {
    expect(await createRepo({ name })).toEqual(expectedRepo({ slug, name }, T0))
    expect(await getRepo(slug)).toMatchObject({ slug, slig: slug, name })
  })

  it('cuts a derived slug to 100 characters', async () => {
    const name = 'n'.repeat(150)
    const repo = await createRepo({ name })
    expect(repo.slug).toBe('n'.repeat(100))
    expect(repo.name).toBe(name)
  })

  it('uses an explicit slug as given, with the name as display name', async () => {
    expect(await createRepo({ name: 'Display Name', slug: 'dn' })).toEqual(
      expectedRepo({ slug: 'dn', name: 'Display Name' }, T0),
    )
  })

  it('defaults name to the slug, also when name is empty', async () => {
    expect(await createRepo({ slug: 'only-slug' })).toMatchObject({ slug: 'only-slug', name: 'only-slug' })
    expect(await createRepo({ slug: 'empty-name', name: '' })).toMatchObject({ slug: 'empty-name', name: 'empty-name' })
  })

  it('accepts 1 and 100 character slugs of letters, digits, ".", "-" and "_"', async () => {
    for (const slug of ['x', 's'.repeat(100), 'A.b-C_9', '_', '-lead', 'trail.']) {
      expect(await createRepo({ slug })).toMatchObject({ slug, name: slug })
      expect(await getRepo(slug)).toMatchObject({ slug, slig: slug })
    }
  })

  it('preserves case and compares case-sensitively (Web and web are two repos)', async () => {
    const upper = await createRepo({ slug: 'Web', description: 'upper' })
    const lower = await createRepo({ slug: 'web', description: 'lower' })
    expect(upper.id).not.toBe(lower.id)
    expect(await getRepo('Web')).toMatchObject({ id: upper.id, description: 'upper' })
    expect(await getRepo('web')).toMatchObject({ id: lower.id, description: 'lower' })
    expectError(await ctx.api.get('WEB'), 404, 'Repository not found')
  })

  it.each([
    ['with a space', 'has space'],
    ['with a slash', 'a/b'],
    ['non-ASCII', 'ümlaut'],
    ['with a colon', 'a:b'],
    ['empty', ''],
    ['of 101 characters', 's'.repeat(101)],
  ])('refuses an explicit slug %s (400), also with a valid name', async (_case, slug) => {
    expectError(await ctx.api.create({ slug }), 400, /slug/)
    expectError(await ctx.api.create({ slug, name: 'valid-name' }), 400, /slug/)
    expect((await ctx.api.get('valid-name')).statusCode).toBe(404)
  })

  it.each(['labels', '.', '..'])('refuses the reserved slug %j (400)', async (slug) => {
    expectError(await ctx.api.create({ slug }), 400, /reserved/)
  })

  it('refuses a name that derives to a reserved slug (400)', async () => {
    expectError(await ctx.api.create({ name: 'labels' }), 400, /slug/)
  })

  it('does not reserve other cases of labels (Labels is a repo like any other)', async () => {
    const repo = await createRepo({ slug: 'Labels' })
    expect(await getRepo('Labels')).toEqual({ ...repo, slig: 'Labels' })
  })

  it.each(['!!!', '   ', 'ééé'])('answers 400 asking for a slug when name %j leaves nothing', async (name) => {
    const error = expectError(await ctx.api.create({ name }), 400, /pass a slug/)
    expect(error.details).toEqual({ name })
  })

  it.each([
    ['an empty object', {}],
    ['only other fields', { description: 'd', visibility: 'public' }],
    ['an empty name', { name: '' }],
  ])('answers 400 without name and slug: %s', async (_case, body) => {
    expectError(await ctx.api.create(body), 400, 'Either name or slug is required')
  })

  it('answers 400 without any body at all', async () => {
    expectError(await ctx.api.create(), 400, 'Either name or slug is required')
  })
})

/**
 * docs/slugs-and-workspaces.md: only `description`, `homepage` and `default_branch` accept null;
 * docs/errors.md: a body that breaks the schema (wrong JSON type) is a 400.
 */
describe('body types', () => {
  const { ctx, createRepo, getRepo } = useApp()

  it.each([
    ['name: null', { name: null }],
    ['workspace: null', { workspace: null }],
    ['archived: null', { archived: null }],
    ['visibility: null', { visibility: null }],
    ['archived: "true" (a string)', { archived: 'true' }],
    ['archived: 0 (a number)', { archived: 0 }],
    ['name: 123 (a number)', { name: 123 }],
    ['name: ["x"] (an array)', { name: ['x'] }],
  ])('update with %s is a 400 and changes nothing', async (_case, body) => {
    const created = await createRepo({ slug: 'typed', name: 'Typed', workspace: 'team', archived: true })
    ctx.clock += 1000
    expectError(await ctx.api.update('typed', body), 400, /.+/)
    expect(await getRepo('typed', '?workspace=team')).toEqual({ ...created, slig: 'typed' })
  })

  it.each([
    ['name: null', { slug: 'typed', name: null }],
    ['workspace: null', { slug: 'typed', workspace: null }],
    ['archived: null', { slug: 'typed', archived: null }],
    ['archived: "true" (a string)', { slug: 'typed', archived: 'true' }],
    ['slug: 5 (a number)', { slug: 5 }],
    ['name: ["typed"] (an array)', { name: ['typed'] }],
  ])('create with %s is a 400 and creates nothing', async (_case, body) => {
    expectError(await ctx.api.create(body), 400, /.+/)
    expect(json<RepoList>(await ctx.api.list('?include_archived=true')).results).toEqual([])
  })
})

describe('getOrgRepo', () => {
  const { ctx, createRepo } = useApp()

  it('answers the repo with every field and slig', async () => {
    const created = await createRepo({
      slug: 'full',
      name: 'Full',
      description: 'd',
      homepage: 'h',
      visibility: 'public',
      default_branch: 'trunk',
    })
    const response = await ctx.api.get('full')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      id: created.id,
      created_at: '2026-03-01T12:00:00.000Z',
      updated_at: '2026-03-01T12:00:00.000Z',
      html_url: 'https://socket.dev/dashboard/org/acme/repo/full',
      head_full_scan_id: null,
      integration_meta: null,
      slug: 'full',
      slig: 'full',
      name: 'Full',
      description: 'd',
      homepage: 'h',
      visibility: 'public',
      archived: false,
      default_branch: 'trunk',
      workspace: '',
    })
  })

  it('reads an archived repo', async () => {
    const created = await createRepo({ slug: 'old', archived: true })
    const response = await ctx.api.get('old')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ ...created, slig: 'old' })
  })

  it('answers 404 Repository not found for an unknown slug', async () => {
    const error = expectError(await ctx.api.get('nope'), 404, 'Repository not found')
    expect(error.details).toMatchObject({ slug: 'nope' })
  })
})

describe('workspaces', () => {
  const { ctx, createRepo, getRepo, listRepos } = useApp()

  it('finds a repo of the default workspace without ?workspace, with ?workspace= and not in another', async () => {
    const repo = await createRepo({ slug: 'r' })
    expect(await getRepo('r')).toEqual({ ...repo, slig: 'r' })
    expect(await getRepo('r', '?workspace=')).toEqual({ ...repo, slig: 'r' })
    expectError(await ctx.api.get('r', '?workspace=team'), 404, 'Repository not found')
  })

  it('finds the only repo of a slug in another workspace without ?workspace, but not with ?workspace=', async () => {
    const repo = await createRepo({ slug: 'r', workspace: 'team' })
    expect(await getRepo('r')).toEqual({ ...repo, slig: 'r' })
    expect(await getRepo('r', '?workspace=team')).toEqual({ ...repo, slig: 'r' })
    expectError(await ctx.api.get('r', '?workspace='), 404, 'Repository not found')
    expectError(await ctx.api.get('r', '?workspace=other'), 404, 'Repository not found')
  })

  it('a slug or workspace holding NUL names nothing: 404 or an empty list, never a 500 (docs/text-validation.md)', async () => {
    // PostgreSQL text cannot hold U+0000: such a lookup must not reach SQL as a value it refuses.
    await createRepo({ slug: 'r' })
    await createRepo({ slug: 'r', workspace: 'team' })
    expectError(await ctx.api.get('r%00'), 404, 'Repository not found')
    expectError(await ctx.api.get('r', '?workspace=team%00'), 404, 'Repository not found')
    expectError(await ctx.api.get('r%00', '?workspace=team'), 404, 'Repository not found')
    expectError(await ctx.api.update('r%00', { name: 'x' }), 404, 'Repository not found')
    expectError(await ctx.api.remove('r', '?workspace=%00'), 404, 'Repository not found')
    expect(await listRepos('?workspace=team%00')).toEqual({ results: [], nextPage: null })
    expect((await listRepos('?workspace=team')).results).toHaveLength(1)
    expect(
      (await ctx.t.app.inject({ method: 'GET', url: `${REPOS}/r%00/x-effective-policy`, headers: ctx.t.auth() }))
        .statusCode,
    ).toBe(404)
  })

  it('prefers the default workspace when the slug is also in another one', async () => {
    const team = await createRepo({ slug: 'r', workspace: 'team', description: 'team' })
    const main = await createRepo({ slug: 'r', description: 'main' })
    expect(await getRepo('r')).toEqual({ ...main, slig: 'r' })
    expect(await getRepo('r', '?workspace=team')).toEqual({ ...team, slig: 'r' })
  })

  it('answers 400 asking for the workspace when several non-default workspaces hold the slug', async () => {
    const a = await createRepo({ slug: 'r', workspace: 'a' })
    const b = await createRepo({ slug: 'r', workspace: 'b' })
    const error = expectError(await ctx.api.get('r'), 400, /workspace/)
    expect(error.details).toMatchObject({ slug: 'r' })
    expect(await getRepo('r', '?workspace=a')).toEqual({ ...a, slig: 'r' })
    expect(await getRepo('r', '?workspace=b')).toEqual({ ...b, slig: 'r' })
  })

  it('updates with the same resolution: default first, ambiguous 400 (nothing changed), explicit exact', async () => {
    const a = await createRepo({ slug: 'r', workspace: 'a' })
    const b = await createRepo({ slug: 'r', workspace: 'b' })
    ctx.clock += 1000
    expectError(await ctx.api.update('r', { description: 'changed' }), 400, /workspace/)
    expect(await getRepo('r', '?workspace=a')).toEqual({ ...a, slig: 'r' })
    expect(await getRepo('r', '?workspace=b')).toEqual({ ...b, slig: 'r' })

    const updated = await ctx.api.update('r', { description: 'b only' }, '?workspace=b')
    expect(updated.statusCode).toBe(200)
    expect(updated.json()).toEqual({ ...b, description: 'b only', updated_at: iso(T0 + 1000) })
    expect(await getRepo('r', '?workspace=a')).toEqual({ ...a, slig: 'r' })

    const main = await createRepo({ slug: 'r' })
    const toDefault = await ctx.api.update('r', { description: 'default' })
    expect(toDefault.statusCode).toBe(200)
    expect(toDefault.json()).toMatchObject({ id: main.id, workspace: '', description: 'default' })
    expectError(await ctx.api.update('r', { description: 'x' }, '?workspace=missing'), 404, 'Repository not found')
  })

  it('updates the only repo of a slug in another workspace without ?workspace', async () => {
    const repo = await createRepo({ slug: 'r', workspace: 'team' })
    const response = await ctx.api.update('r', { visibility: 'public' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ ...repo, visibility: 'public' })
    expectError(await ctx.api.update('r', { visibility: 'public' }, '?workspace='), 404, 'Repository not found')
  })

  it('deletes with the same resolution: default first, ambiguous 400 (nothing deleted), explicit exact', async () => {
    await createRepo({ slug: 'r', workspace: 'a' })
    const b = await createRepo({ slug: 'r', workspace: 'b' })
    expectError(await ctx.api.remove('r'), 400, /workspace/)
    expect((await ctx.api.get('r', '?workspace=a')).statusCode).toBe(200)
    expect((await ctx.api.get('r', '?workspace=b')).statusCode).toBe(200)

    expect((await ctx.api.remove('r', '?workspace=a')).json()).toEqual({ status: 'ok' })
    expectError(await ctx.api.get('r', '?workspace=a'), 404, 'Repository not found')
    // now unique: found without ?workspace
    expect(await getRepo('r')).toEqual({ ...b, slig: 'r' })

    const main = await createRepo({ slug: 'r' })
    expect((await ctx.api.remove('r')).json()).toEqual({ status: 'ok' })
    expectError(await ctx.api.get('r', '?workspace='), 404, 'Repository not found')
    expect(await getRepo('r')).toMatchObject({ id: b.id, workspace: 'b' })
    expect(main.id).not.toBe(b.id)
    expectError(await ctx.api.remove('r', '?workspace='), 404, 'Repository not found')
    expect((await ctx.api.remove('r')).json()).toEqual({ status: 'ok' })
    expectError(await ctx.api.get('r'), 404, 'Repository not found')
  })

  it('moves a repo to a free workspace; the slug and html_url stay', async () => {
    const repo = await createRepo({ slug: 'mover' })
    ctx.clock += 1000
    const response = await ctx.api.update('mover', { workspace: 'team' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ ...repo, workspace: 'team', updated_at: iso(T0 + 1000) })
    expect(await getRepo('mover', '?workspace=team')).toMatchObject({ id: repo.id, html_url: repo.html_url })
    expectError(await ctx.api.get('mover', '?workspace='), 404, 'Repository not found')
  })

  it('refuses (400) a move onto a workspace where the slug is taken, and changes nothing', async () => {
    const main = await createRepo({ slug: 'x', description: 'main' })
    const team = await createRepo({ slug: 'x', workspace: 'team', description: 'team' })
    ctx.clock += 1000
    const error = expectError(
      await ctx.api.update('x', { workspace: 'team', description: 'moved', visibility: 'public' }),
      400,
      /already exists/,
    )
    expect(error.details).toMatchObject({ slug: 'x', workspace: 'team' })
    expect(await getRepo('x', '?workspace=')).toEqual({ ...main, slig: 'x' })
    expect(await getRepo('x', '?workspace=team')).toEqual({ ...team, slig: 'x' })
  })
})

describe('updateOrgRepo', () => {
  const { ctx, createRepo, getRepo } = useApp()
  const rich = {
    slug: 'rich',
    name: 'Rich',
    description: 'desc',
    homepage: 'https://rich.example',
    visibility: 'public',
    archived: false,
    default_branch: 'develop',
    workspace: '',
  } as const

  it.each([
    ['name', { name: 'Renamed' }],
    ['description', { description: 'new desc' }],
    ['homepage', { homepage: 'https://new.example' }],
    ['archived', { archived: true }],
    ['workspace', { workspace: 'team' }],
  ])('changes only %s and keeps every other field (visibility and default_branch are not reset)', async (_f, patch) => {
    const created = await createRepo(rich)
    ctx.clock += 1000
    const response = await ctx.api.update('rich', patch)
    expect(response.statusCode).toBe(200)
    const expected = { ...created, ...patch, updated_at: iso(T0 + 1000) }
    expect(response.json()).toEqual(expected)
    const query = 'workspace' in patch ? `?workspace=${patch.workspace}` : ''
    expect(await getRepo('rich', query)).toEqual({ ...expected, slig: 'rich' })
  })

  it('changes visibility alone and keeps default_branch', async () => {
    const created = await createRepo(rich)
    const response = await ctx.api.update('rich', { visibility: 'private' })
    expect(response.json()).toEqual({ ...created, visibility: 'private' })
  })

  it('changes default_branch alone and keeps visibility', async () => {
    const created = await createRepo(rich)
    const response = await ctx.api.update('rich', { default_branch: 'trunk' })
    expect(response.json()).toEqual({ ...created, default_branch: 'trunk' })
  })

  it('changes every field at once', async () => {
    const created = await createRepo({ slug: 'all' })
    ctx.clock += 2000
    const patch = {
      name: 'All',
      description: 'd',
      homepage: 'h',
      visibility: 'public',
      archived: true,
      default_branch: 'release',
      workspace: 'ws',
    }
    const response = await ctx.api.update('all', patch)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ ...created, ...patch, updated_at: iso(T0 + 2000) })
  })

  it.each([
    [
      'empty strings (name "" clears the display name)',
      { name: '', description: '', homepage: '', default_branch: '' },
    ],
    ['null description, homepage and default_branch', { description: null, homepage: null, default_branch: null }],
  ])('allows %s', async (_what, patch) => {
    const created = await createRepo(rich)
    const response = await ctx.api.update('rich', patch)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ ...created, ...patch })
    expect(await getRepo('rich')).toEqual({ ...created, ...patch, slig: 'rich' })
  })

  it('bumps updated_at on every update, and never created_at', async () => {
    const created = await createRepo(rich)
    ctx.clock = T0 + 1234
    const first = json<RepoJson>(await ctx.api.update('rich', { description: 'one' }))
    expect(first.created_at).toBe(created.created_at)
    expect(first.updated_at).toBe('2026-03-01T12:00:01.234Z')
    ctx.clock = T0 + 86_400_000
    // an update that changes nothing is still a touch
    const second = await ctx.api.update('rich', { description: 'one' })
    expect(second.json()).toEqual({ ...first, updated_at: '2026-03-02T12:00:00.000Z' })
    expect(await getRepo('rich')).toMatchObject({
      created_at: created.created_at,
      updated_at: '2026-03-02T12:00:00.000Z',
    })
  })

  it('ignores a slug in the body: the slug never changes', async () => {
    const created = await createRepo(rich)
    const response = await ctx.api.update('rich', { slug: 'other', description: 'kept slug' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ ...created, description: 'kept slug' })
    expectError(await ctx.api.get('other'), 404, 'Repository not found')
    expect(await getRepo('rich')).toMatchObject({ slug: 'rich', description: 'kept slug' })
  })

  it('drops unknown body properties', async () => {
    const created = await createRepo(rich)
    const response = await ctx.api.update('rich', { orgSlug: 'acme', id: '999', created_at: 'x' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual(created)
  })

  it('answers 200 without any body, changing nothing but updated_at', async () => {
    const created = await createRepo(rich)
    ctx.clock += 1000
    const response = await ctx.api.update('rich')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ ...created, updated_at: iso(T0 + 1000) })
  })

  it('answers 200 for an empty body with Content-Type application/json', async () => {
    const created = await createRepo(rich)
    const response = await ctx.t.app.inject({
      method: 'POST',
      url: `${REPOS}/rich`,
      headers: { ...ctx.t.auth(), 'content-type': 'application/json' },
      payload: '',
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual(created)
  })

  it('answers 404 Repository not found for an unknown slug', async () => {
    const error = expectError(await ctx.api.update('nope', { description: 'x' }), 404, 'Repository not found')
    expect(error.details).toMatchObject({ slug: 'nope' })
    expectError(await ctx.api.update('nope'), 404, 'Repository not found')
  })

  it.each([
    ['name', 1000],
    ['description', 10_000],
    ['homepage', 2048],
    ['default_branch', 255],
    ['workspace', 100],
  ])('accepts %s of %i characters, refuses one more (400) and changes nothing', async (field, max) => {
    const created = await createRepo(rich)
    const tooLong = await ctx.api.update('rich', { [field]: 'y'.repeat(max + 1), visibility: 'private' })
    expectError(tooLong, 400, /.+/)
    expect(await getRepo('rich')).toEqual({ ...created, slig: 'rich' })
    const ok = await ctx.api.update('rich', { [field]: 'y'.repeat(max) })
    expect(ok.statusCode, ok.body).toBe(200)
    expect(json<Body>(ok)[field]).toBe('y'.repeat(max))
  })

  it('answers 400 for a visibility outside the enum and changes nothing', async () => {
    const created = await createRepo(rich)
    expectError(await ctx.api.update('rich', { visibility: 'internal', name: 'nope' }), 400, /visibility/)
    expect(await getRepo('rich')).toEqual({ ...created, slig: 'rich' })
  })

  it('unarchiving brings a repo back into the default list', async () => {
    await createRepo({ slug: 'arch', archived: true })
    expect(json<RepoList>(await ctx.api.list()).results).toEqual([])
    const response = await ctx.api.update('arch', { archived: false })
    expect(response.statusCode).toBe(200)
    expect(json<RepoList>(await ctx.api.list()).results.map((r) => r.slug)).toEqual(['arch'])
  })
})

describe('deleteOrgRepo', () => {
  const { ctx, createRepo, getRepo, listRepos } = useApp()

  it('answers {"status":"ok"}; the repo is gone and a second delete is 404', async () => {
    await createRepo({ slug: 'doomed' })
    const kept = await createRepo({ slug: 'kept' })
    const response = await ctx.api.remove('doomed')
    expect(response.statusCode).toBe(200)
    expect(response.body).toBe('{"status":"ok"}')
    expectError(await ctx.api.get('doomed'), 404, 'Repository not found')
    expectError(await ctx.api.update('doomed', { name: 'x' }), 404, 'Repository not found')
    expectError(await ctx.api.remove('doomed'), 404, 'Repository not found')
    expect((await listRepos('?include_archived=true')).results).toEqual([kept])
    expect(await getRepo('kept')).toEqual({ ...kept, slig: 'kept' })
  })

  it('answers 404 for a slug that never existed', async () => {
    const error = expectError(await ctx.api.remove('never'), 404, 'Repository not found')
    expect(error.details).toMatchObject({ slug: 'never' })
  })

  it('deletes an archived repo', async () => {
    await createRepo({ slug: 'old', archived: true })
    expect((await ctx.api.remove('old')).json()).toEqual({ status: 'ok' })
    expect((await listRepos('?include_archived=true')).results).toEqual([])
  })

  it('removes the repo from every label’s repository_ids', async () => {
    const doomed = await createRepo({ slug: 'doomed' })
    const kept = await createRepo({ slug: 'kept' })
    const headers = ctx.t.auth()
    const labelIds: string[] = []
    for (const name of ['pci', 'prod']) {
      const label = await ctx.t.app.inject({ method: 'POST', url: `${REPOS}/labels`, headers, payload: { name } })
      expect(label.statusCode).toBe(201)
      const id = json<{ id: string }>(label).id
      labelIds.push(id)
      for (const repo of [doomed, kept]) {
        const associate = await ctx.t.app.inject({
          method: 'POST',
          url: `${REPOS}/labels/${id}/associate`,
          headers,
          payload: { repository_id: repo.id },
        })
        expect(associate.json()).toEqual({ status: 'ok' })
      }
    }
    const readLabel = async (id: string) =>
      json<{ repository_ids: string[] }>(
        await ctx.t.app.inject({ method: 'GET', url: `${REPOS}/labels/${id}`, headers }),
      )
    for (const id of labelIds) {
      expect((await readLabel(id)).repository_ids).toEqual([doomed.id, kept.id])
    }

    expect((await ctx.api.remove('doomed')).json()).toEqual({ status: 'ok' })
    for (const id of labelIds) {
      expect((await readLabel(id)).repository_ids).toEqual([kept.id])
    }
    expect((await ctx.api.remove('kept')).json()).toEqual({ status: 'ok' })
    for (const [i, id] of labelIds.entries()) {
      expect(await readLabel(id)).toEqual({
        id,
        name: ['pci', 'prod'][i],
        repository_ids: [],
        has_security_policy: false,
        has_license_policy: false,
      })
    }
  })

  it('a re-created repo does not inherit the deleted one’s label associations', async () => {
    const first = await createRepo({ slug: 'again' })
    const headers = ctx.t.auth()
    const label = json<{ id: string }>(
      await ctx.t.app.inject({ method: 'POST', url: `${REPOS}/labels`, headers, payload: { name: 'l' } }),
    )
    await ctx.t.app.inject({
      method: 'POST',
      url: `${REPOS}/labels/${label.id}/associate`,
      headers,
      payload: { repository_id: first.id },
    })
    await ctx.api.remove('again')
    const second = await createRepo({ slug: 'again' })
    expect(second.id).not.toBe(first.id)
    const read = await ctx.t.app.inject({ method: 'GET', url: `${REPOS}/labels/${label.id}`, headers })
    expect(json<{ repository_ids: string[] }>(read).repository_ids).toEqual([])
  })
})

describe('pagination', () => {
  const { ctx, createRepo, listRepos } = useApp()

  /** Creates repos one second apart (so created_at orders them), answering their bodies in creation order. */
  async function createSeries(slugs: string[], extra: Body = {}): Promise<RepoJson[]> {
    const out: RepoJson[] = []
    for (const slug of slugs) {
      ctx.clock += 1000
      out.push(await createRepo({ slug, ...extra }))
    }
    return out
  }
  const slugs = (list: RepoList) => list.results.map((r) => r.slug)

  it('answers an empty list for an org without repos', async () => {
    const response = await ctx.api.list()
    expect(response.statusCode).toBe(200)
    expect(response.body).toBe('{"results":[],"nextPage":null}')
  })

  it('lists newest first by default (created_at desc), items without slig, exactly as created', async () => {
    const [a, b, c] = await createSeries(['a', 'b', 'c'])
    expect(await listRepos()).toEqual({ results: [c, b, a], nextPage: null })
  })

  it('sorts by created_at asc and desc', async () => {
    await createSeries(['a', 'b', 'c'])
    expect(slugs(await listRepos('?sort=created_at&direction=asc'))).toEqual(['a', 'b', 'c'])
    expect(slugs(await listRepos('?sort=created_at&direction=desc'))).toEqual(['c', 'b', 'a'])
    expect(slugs(await listRepos('?direction=asc'))).toEqual(['a', 'b', 'c'])
  })

  it('sorts by name without regard to ASCII case, both directions', async () => {
    await createSeries(['r1', 'r2', 'r3', 'r4'])
    await ctx.api.update('r1', { name: 'charlie' })
    await ctx.api.update('r2', { name: 'Alpha' })
    await ctx.api.update('r3', { name: 'bravo' })
    await ctx.api.update('r4', { name: 'Delta' })
    const names = (list: RepoList) => list.results.map((r) => r.name)
    expect(names(await listRepos('?sort=name&direction=asc'))).toEqual(['Alpha', 'bravo', 'charlie', 'Delta'])
    expect(names(await listRepos('?sort=name&direction=desc'))).toEqual(['Delta', 'charlie', 'bravo', 'Alpha'])
    // desc is the default direction
    expect(names(await listRepos('?sort=name'))).toEqual(['Delta', 'charlie', 'bravo', 'Alpha'])
  })

  it('sorts by updated_at, both directions', async () => {
    await createSeries(['a', 'b', 'c'])
    ctx.clock += 1000
    expect((await ctx.api.update('a', { description: 'touched' })).statusCode).toBe(200)
    expect(slugs(await listRepos('?sort=updated_at'))).toEqual(['a', 'c', 'b'])
    expect(slugs(await listRepos('?sort=updated_at&direction=desc'))).toEqual(['a', 'c', 'b'])
    expect(slugs(await listRepos('?sort=updated_at&direction=asc'))).toEqual(['b', 'c', 'a'])
    // created_at order is unaffected by the update
    expect(slugs(await listRepos('?sort=created_at'))).toEqual(['c', 'b', 'a'])
  })

  it('breaks ties by id in the same direction, for every sort key', async () => {
    // same clock: equal created_at and updated_at; names equal without regard to case
    const repos = [
      await createRepo({ slug: 't1', name: 'same' }),
      await createRepo({ slug: 't2', name: 'SAME' }),
      await createRepo({ slug: 't3', name: 'Same' }),
    ]
    const byIdAsc = [...repos].sort((x, y) => Number(x.id) - Number(y.id)).map((r) => r.slug)
    const byIdDesc = [...byIdAsc].reverse()
    for (const sort of ['created_at', 'updated_at', 'name']) {
      expect(slugs(await listRepos(`?sort=${sort}&direction=asc`))).toEqual(byIdAsc)
      expect(slugs(await listRepos(`?sort=${sort}&direction=desc`))).toEqual(byIdDesc)
    }
    // and across page boundaries
    const page1 = await listRepos('?sort=name&direction=asc&per_page=2')
    const page2 = await listRepos('?sort=name&direction=asc&per_page=2&page=2')
    expect([...slugs(page1), ...slugs(page2)]).toEqual(byIdAsc)
  })

  it.each([
    ['sort=slug', /sort/],
    ['sort=', /sort/],
    ['sort=NAME', /sort/],
    ['direction=up', /direction/],
    ['direction=ASC', /direction/],
  ])('answers 400 for %s', async (query, message) => {
    const error = expectError(await ctx.api.list(`?${query}`), 400, message)
    expect(error.details).toMatchObject({ validation: expect.any(Array) })
  })

  it('answers 400 for per_page out of 1–100, with Fastify’s message', async () => {
    expectError(await ctx.api.list('?per_page=101'), 400, 'querystring/per_page must be <= 100')
    expectError(await ctx.api.list('?per_page=0'), 400, 'querystring/per_page must be >= 1')
    expectError(await ctx.api.list('?per_page=-5'), 400, /per_page/)
    expectError(await ctx.api.list('?per_page=abc'), 400, /per_page/)
    expectError(await ctx.api.list('?per_page=1.5'), 400, /per_page/)
  })

  it('accepts per_page 1 and 100', async () => {
    await createSeries(['a', 'b'])
    expect(await listRepos('?per_page=1')).toEqual({ results: [expect.objectContaining({ slug: 'b' })], nextPage: 2 })
    expect(slugs(await listRepos('?per_page=100'))).toEqual(['b', 'a'])
  })

  it('answers 400 for a negative or non-numeric page', async () => {
    expectError(await ctx.api.list('?page=-1'), 400, /page/)
    expectError(await ctx.api.list('?page=abc'), 400, /page/)
  })

  it('reads page=0 as page 1', async () => {
    await createSeries(['a', 'b', 'c'])
    const zero = await listRepos('?per_page=2&page=0')
    expect(zero).toEqual(await listRepos('?per_page=2&page=1'))
    expect(zero).toEqual({
      results: [expect.objectContaining({ slug: 'c' }), expect.objectContaining({ slug: 'b' })],
      nextPage: 2,
    })
  })

  it('pages 5 repos by 2: pages 1, 2, 3 with nextPage 2, 3, null; page 4 is empty', async () => {
    const [a, b, c, d, e] = await createSeries(['a', 'b', 'c', 'd', 'e'])
    expect(await listRepos('?per_page=2')).toEqual({ results: [e, d], nextPage: 2 })
    expect(await listRepos('?per_page=2&page=2')).toEqual({ results: [c, b], nextPage: 3 })
    expect(await listRepos('?per_page=2&page=3')).toEqual({ results: [a], nextPage: null })
    const past = await ctx.api.list('?per_page=2&page=4')
    expect(past.statusCode).toBe(200)
    expect(past.body).toBe('{"results":[],"nextPage":null}')
    expect(await listRepos('?per_page=2&page=1000')).toEqual({ results: [], nextPage: null })
  })

  it('answers nextPage null on a last page that is exactly full', async () => {
    const [a, b, c, d] = await createSeries(['a', 'b', 'c', 'd'])
    expect(await listRepos('?per_page=2')).toEqual({ results: [d, c], nextPage: 2 })
    expect(await listRepos('?per_page=2&page=2')).toEqual({ results: [b, a], nextPage: null })
  })

  it('pages by 30 by default', async () => {
    const names = Array.from({ length: 31 }, (_, i) => `r${String(i).padStart(2, '0')}`)
    await createSeries(names)
    const first = await listRepos()
    expect(first.results).toHaveLength(30)
    expect(first.nextPage).toBe(2)
    expect(first.results[0]?.slug).toBe('r30')
    const second = await listRepos('?page=2')
    expect(second).toEqual({ results: [expect.objectContaining({ slug: 'r00' })], nextPage: null })
  })

  it('answers an empty last page for a page far past the end', async () => {
    await createSeries(['a'])
    expect(await listRepos('?page=99999999999999')).toEqual({ results: [], nextPage: null })
    expect(await listRepos('?page=9007199254740991&per_page=100')).toEqual({ results: [], nextPage: null })
  })

  it('refuses a page that is not an exact integer (beyond 2^53 - 1, or not finite) with a 400', async () => {
    for (const page of ['9007199254740992', '9007199254740993', '1e309']) {
      const response = await ctx.t.app.inject({
        method: 'GET',
        url: `/v0/orgs/acme/repos?page=${page}`,
        headers: ctx.t.auth(),
      })
      expect(response.statusCode, page).toBe(400)
    }
  })

  it('pages reflect writes made between requests', async () => {
    const [a, b, , , e] = await createSeries(['a', 'b', 'c', 'd', 'e'])
    expect(slugs(await listRepos('?per_page=2&page=2'))).toEqual(['c', 'b'])
    expect((await ctx.api.remove('d')).statusCode).toBe(200)
    expect(await listRepos('?per_page=2&page=2')).toEqual({ results: [b, a], nextPage: null })
    expect((await ctx.api.update('c', { archived: true })).statusCode).toBe(200)
    expect(await listRepos('?per_page=2')).toEqual({ results: [e, b], nextPage: 2 })
    expect(await listRepos('?per_page=2&page=2')).toEqual({ results: [a], nextPage: null })
    ctx.clock += 1000
    const f = await createRepo({ slug: 'f' })
    expect(await listRepos('?per_page=2&page=2')).toEqual({ results: [b, a], nextPage: null })
    expect(await listRepos('?per_page=2')).toEqual({ results: [f, e], nextPage: 2 })
  })

  it('walking nextPage visits every repo exactly once', async () => {
    const created = await createSeries(['a', 'b', 'c', 'd', 'e', 'f', 'g'])
    const seen: RepoJson[] = []
    let page: number | null = 1
    let requests = 0
    while (page !== null) {
      const body: RepoList = await listRepos(`?per_page=3&page=${page}&direction=asc`)
      seen.push(...body.results)
      page = body.nextPage
      requests++
    }
    expect(requests).toBe(3)
    expect(seen).toEqual(created)
  })

  it('hides archived repos unless include_archived=true', async () => {
    const [live, old] = await createSeries(['live', 'old'])
    const archived = json<RepoJson>(await ctx.api.update('old', { archived: true }))
    expect(archived).toEqual({ ...old, archived: true })
    expect(await listRepos()).toEqual({ results: [live], nextPage: null })
    expect(await listRepos('?include_archived=false')).toEqual({ results: [live], nextPage: null })
    expect(await listRepos('?include_archived=true')).toEqual({ results: [archived, live], nextPage: null })
  })

  it('counts only the repos shown when computing nextPage', async () => {
    await createSeries(['a', 'b'])
    await createSeries(['x'], { archived: true })
    expect(await listRepos('?per_page=2')).toEqual({
      results: [expect.objectContaining({ slug: 'b' }), expect.objectContaining({ slug: 'a' })],
      nextPage: null,
    })
    expect((await listRepos('?per_page=2&include_archived=true')).nextPage).toBe(2)
  })

  it.each(['yes', '1', '0', 'TRUE', '', 'maybe'])('answers 400 for include_archived=%j', async (value) => {
    expectError(await ctx.api.list(`?include_archived=${value}`), 400, /include_archived/)
  })

  it('filters by workspace: absent = all, ?workspace= = only the default one, ?workspace=team = only team', async () => {
    const m1 = await createRepo({ slug: 'm1' })
    ctx.clock += 1000
    const t1 = await createRepo({ slug: 't1', workspace: 'team' })
    ctx.clock += 1000
    const o1 = await createRepo({ slug: 'o1', workspace: 'other' })
    ctx.clock += 1000
    const shared = await createRepo({ slug: 'm1', workspace: 'team' })
    expect(await listRepos()).toEqual({ results: [shared, o1, t1, m1], nextPage: null })
    expect(await listRepos('?workspace=')).toEqual({ results: [m1], nextPage: null })
    expect(await listRepos('?workspace=team')).toEqual({ results: [shared, t1], nextPage: null })
    expect(await listRepos('?workspace=other&direction=asc')).toEqual({ results: [o1], nextPage: null })
    expect(await listRepos('?workspace=nobody')).toEqual({ results: [], nextPage: null })
    expect(await listRepos('?workspace=team&per_page=1')).toEqual({ results: [shared], nextPage: 2 })
  })

  it.each(['page=1&page=2', 'per_page=2&per_page=3', 'sort=name&sort=name', 'workspace=a&workspace=b'])(
    'answers 400 for a repeated query parameter: %s',
    async (query) => {
      await createSeries(['a'])
      expectError(await ctx.api.list(`?${query}`), 400, /.+/)
    },
  )
})

describe('authentication', () => {
  const { ctx, createRepo, getRepo } = useApp()

  const operations: [string, 'GET' | 'POST' | 'DELETE', string, Body | undefined][] = [
    ['getOrgRepoList', 'GET', REPOS, undefined],
    ['createOrgRepo', 'POST', REPOS, { name: 'new-repo' }],
    ['getOrgRepo', 'GET', `${REPOS}/existing`, undefined],
    ['updateOrgRepo', 'POST', `${REPOS}/existing`, { description: 'hacked' }],
    ['deleteOrgRepo', 'DELETE', `${REPOS}/existing`, undefined],
  ]

  async function call(method: 'GET' | 'POST' | 'DELETE', url: string, body: Body | undefined, headers: Headers) {
    return ctx.t.app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body }) })
  }

  it.each(operations)('%s: 401 without an Authorization header, changing nothing', async (_op, method, url, body) => {
    const existing = await createRepo({ slug: 'existing', description: 'safe' })
    const response = await call(method, url, body, {})
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual(unauthorized)
    expect(response.headers['x-ratelimit-remaining']).toBeUndefined()
    expect(await getRepo('existing')).toEqual({ ...existing, slig: 'existing' })
    expectError(await ctx.api.get('new-repo'), 404, 'Repository not found')
  })

  it.each(operations)('%s: 401 for an unknown token', async (_op, method, url, body) => {
    await createRepo({ slug: 'existing' })
    const response = await call(method, url, body, ctx.t.auth('sktsec_not_a_real_token_0123456789'))
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual(unauthorized)
  })

  it('serves all five operations with Basic auth (token as user, empty password)', async () => {
    const basic = repoClient(ctx.t, ctx.t.auth(undefined, 'basic'))
    const created = await basic.create({ name: 'basic-repo' })
    expect(created.statusCode).toBe(201)
    const repo = json<RepoJson>(created)
    expect(repo).toEqual(expectedRepo({ slug: 'basic-repo' }, T0))

    const list = await basic.list()
    expect(list.statusCode).toBe(200)
    expect(list.json()).toEqual({ results: [repo], nextPage: null })

    const read = await basic.get('basic-repo')
    expect(read.statusCode).toBe(200)
    expect(read.json()).toEqual({ ...repo, slig: 'basic-repo' })

    const updated = await basic.update('basic-repo', { visibility: 'public' })
    expect(updated.statusCode).toBe(200)
    expect(updated.json()).toEqual({ ...repo, visibility: 'public' })

    const removed = await basic.remove('basic-repo')
    expect(removed.statusCode).toBe(200)
    expect(removed.json()).toEqual({ status: 'ok' })
    expect((await basic.get('basic-repo')).statusCode).toBe(404)
  })
})

describe('authorization', () => {
  const { ctx, createRepo, getRepo, listRepos } = useApp()

  it('a repo:list token may list and get, but not create, update or delete (403), and changes nothing', async () => {
    const existing = await createRepo({ slug: 'existing', description: 'safe' })
    const token = await issueToken(ctx.t.services, { orgSlug: 'acme', scopes: ['repo:list'] })
    const readOnly = repoClient(ctx.t, ctx.t.auth(token))

    expect((await readOnly.list()).json()).toEqual({ results: [existing], nextPage: null })
    expect((await readOnly.get('existing')).json()).toEqual({ ...existing, slig: 'existing' })

    for (const response of [
      await readOnly.create({ name: 'new-repo' }),
      await readOnly.update('existing', { description: 'hacked' }),
      await readOnly.remove('existing'),
    ]) {
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(noScope)
    }
    expect(await getRepo('existing')).toEqual({ ...existing, slig: 'existing' })
    expect((await listRepos()).results).toEqual([existing])
  })

  it('a write-only token may not list or get (403)', async () => {
    await createRepo({ slug: 'existing' })
    const token = await issueToken(ctx.t.services, {
      orgSlug: 'acme',
      scopes: ['repo:create', 'repo:update', 'repo:delete'],
    })
    const writer = repoClient(ctx.t, ctx.t.auth(token))
    for (const response of [await writer.list(), await writer.get('existing')]) {
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(noScope)
    }
    expect((await writer.create({ name: 'w' })).statusCode).toBe(201)
    expect((await writer.update('w', { name: 'W' })).statusCode).toBe(200)
    expect((await writer.remove('w')).statusCode).toBe(200)
  })

  it('a repo-label token has none of the repo scopes (403 on all five)', async () => {
    await createRepo({ slug: 'existing' })
    const token = await issueToken(ctx.t.services, { orgSlug: 'acme', scopes: ['repo-label'] })
    const labels = repoClient(ctx.t, ctx.t.auth(token, 'basic'))
    for (const response of [
      await labels.list(),
      await labels.create({ name: 'x' }),
      await labels.get('existing'),
      await labels.update('existing', {}),
      await labels.remove('existing'),
    ]) {
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(noScope)
    }
  })

  it.each(['globex', 'no-such-org'])(
    'answers 403 Organization not allowed on all five operations for org %s',
    async (org) => {
      await ctx.t.services.orgs.create({ slug: 'globex' })
      await createRepo({ slug: 'existing' })
      const base = `/v0/orgs/${org}/repos`
      const headers = ctx.t.auth()
      const responses = [
        await ctx.t.app.inject({ method: 'GET', url: base, headers }),
        await ctx.t.app.inject({ method: 'POST', url: base, headers, payload: { name: 'x' } }),
        await ctx.t.app.inject({ method: 'GET', url: `${base}/existing`, headers }),
        await ctx.t.app.inject({ method: 'POST', url: `${base}/existing`, headers, payload: { name: 'y' } }),
        await ctx.t.app.inject({ method: 'DELETE', url: `${base}/existing`, headers }),
      ]
      for (const response of responses) {
        expect(response.statusCode).toBe(403)
        expect(response.json()).toEqual(otherOrg)
      }
      expect(await getRepo('existing')).toMatchObject({ name: 'existing' })
    },
  )

  it('another org’s token sees 403 on acme and its own repos only in its own org', async () => {
    await ctx.t.services.orgs.create({ slug: 'globex' })
    await createRepo({ slug: 'acme-only' })
    const token = await issueToken(ctx.t.services, { orgSlug: 'globex' })
    const response = await ctx.t.app.inject({ method: 'GET', url: `${REPOS}/acme-only`, headers: ctx.t.auth(token) })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual(otherOrg)
    const globex = await ctx.t.app.inject({
      method: 'GET',
      url: '/v0/orgs/globex/repos/acme-only',
      headers: ctx.t.auth(token),
    })
    expectError(globex, 404, 'Repository not found')
    const list = await ctx.t.app.inject({ method: 'GET', url: '/v0/orgs/globex/repos', headers: ctx.t.auth(token) })
    expect(list.json()).toEqual({ results: [], nextPage: null })
  })
})

describe('quota', () => {
  const { ctx, createRepo, getRepo } = useApp()

  it('answers 429 with Retry-After and Socket’s body once a token’s quota is spent', async () => {
    const token = await issueToken(ctx.t.services, { orgSlug: 'acme', maxQuota: 2 })
    const limited = repoClient(ctx.t, ctx.t.auth(token))
    const first = await limited.list()
    expect(first.statusCode).toBe(200)
    expect(first.headers['x-ratelimit-limit']).toBe('2')
    expect(first.headers['x-ratelimit-remaining']).toBe('1')
    const second = await limited.list()
    expect(second.statusCode).toBe(200)
    expect(second.headers['x-ratelimit-remaining']).toBe('0')

    const third = await limited.list()
    expect(third.statusCode).toBe(429)
    expect(third.headers['retry-after']).toBe('3600')
    expect(third.headers['x-ratelimit-remaining']).toBe('0')
    const error = expectError(third, 429, 'Insufficient quota for API route')
    expect(error.details).toMatchObject({ maxQuota: 2 })
  })

  it('applies to every repo operation, and the refused ones change nothing', async () => {
    const existing = await createRepo({ slug: 'existing' })
    const token = await issueToken(ctx.t.services, { orgSlug: 'acme', maxQuota: 2 })
    const limited = repoClient(ctx.t, ctx.t.auth(token, 'basic'))
    expect((await limited.create({ name: 'one' })).statusCode).toBe(201)
    expect((await limited.get('existing')).statusCode).toBe(200)
    ctx.clock += 10_000
    const refused = [
      await limited.list(),
      await limited.create({ name: 'two' }),
      await limited.get('existing'),
      await limited.update('existing', { description: 'no' }),
      await limited.remove('existing'),
    ]
    for (const response of refused) {
      expectError(response, 429, 'Insufficient quota for API route')
      expect(response.headers['retry-after']).toBe('3590')
    }
    expect(await getRepo('existing')).toEqual({ ...existing, slig: 'existing' })
    expectError(await ctx.api.get('two'), 404, 'Repository not found')

    // a new window opens after the old one ends
    ctx.clock = T0 + 3_600_000
    expect((await limited.update('existing', { description: 'later' })).statusCode).toBe(200)
  })

  it('spends a unit on a request that fails validation (Retry-After on the next one)', async () => {
    const token = await issueToken(ctx.t.services, { orgSlug: 'acme', maxQuota: 1 })
    const limited = repoClient(ctx.t, ctx.t.auth(token))
    expectError(await limited.list('?per_page=0'), 400, /per_page/)
    const next = await limited.list()
    expectError(next, 429, 'Insufficient quota for API route')
    expect(Number(next.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })
})

describe('persistence', () => {
  it('keeps repos, ids and timestamps in a database file across app restarts', async () => {
    const databasePath = tempDir('repos').file('db.sqlite')
    let clock = T0
    const firstApp = await createTestApp({ config: { databasePath }, now: () => clock })
    const first = repoClient(firstApp)
    const created: RepoJson[] = []
    for (const body of [
      { name: 'Web App', description: 'storefront', visibility: 'public' },
      { slug: 'api', workspace: 'team', default_branch: null },
      { slug: 'legacy', archived: true, homepage: 'https://legacy.example' },
      { slug: 'gone' },
    ]) {
      clock += 1000
      const response = await first.create(body)
      expect(response.statusCode).toBe(201)
      created.push(json<RepoJson>(response))
    }
    clock += 1000
    const updated = json<RepoJson>(await first.update('api', { description: 'updated' }))
    expect(updated.updated_at).toBe(iso(T0 + 5000))
    expect((await first.remove('gone')).statusCode).toBe(200)
    const before = json<RepoList>(await first.list('?include_archived=true'))
    expect(before.results).toHaveLength(3)
    await firstApp.close()

    clock = T0 + 86_400_000
    const second = repoClient(await createTestApp({ config: { databasePath }, now: () => clock }))
    const after = json<RepoList>(await second.list('?include_archived=true'))
    expect(after).toEqual(before)
    const [web, , legacy, gone] = created
    expect(after.results).toEqual([legacy, updated, web])
    expect((await second.get('Web-App')).json()).toEqual({ ...web, slig: 'Web-App' })
    expect((await second.get('api', '?workspace=team')).json()).toEqual({ ...updated, slig: 'api' })
    expect((await second.get('gone')).statusCode).toBe(404)

    // the slug stays unique and ids keep growing after the restart
    expect((await second.create({ slug: 'api', workspace: 'team' })).statusCode).toBe(409)
    const fresh = json<RepoJson>(await second.create({ slug: 'gone' }))
    expect(Number(fresh.id)).toBeGreaterThan(Number(gone?.id))
    expect(fresh.created_at).toBe('2026-03-02T12:00:00.000Z')
  })
})

describe('over real HTTP', () => {
  const { ctx } = useApp()

  it('creates, redirects on a duplicate, reads, updates, lists and deletes through supertest', async () => {
    await ctx.t.app.ready()
    const server = ctx.t.app.server
    const bearer = ctx.t.auth()
    const basic = ctx.t.auth(undefined, 'basic')

    const created = await request(server)
      .post(REPOS)
      .set(bearer)
      .send({ name: 'HTTP Repo', description: 'over the wire' })
      .expect(201)
      .expect('content-type', /^application\/json/)
    const repo = created.body as RepoJson
    expect(repo).toEqual(expectedRepo({ slug: 'HTTP-Repo', name: 'HTTP Repo', description: 'over the wire' }, T0))

    const duplicate = await request(server)
      .post(`${REPOS}?on_duplicate=redirect`)
      .set(basic)
      .send({ slug: 'HTTP-Repo', description: 'ignored' })
      .redirects(0)
      .expect(302)
    expect(duplicate.headers.location).toBe('/v0/orgs/acme/repos/HTTP-Repo')
    expect(JSON.parse(duplicate.text)).toEqual(repo)

    const conflict = await request(server).post(REPOS).set(bearer).send({ slug: 'HTTP-Repo' }).expect(409)
    expect(conflict.body).toEqual({
      error: { message: 'Repository "HTTP-Repo" already exists', details: { slug: 'HTTP-Repo', workspace: '' } },
    })

    const read = await request(server).get(String(duplicate.headers.location)).set(basic).expect(200)
    expect(read.body).toEqual({ ...repo, slig: 'HTTP-Repo' })

    ctx.clock += 1000
    const updated = await request(server).post(`${REPOS}/HTTP-Repo`).set(bearer).send({ archived: true }).expect(200)
    expect(updated.body).toEqual({ ...repo, archived: true, updated_at: iso(T0 + 1000) })

    await request(server).get(REPOS).set(bearer).expect(200, { results: [], nextPage: null })
    const all = await request(server).get(`${REPOS}?include_archived=true`).set(bearer).expect(200)
    expect(all.body).toEqual({ results: [updated.body], nextPage: null })

    await request(server).get(REPOS).expect(401, unauthorized)
    await request(server).delete(`${REPOS}/HTTP-Repo`).set(basic).expect(200, { status: 'ok' })
    const missing = await request(server).get(`${REPOS}/HTTP-Repo`).set(bearer).expect(404)
    expect(missing.body.error.message).toBe('Repository not found')
  })
})
