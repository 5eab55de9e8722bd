import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createResponseCache } from '../src/http/plugins/list-cache.js'
import { createTestApp, createTestDb, request, type TestApp } from './helpers/app.js'
import { closedAfterTest, tempDir } from './helpers/fixtures.js'
import { createLabel, type LabelJson } from './helpers/labels.js'

const slugsOf = (response: { json(): { results: { slug: string }[] } }) => response.json().results.map((r) => r.slug)

describe('cached repo list pages (docs/pagination-and-sorting.md)', () => {
  const list = (t: TestApp, query = '') =>
    t.app.inject({ method: 'GET', url: `/v0/orgs/acme/repos${query}`, headers: t.auth() })
  const send = (t: TestApp, method: 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url: `/v0/orgs/acme/repos${url}`, headers: t.auth(), ...(payload ? { payload } : {}) })

  it('answer the same bytes while nothing changes, and every write of the org shows at once', async () => {
    const t = await createTestApp()
    await send(t, 'POST', '', { name: 'one' })
    const first = await list(t, '?sort=name&direction=asc')
    const again = await list(t, '?sort=name&direction=asc')
    expect(again.statusCode).toBe(200)
    expect(again.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(again.body).toBe(first.body)
    expect(t.app.listCache.size).toBe(1)

    await send(t, 'POST', '', { name: 'two' })
    expect(slugsOf(await list(t, '?sort=name&direction=asc'))).toEqual(['one', 'two'])
    await send(t, 'POST', '/two', { archived: true })
    expect(slugsOf(await list(t, '?sort=name&direction=asc'))).toEqual(['one'])
    expect(slugsOf(await list(t, '?sort=name&direction=asc&include_archived=true'))).toEqual(['one', 'two'])
    await send(t, 'DELETE', '/one')
    expect(slugsOf(await list(t, '?sort=name&direction=asc'))).toEqual([])
    await t.services.state.reset()
    expect(slugsOf(await list(t, '?sort=name&direction=asc&include_archived=true'))).toEqual([])
  })

  it('show what another process wrote to the database file', async () => {
    const path = tempDir('list-cache').file('cache.db')
    const t = await createTestApp({ db: createTestDb({ path }) })
    const other = closedAfterTest(new Database(path))
    await send(t, 'POST', '', { name: 'mine' })
    expect(slugsOf(await list(t))).toEqual(['mine'])
    other.prepare("UPDATE repos SET name = 'renamed elsewhere' WHERE slug = 'mine'").run()
    expect((await list(t)).json().results[0].name).toBe('renamed elsewhere')
  })
})

describe('cached label list pages (docs/labels.md)', () => {
  const LABELS = '/v0/orgs/acme/repos/labels'
  const listLabels = (t: TestApp) => request(t, 'GET', `${LABELS}?per_page=30`)
  /** The list as (name, repository_ids, flags): every field a write can change. */
  const listed = async (t: TestApp) => {
    const response = await listLabels(t)
    expect(response.statusCode, response.body).toBe(200)
    return (response.json() as { results: LabelJson[] }).results.map((label) => ({
      name: label.name,
      repos: label.repository_ids,
      security: label.has_security_policy,
      license: label.has_license_policy,
    }))
  }
  const ok = async (response: Promise<{ statusCode: number; body: string }>) => {
    const answer = await response
    expect(answer.statusCode, answer.body).toBeLessThan(300)
  }
  const createRepo = async (t: TestApp, slug: string) => {
    const response = await request(t, 'POST', '/v0/orgs/acme/repos', { payload: { slug } })
    expect(response.statusCode, response.body).toBe(201)
    return (response.json() as { id: string }).id
  }
  const label = (name: string, repos: string[] = [], flags: { security?: boolean; license?: boolean } = {}) => ({
    name,
    repos,
    security: flags.security ?? false,
    license: flags.license ?? false,
  })

  it('answer the same bytes while nothing changes, and every kind of label write shows at once', async () => {
    const t = await createTestApp()
    const web = await createRepo(t, 'web')
    const api = await createRepo(t, 'api')
    const alpha = await createLabel(t, 'alpha')
    const first = await listLabels(t)
    const again = await listLabels(t)
    expect(again.statusCode).toBe(200)
    expect(again.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(again.body).toBe(first.body)
    expect(t.app.listCache.size).toBe(1)

    const beta = await createLabel(t, 'beta')
    expect(await listed(t)).toEqual([label('alpha'), label('beta')])
    await ok(request(t, 'PUT', `${LABELS}/${beta.id}`, { payload: { name: 'gamma' } }))
    expect(await listed(t)).toEqual([label('alpha'), label('gamma')])
    await ok(request(t, 'POST', `${LABELS}/${alpha.id}/associate`, { payload: { repository_id: web } }))
    await ok(request(t, 'POST', `${LABELS}/${alpha.id}/associate`, { payload: { repository_id: api } }))
    expect(await listed(t)).toEqual([label('alpha', [web, api]), label('gamma')])
    await ok(request(t, 'POST', `${LABELS}/${alpha.id}/disassociate`, { payload: { repository_id: web } }))
    expect(await listed(t)).toEqual([label('alpha', [api]), label('gamma')])

    const setting = `${LABELS}/${beta.id}/label-setting`
    await ok(request(t, 'PUT', setting, { payload: { issueRulesPolicyDefault: 'high' } }))
    expect(await listed(t)).toEqual([label('alpha', [api]), label('gamma', [], { security: true })])
    await ok(request(t, 'PUT', setting, { payload: { licensePolicy: { allow: ['MIT'] } } }))
    expect(await listed(t)).toEqual([label('alpha', [api]), label('gamma', [], { security: true, license: true })])
    await ok(request(t, 'DELETE', `${setting}?setting_key=issueRulesPolicyDefault`))
    expect(await listed(t)).toEqual([label('alpha', [api]), label('gamma', [], { license: true })])

    // Deleting a repo drops its associations in the same statement.
    await ok(request(t, 'DELETE', '/v0/orgs/acme/repos/api'))
    expect(await listed(t)).toEqual([label('alpha'), label('gamma', [], { license: true })])
    await ok(request(t, 'DELETE', `${LABELS}/${beta.id}`))
    expect(await listed(t)).toEqual([label('alpha')])

    await t.services.state.reset({ org: 'acme' })
    expect(await listed(t)).toEqual([])
    await t.services.state.import({
      orgs: [
        {
          slug: 'acme',
          tokens: [{ token: t.token, name: 'test', max_quota: 100_000 }],
          repos: [{ slug: 'imported' }],
          labels: [{ name: 'from-fixture', repositories: ['imported'] }],
        },
      ],
    })
    const [imported] = (await request(t, 'GET', '/v0/orgs/acme/repos')).json().results as { id: string }[]
    expect(await listed(t)).toEqual([label('from-fixture', [imported?.id ?? 'missing'])])
  })

  it('answer a repeated write that changes nothing from the cache, and keep orgs apart', async () => {
    const t = await createTestApp()
    const web = await createRepo(t, 'web')
    const alpha = await createLabel(t, 'alpha')
    await ok(request(t, 'POST', `${LABELS}/${alpha.id}/associate`, { payload: { repository_id: web } }))
    const before = await listLabels(t)
    // Associating again is a no-op (docs/labels.md): the page stays the one in the cache.
    await ok(request(t, 'POST', `${LABELS}/${alpha.id}/associate`, { payload: { repository_id: web } }))
    expect((await listLabels(t)).body).toBe(before.body)

    await t.services.orgs.create({ slug: 'other' })
    const { secret } = await t.services.tokens.issue({ orgSlug: 'other', name: 'other', maxQuota: 100 })
    const theirs = await request(t, 'GET', '/v0/orgs/other/repos/labels?per_page=30', { token: secret })
    expect(theirs.json()).toEqual({ results: [], nextPage: null })
    expect((await listLabels(t)).body).toBe(before.body)
  })

  it('show what another process wrote to the database file', async () => {
    const path = tempDir('label-cache').file('cache.db')
    const t = await createTestApp({ db: createTestDb({ path }) })
    const other = closedAfterTest(new Database(path))
    const web = await createRepo(t, 'web')
    const alpha = await createLabel(t, 'alpha')
    expect(await listed(t)).toEqual([label('alpha')])
    other.prepare("UPDATE labels SET name = 'renamed elsewhere' WHERE id = ?").run(Number(alpha.id))
    expect(await listed(t)).toEqual([label('renamed elsewhere')])
    other.prepare('INSERT INTO repo_labels (label_id, repo_id, created_at) VALUES (?, ?, 0)').run(alpha.id, web)
    expect(await listed(t)).toEqual([label('renamed elsewhere', [web])])
    other.prepare("UPDATE labels SET license_policy = '{}' WHERE id = ?").run(Number(alpha.id))
    expect(await listed(t)).toEqual([label('renamed elsewhere', [web], { license: true })])
    other.prepare('DELETE FROM repos WHERE id = ?').run(Number(web))
    expect(await listed(t)).toEqual([label('renamed elsewhere', [], { license: true })])
    other.prepare('DELETE FROM labels WHERE id = ?').run(Number(alpha.id))
    expect(await listed(t)).toEqual([])
  })
})

describe('createResponseCache', () => {
  it('answers only the version an entry was made from', () => {
    const cache = createResponseCache({ maxChars: 100, maxEntryChars: 50 })
    cache.set('k', 'v1', 'body')
    expect(cache.get('k', 'v1')).toBe('body')
    expect(cache.get('k', 'v2')).toBeUndefined()
    expect(cache.get('k', 'v1')).toBeUndefined()
  })

  it('drops the least recently used entries past its size, and keeps no entry over the entry limit', () => {
    const cache = createResponseCache({ maxChars: 30, maxEntryChars: 20 })
    cache.set('a', 'v', 'x'.repeat(10))
    cache.set('b', 'v', 'y'.repeat(10))
    expect(cache.get('a', 'v')).toBe('x'.repeat(10))
    cache.set('c', 'v', 'z'.repeat(15))
    expect(cache.get('b', 'v')).toBeUndefined()
    expect(cache.get('a', 'v')).toBe('x'.repeat(10))
    expect(cache.get('c', 'v')).toBe('z'.repeat(15))
    cache.set('huge', 'v', 'h'.repeat(21))
    expect(cache.get('huge', 'v')).toBeUndefined()
    expect(cache.size).toBe(2)
  })

  it('counts keys in its size: requests with long URLs and small answers cannot grow it past its limit', () => {
    const cache = createResponseCache({ maxChars: 100, maxEntryChars: 60 })
    for (let i = 0; i < 10; i++) cache.set(`${i}${'k'.repeat(39)}`, 'v', '{}')
    expect(cache.size).toBe(2)
    cache.set('x'.repeat(59), 'v', '{}')
    expect(cache.get('x'.repeat(59), 'v')).toBeUndefined()
  })
})
