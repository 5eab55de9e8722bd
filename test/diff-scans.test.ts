import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { diffScans } from '../src/services/scan-diff.js'
import { createTestApp, issueToken, openTestDb, type TestApp } from './helpers/app.js'
import { multipartBody } from './helpers/multipart.js'

const lockfile = (packages: Record<string, string>) =>
  JSON.stringify({
    name: 'app',
    lockfileVersion: 3,
    packages: {
      '': { name: 'app' },
      ...Object.fromEntries(Object.entries(packages).map(([name, version]) => [`node_modules/${name}`, { version }])),
    },
  })

/** The scan before: lodash 4.17.20, @types/node, left-pad; Django pinned, requests unpinned. */
const BEFORE = {
  'package-lock.json': lockfile({ lodash: '4.17.20', '@types/node': '20.0.0', 'left-pad': '1.3.0' }),
  'requirements.txt': 'Django==4.2.1\nrequests\n',
}
/** The scan after: lodash moved to 4.17.21, left-pad gone, fastapi new, requests in a second manifest too. */
const AFTER = {
  'package-lock.json': lockfile({ lodash: '4.17.21', '@types/node': '20.0.0' }),
  'requirements.txt': 'Django==4.2.1\nrequests\nfastapi==0.111.0\n',
  'service/requirements.txt': 'requests\n',
}

type Purl = { type: string; namespace?: string; name: string; version?: string }
const idOf = (p: Purl) =>
  `pkg:${p.type}/${p.namespace ? `${encodeURIComponent(p.namespace)}/` : ''}${p.name}${p.version ? `@${p.version}` : ''}`
const link = (p: Purl, files: string[]) => ({
  manifestFiles: files.map((file) => ({ file })),
  topLevelAncestors: [],
  artifact: { ...p, id: idOf(p) },
})
/** A package of a diff as this server writes it: its package URL, how it changed, where it was read; no alert. */
const artifact = (diffType: string, p: Purl, head: [Purl, string[]][], base: [Purl, string[]][]) => ({
  ...p,
  diffType,
  id: idOf(p),
  base: base.map(([q, files]) => link(q, files)),
  head: head.map(([q, files]) => link(q, files)),
  alerts: [],
})

const typesNode: Purl = { type: 'npm', namespace: '@types', name: 'node', version: '20.0.0' }
const leftPad: Purl = { type: 'npm', name: 'left-pad', version: '1.3.0' }
const lodashOld: Purl = { type: 'npm', name: 'lodash', version: '4.17.20' }
const lodashNew: Purl = { type: 'npm', name: 'lodash', version: '4.17.21' }
const django: Purl = { type: 'pypi', name: 'django', version: '4.2.1' }
const fastapi: Purl = { type: 'pypi', name: 'fastapi', version: '0.111.0' }
const requests: Purl = { type: 'pypi', name: 'requests' }

const EXPECTED_ARTIFACTS = {
  added: [artifact('added', fastapi, [[fastapi, ['requirements.txt']]], [])],
  removed: [artifact('removed', leftPad, [], [[leftPad, ['package-lock.json']]])],
  unchanged: [
    artifact('unchanged', typesNode, [[typesNode, ['package-lock.json']]], [[typesNode, ['package-lock.json']]]),
    artifact('unchanged', django, [[django, ['requirements.txt']]], [[django, ['requirements.txt']]]),
    artifact(
      'unchanged',
      requests,
      [[requests, ['requirements.txt', 'service/requirements.txt']]],
      [[requests, ['requirements.txt']]],
    ),
  ],
  replaced: [],
  updated: [artifact('updated', lodashNew, [[lodashNew, ['package-lock.json']]], [[lodashOld, ['package-lock.json']]])],
}

describe('diff scans', () => {
  let t: TestApp
  beforeEach(async () => {
    t = await createTestApp({ config: { dashboardBaseUrl: 'https://dash.example' } })
  })
  afterEach(() => t.close())

  async function createScan(
    files: Record<string, string>,
    query = 'repo=web&branch=main',
    org = 'acme',
    headers = t.auth(),
  ) {
    const body = multipartBody(files)
    const response = await t.app.inject({
      method: 'POST',
      url: `/v0/orgs/${org}/full-scans?${query}`,
      payload: body.payload,
      headers: { ...headers, ...body.headers },
    })
    expect(response.statusCode, response.body).toBe(201)
    return response.json() as { id: string; created_at: string; updated_at: string; repository_id: string }
  }
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string> = t.auth()) =>
    t.app.inject({ method, url, headers })
  const fromIds = (query: string, headers?: Record<string, string>) =>
    call('POST', `/v0/orgs/acme/diff-scans/from-ids?${query}`, headers)

  /** A full scan as a diff names it: the metadata fields of the spec's before/after object. */
  const summary = (scan: { id: string; created_at: string; updated_at: string; repository_id: string }) => ({
    id: scan.id,
    created_at: scan.created_at,
    updated_at: scan.updated_at,
    organization_id: t.org.id,
    organization_slug: 'acme',
    repository_id: scan.repository_id,
    repository_slug: 'web',
    branch: 'main',
    commit_message: null,
    commit_hash: null,
    pull_request: null,
    committers: [],
    html_url: `https://dash.example/dashboard/org/acme/sbom/${scan.id}`,
    api_url: null,
  })

  it('creates a diff scan of two scans of a repo (201) and answers its metadata as the spec says', async () => {
    const before = await createScan(BEFORE)
    const after = await createScan(AFTER)
    const created = await fromIds(
      `before=${before.id}&after=${after.id}&description=Socket+Security+CLI+v2.6.6+scan+comparison` +
        '&external_href=https%3A%2F%2Fgit.example%2Fpr%2F7&merge=true',
    )
    expect(created.statusCode, created.body).toBe(201)
    const body = created.json()
    expect(body.diff_scan.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(body).toEqual({
      diff_scan: {
        id: body.diff_scan.id,
        organization_id: t.org.id,
        repository_id: before.repository_id,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updated_at: body.diff_scan.created_at,
        before_full_scan: summary(before),
        after_full_scan: summary(after),
        description: 'Socket Security CLI v2.6.6 scan comparison',
        external_href: 'https://git.example/pr/7',
        merge: true,
        html_url: `https://dash.example/dashboard/org/acme/diff/${before.id}/${after.id}`,
        api_url: `http://localhost/v0/orgs/acme/diff-scans/${body.diff_scan.id}`,
      },
    })

    // Stored: listed, and read back with its diff.
    const list = (await call('GET', '/v0/orgs/acme/diff-scans')).json()
    expect(list).toEqual({
      results: [
        {
          id: body.diff_scan.id,
          organization_id: t.org.id,
          repository_id: before.repository_id,
          created_at: body.diff_scan.created_at,
          updated_at: body.diff_scan.updated_at,
          before_full_scan_id: before.id,
          after_full_scan_id: after.id,
          description: 'Socket Security CLI v2.6.6 scan comparison',
          external_href: 'https://git.example/pr/7',
          merge: true,
          html_url: body.diff_scan.html_url,
          api_url: body.diff_scan.api_url,
        },
      ],
      next_page_href: null,
      next_cursor: null,
    })
  })

  it('answers the diff from the two scans’ packages: added, removed, unchanged, updated; never replaced, never an alert', async () => {
    const before = await createScan(BEFORE)
    const after = await createScan(AFTER)
    const { diff_scan: created } = (await fromIds(`before=${before.id}&after=${after.id}`)).json()

    const read = await call('GET', `/v0/orgs/acme/diff-scans/${created.id}`)
    expect(read.statusCode).toBe(200)
    expect(read.json()).toEqual({
      diff_scan: {
        ...created,
        description: null,
        external_href: null,
        merge: false,
        incomplete: false,
        artifacts: EXPECTED_ARTIFACTS,
      },
    })

    // The Python scanner's poll: cached=true is answered at once (200, never 202); omit_unchanged nulls `unchanged`.
    const polled = await call('GET', `/v0/orgs/acme/diff-scans/${created.id}?cached=true&omit_unchanged=true`)
    expect(polled.statusCode).toBe(200)
    expect(polled.json().diff_scan.artifacts).toEqual({ ...EXPECTED_ARTIFACTS, unchanged: null })
    // Licence details are never part of the answer, so omit_license_details changes nothing; an upper-case id is the same UUID.
    const upper = await call('GET', `/v0/orgs/acme/diff-scans/${created.id.toUpperCase()}?omit_license_details=true`)
    expect(upper.json()).toEqual(read.json())
  })

  it('links to itself as the caller addressed the server, or relatively without a usable Host', async () => {
    const before = await createScan(BEFORE)
    const after = await createScan(AFTER)
    const { id } = (await fromIds(`before=${before.id}&after=${after.id}`)).json().diff_scan
    const read = (host: string) =>
      t.app.inject({ method: 'GET', url: `/v0/orgs/acme/diff-scans/${id}`, headers: { ...t.auth(), host } })
    expect((await read('api.example:3443')).json().diff_scan.api_url).toBe(
      `http://api.example:3443/v0/orgs/acme/diff-scans/${id}`,
    )
    const bad = await read('not a host')
    expect(bad.statusCode).toBe(200)
    expect(bad.json().diff_scan.api_url).toBe(`/v0/orgs/acme/diff-scans/${id}`)
  })

  it('answers the older full-scans/diff from the same comparison, storing nothing', async () => {
    const before = await createScan(BEFORE)
    const after = await createScan(AFTER)
    const diff = await call(
      'GET',
      `/v0/orgs/acme/full-scans/diff?before=${before.id}&after=${after.id}&include_license_details=false`,
    )
    expect(diff.statusCode).toBe(200)
    expect(diff.json()).toEqual({
      before: summary(before),
      after: summary(after),
      artifacts: EXPECTED_ARTIFACTS,
      directDependenciesChanged: false,
      diff_report_url: `https://dash.example/dashboard/org/acme/diff/${before.id}/${after.id}`,
    })
    const omitted = await call(
      'GET',
      `/v0/orgs/acme/full-scans/diff?before=${before.id}&after=${after.id}&omit_unchanged=true`,
    )
    expect(omitted.json().artifacts.unchanged).toBeNull()
    expect((await call('GET', '/v0/orgs/acme/diff-scans')).json().results).toEqual([])
    // A scan against itself: everything unchanged.
    const same = (await call('GET', `/v0/orgs/acme/full-scans/diff?before=${after.id}&after=${after.id}`)).json()
    expect(same.artifacts).toMatchObject({ added: [], removed: [], replaced: [], updated: [] })
    expect(same.artifacts.unchanged).toHaveLength(5)
  })

  it('refuses a second diff scan of the same two scans (409), or answers the first with a 302 on_duplicate=redirect', async () => {
    const before = await createScan(BEFORE)
    const after = await createScan(AFTER)
    const first = await fromIds(`before=${before.id}&after=${after.id}`)
    const id = first.json().diff_scan.id
    const again = await fromIds(`before=${before.id}&after=${after.id}&description=again`)
    expect(again.statusCode).toBe(409)
    expect(again.json()).toEqual({
      error: { message: 'A diff scan of these two full scans already exists', details: { id } },
    })
    const redirected = await fromIds(`before=${before.id}&after=${after.id}&on_duplicate=redirect`)
    expect(redirected.statusCode).toBe(302)
    expect(redirected.headers.location).toBe(`/v0/orgs/acme/diff-scans/${id}`)
    expect(redirected.json()).toEqual(first.json())
    // The reverse pair is another comparison.
    const reverse = await fromIds(`before=${after.id}&after=${before.id}`)
    expect(reverse.statusCode).toBe(201)
    expect(reverse.json().diff_scan.id).not.toBe(id)
    // The Python scanner resolves a 409 by listing with both ids.
    const found = await call(
      'GET',
      `/v0/orgs/acme/diff-scans?before_full_scan_id=${before.id}&after_full_scan_id=${after.id}&per_page=1`,
    )
    expect(found.json().results.map((d: { id: string }) => d.id)).toEqual([id])
  })

  it('answers 400 for a missing or empty before/after and for scans of two repos, 404 for unknown scans', async () => {
    const before = await createScan(BEFORE)
    const other = await createScan(AFTER, 'repo=api&branch=main')
    for (const query of [`before=${before.id}`, `after=${before.id}`, '', `before=&after=${before.id}`]) {
      const created = await fromIds(query)
      expect(created.statusCode, query).toBe(400)
      expect(created.json().error.message).toEqual(expect.any(String))
      const diff = await call('GET', `/v0/orgs/acme/full-scans/diff?${query}`)
      expect(diff.statusCode, query).toBe(400)
    }
    const mixed = await fromIds(`before=${before.id}&after=${other.id}`)
    expect(mixed.statusCode).toBe(400)
    expect(mixed.json()).toEqual({
      error: {
        message: 'The full scans must be in the same repository',
        details: { before: before.id, after: other.id },
      },
    })
    // U+0000 in a description: PostgreSQL text cannot hold it (a 500 there); refused on both engines.
    const after = await createScan(AFTER)
    const nul = await fromIds(`before=${before.id}&after=${after.id}&description=a%00b`)
    expect(nul.statusCode, nul.body).toBe(400)
    expect(nul.json().error.message).toMatch(/description/)
    for (const unknown of ['999', 'nope']) {
      const created = await fromIds(`before=${before.id}&after=${unknown}`)
      expect(created.statusCode).toBe(404)
      expect(created.json()).toEqual({ error: { message: 'Full scan not found', details: { id: unknown } } })
      const diff = await call('GET', `/v0/orgs/acme/full-scans/diff?before=${unknown}&after=${before.id}`)
      expect(diff.statusCode).toBe(404)
      expect(diff.json()).toEqual({ error: { message: 'Full scan not found', details: { id: unknown } } })
    }
    expect((await call('GET', '/v0/orgs/acme/diff-scans')).json().results).toEqual([])
  })

  it('keeps orgs apart: another org’s scans and diff scans are 404s', async () => {
    await t.services.orgs.create({ slug: 'other', name: 'Other' })
    const otherToken = await issueToken(t.services, { orgSlug: 'other' })
    const theirs = [
      await createScan(BEFORE, 'repo=web&branch=main', 'other', t.auth(otherToken)),
      await createScan(AFTER, 'repo=web&branch=main', 'other', t.auth(otherToken)),
    ]
    const theirDiff = (
      await call(
        'POST',
        `/v0/orgs/other/diff-scans/from-ids?before=${theirs[0]?.id}&after=${theirs[1]?.id}`,
        t.auth(otherToken),
      )
    ).json().diff_scan
    const mine = await createScan(BEFORE)

    expect((await fromIds(`before=${theirs[0]?.id}&after=${theirs[1]?.id}`)).statusCode).toBe(404)
    expect((await fromIds(`before=${mine.id}&after=${theirs[1]?.id}`)).statusCode).toBe(404)
    expect(
      (await call('GET', `/v0/orgs/acme/full-scans/diff?before=${theirs[0]?.id}&after=${theirs[1]?.id}`)).statusCode,
    ).toBe(404)
    for (const method of ['GET', 'DELETE'] as const) {
      const response = await call(method, `/v0/orgs/acme/diff-scans/${theirDiff.id}`)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual({ error: { message: 'Diff scan not found', details: { id: theirDiff.id } } })
    }
    expect((await call('GET', `/v0/orgs/acme/diff-scans?before_full_scan_id=${theirs[0]?.id}`)).statusCode).toBe(404)
    expect((await call('GET', '/v0/orgs/acme/diff-scans')).json().results).toEqual([])
    // Still theirs.
    expect((await call('GET', `/v0/orgs/other/diff-scans/${theirDiff.id}`, t.auth(otherToken))).statusCode).toBe(200)
  })

  it('answers 400 for an id that is not a UUID, 404 for an unknown one, and deletes (200) once', async () => {
    const before = await createScan(BEFORE)
    const after = await createScan(AFTER)
    const { id } = (await fromIds(`before=${before.id}&after=${after.id}`)).json().diff_scan
    for (const method of ['GET', 'DELETE'] as const) {
      const malformed = await call(method, '/v0/orgs/acme/diff-scans/not-a-uuid')
      expect(malformed.statusCode).toBe(400)
      expect(malformed.json().error.message).toEqual(expect.any(String))
      const unknown = await call(method, '/v0/orgs/acme/diff-scans/00000000-0000-4000-8000-000000000000')
      expect(unknown.statusCode).toBe(404)
    }
    const deleted = await call('DELETE', `/v0/orgs/acme/diff-scans/${id}`)
    expect(deleted.statusCode).toBe(200)
    expect(deleted.json()).toEqual({ status: 'ok' })
    expect((await call('DELETE', `/v0/orgs/acme/diff-scans/${id}`)).statusCode).toBe(404)
    expect((await call('GET', `/v0/orgs/acme/diff-scans/${id}`)).statusCode).toBe(404)
    // The scans stay.
    expect((await call('GET', `/v0/orgs/acme/full-scans/${after.id}/metadata`)).statusCode).toBe(200)
  })

  it('goes with either of its scans, and with their repo', async () => {
    const base = await createScan(BEFORE)
    const head = await createScan(AFTER)
    const next = await createScan(BEFORE)
    const first = (await fromIds(`before=${base.id}&after=${head.id}`)).json().diff_scan.id
    const second = (await fromIds(`before=${head.id}&after=${next.id}`)).json().diff_scan.id
    expect((await call('DELETE', `/v0/orgs/acme/full-scans/${base.id}`)).statusCode).toBe(200)
    expect((await call('GET', `/v0/orgs/acme/diff-scans/${first}`)).statusCode).toBe(404)
    expect((await call('GET', `/v0/orgs/acme/diff-scans/${second}`)).statusCode).toBe(200)
    expect((await call('DELETE', '/v0/orgs/acme/repos/web')).statusCode).toBe(200)
    expect((await call('GET', `/v0/orgs/acme/diff-scans/${second}`)).statusCode).toBe(404)
    expect((await call('GET', '/v0/orgs/acme/diff-scans')).json().results).toEqual([])
  })

  it('lists with filters, both sorts and a cursor, and answers 400 for a bad cursor or page size, 404 for a filter naming nothing', async () => {
    // One instant for everything: ties on the time are broken by creation order (the ids are random).
    await t.close()
    t = await createTestApp({ config: { dashboardBaseUrl: 'https://dash.example' }, now: () => Date.UTC(2026, 0, 1) })
    const scans = [await createScan(BEFORE), await createScan(AFTER), await createScan(BEFORE)]
    const other = await createScan(AFTER, 'repo=api&branch=main')
    const otherBase = await createScan(BEFORE, 'repo=api&branch=main')
    const ids: string[] = []
    for (const [before, after] of [
      [scans[0], scans[1]],
      [scans[1], scans[2]],
      [otherBase, other],
    ]) {
      ids.push((await fromIds(`before=${before?.id}&after=${after?.id}`)).json().diff_scan.id)
    }
    const list = async (query: string) => (await call('GET', `/v0/orgs/acme/diff-scans?${query}`)).json()
    const idsOf = (page: { results: { id: string }[] }) => page.results.map((d) => d.id)
    expect(idsOf(await list(''))).toEqual([...ids].reverse())
    expect(idsOf(await list('sort=updated_at&direction=asc'))).toEqual(ids)
    expect(idsOf(await list(`repository_id=${other.repository_id}`))).toEqual([ids[2]])
    expect(idsOf(await list(`after_full_scan_id=${scans[2]?.id}`))).toEqual([ids[1]])

    const first = await list('per_page=2&direction=asc')
    expect(idsOf(first)).toEqual(ids.slice(0, 2))
    expect(first.next_cursor).toEqual(expect.any(String))
    expect(first.next_page_href).toBe(
      `http://localhost/v0/orgs/acme/diff-scans?per_page=2&direction=asc&cursor=${first.next_cursor}`,
    )
    const second = (
      await call('GET', new URL(first.next_page_href).pathname + new URL(first.next_page_href).search)
    ).json()
    expect(idsOf(second)).toEqual([ids[2]])
    expect(second).toMatchObject({ next_cursor: null, next_page_href: null })

    for (const query of ['cursor=bogus', 'per_page=0', 'per_page=101', 'sort=name', 'direction=up']) {
      const response = await call('GET', `/v0/orgs/acme/diff-scans?${query}`)
      expect(response.statusCode, query).toBe(400)
    }
    for (const query of ['repository_id=999', 'before_full_scan_id=999', 'after_full_scan_id=x']) {
      const response = await call('GET', `/v0/orgs/acme/diff-scans?${query}`)
      expect(response.statusCode, query).toBe(404)
    }
  })

  it('answers 401, and 403 for another org, a missing scope or a quota below the cost, and 429 once the window is spent, on each operation', async () => {
    const before = await createScan(BEFORE)
    const after = await createScan(AFTER)
    const { id } = (await fromIds(`before=${before.id}&after=${after.id}`)).json().diff_scan
    const fullScansOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['full-scans'] })
    const spent = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 0 })
    await t.services.orgs.create({ slug: 'other', name: 'Other' })
    const operations: [string, string, string[]][] = [
      [
        'POST',
        `/v0/orgs/{org}/diff-scans/from-ids?before=${before.id}&after=${after.id}&on_duplicate=redirect`,
        ['diff-scans:create', 'full-scans:list'],
      ],
      ['GET', `/v0/orgs/{org}/diff-scans/${id}`, ['diff-scans:list']],
      ['GET', '/v0/orgs/{org}/diff-scans', ['diff-scans:list']],
      ['GET', `/v0/orgs/{org}/full-scans/diff?before=${before.id}&after=${after.id}`, ['full-scans:list']],
      ['DELETE', `/v0/orgs/{org}/diff-scans/${id}`, ['diff-scans:delete']],
    ]
    for (const [method, path, scopes] of operations) {
      const what = `${method} ${path}`
      const request = (headers: Record<string, string>, org = 'acme') =>
        t.app.inject({ method: method as 'GET', url: path.replace('{org}', org), headers })
      expect((await request({})).statusCode, what).toBe(401)
      expect((await request(t.auth(), 'other')).statusCode, what).toBe(403)
      const scoped = await request(t.auth(fullScansOnly))
      if (scopes.some((scope) => scope.startsWith('diff-scans'))) {
        expect(scoped.statusCode, what).toBe(403)
        expect(scoped.json()).toEqual({
          error: { message: 'Insufficient permissions for API method', details: { requiredScopes: scopes } },
        })
      } else expect(scoped.statusCode, what).toBe(200)
      expect((await request(t.auth(spent))).statusCode, what).toBe(403)
      const once = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
      await request(t.auth(once))
      const limited = await request(t.auth(once))
      expect(limited.statusCode, what).toBe(429)
      expect(limited.headers['retry-after']).toBeDefined()
    }
  })
})

describe('diff scans on disk and in fixtures', () => {
  async function scanPair(t: TestApp) {
    const ids: string[] = []
    for (const files of [BEFORE, AFTER]) {
      const body = multipartBody(files)
      const response = await t.app.inject({
        method: 'POST',
        url: '/v0/orgs/acme/full-scans?repo=web&branch=main',
        payload: body.payload,
        headers: { ...t.auth(), ...body.headers },
      })
      ids.push(response.json().id)
    }
    const created = await t.app.inject({
      method: 'POST',
      url: `/v0/orgs/acme/diff-scans/from-ids?before=${ids[0]}&after=${ids[1]}&description=kept`,
      headers: t.auth(),
    })
    return created.json().diff_scan.id as string
  }
  const read = (t: TestApp, id: string) =>
    t.app.inject({ method: 'GET', url: `/v0/orgs/acme/diff-scans/${id}`, headers: t.auth() })

  it('go with their org', async () => {
    const db = openTestDb({ path: ':memory:' })
    const t = await createTestApp({ db })
    onTestFinished(async () => {
      await t.close()
      db.db.$client.close()
    })
    await scanPair(t)
    const count = () => (db.db.$client.prepare('SELECT count(*) AS n FROM diff_scans').get() as { n: number }).n
    expect(count()).toBe(1)
    await t.services.orgs.delete('acme')
    expect(count()).toBe(0)
  })

  it('survive a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srs-diffs-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const config = { databasePath: join(dir, 'db.sqlite') }
    const first = await createTestApp({ config })
    const id = await scanPair(first)
    const answer = (await read(first, id)).json()
    await first.close()
    const second = await createTestApp({ config })
    onTestFinished(() => second.close())
    const again = await read(second, id)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(answer)
    expect(answer.diff_scan.artifacts).toEqual(EXPECTED_ARTIFACTS)
  })

  it('are exported and imported with their ids, and a fixture naming scans of two repos or none is refused whole', async () => {
    const source = await createTestApp()
    onTestFinished(() => source.close())
    const id = await scanPair(source)
    const exported = await source.services.state.export()
    const acme = exported.orgs.find((org) => org.slug === 'acme')
    expect(acme?.diff_scans).toEqual([
      {
        id,
        before_full_scan_id: '1',
        after_full_scan_id: '2',
        description: 'kept',
        external_href: null,
        merge: false,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ])

    const target = await createTestApp({ orgSlug: 'elsewhere' })
    onTestFinished(() => target.close())
    expect(await target.services.state.import(exported)).toMatchObject({ full_scans: 2, diff_scans: 1 })
    expect(await target.services.state.export()).toEqual(exported)
    const token = await issueToken(target.services, { orgSlug: 'acme' })
    const imported = await target.app.inject({
      method: 'GET',
      url: `/v0/orgs/acme/diff-scans/${id}`,
      headers: target.auth(token),
    })
    expect(imported.statusCode).toBe(200)
    expect(imported.json()).toEqual((await read(source, id)).json())

    const fixture = (diffScan: Record<string, unknown>) => ({
      orgs: [
        {
          slug: 'fixed',
          repos: [{ slug: 'a' }, { slug: 'b' }],
          full_scans: [
            { id: '101', repository: 'a' },
            { id: '102', repository: 'a' },
            { id: '103', repository: 'b' },
          ],
          diff_scans: [diffScan],
        },
      ],
    })
    await expect(
      target.services.state.seed(fixture({ before_full_scan_id: '101', after_full_scan_id: '103' })),
    ).rejects.toThrow(/diff scan .*different repos/)
    await expect(
      target.services.state.seed(fixture({ before_full_scan_id: '101', after_full_scan_id: '999' })),
    ).rejects.toThrow(/names full scan "999"/)
    expect(await target.services.orgs.findBySlug('fixed')).toBeUndefined()
    expect(
      await target.services.state.seed(fixture({ before_full_scan_id: '101', after_full_scan_id: '102' })),
    ).toMatchObject({ full_scans: 3, diff_scans: 1 })
  })
})

describe('the comparison of two scans’ packages', () => {
  const npm = (name: string, version: string | null, manifest = 'yarn.lock') => ({
    type: 'npm',
    name,
    version,
    manifest,
  })
  const summarise = (before: ReturnType<typeof npm>[], after: ReturnType<typeof npm>[]) => {
    const diff = diffScans(before, after)
    const kinds = ['added', 'removed', 'unchanged', 'replaced', 'updated'] as const
    return Object.fromEntries(
      kinds.map((kind) => [
        kind,
        diff[kind].map((e) => `${e.package.name}@${e.package.version}<-${e.base.map((b) => b.version).join('|')}`),
      ]),
    )
  }

  it('pairs versions by package: kept ones are unchanged, new ones updated from every version that went', () => {
    expect(summarise([npm('a', '1'), npm('a', '2')], [npm('a', '2'), npm('a', '3')])).toEqual({
      added: [],
      removed: [],
      unchanged: ['a@2<-2'],
      replaced: [],
      updated: ['a@3<-1'],
    })
    expect(summarise([npm('a', '1')], [npm('a', '2'), npm('a', '3')]).updated).toEqual(['a@2<-1', 'a@3<-1'])
    // A version only added beside one kept is an addition; one only dropped beside one kept a removal.
    expect(summarise([npm('a', '1')], [npm('a', '1'), npm('a', '2')])).toMatchObject({ added: ['a@2<-'], updated: [] })
    expect(summarise([npm('a', '1'), npm('a', '2')], [npm('a', '1')])).toMatchObject({ removed: ['a@2<-2'] })
    // The same name in two ecosystems is two packages; a package in two manifests is one.
    const pypi = { type: 'pypi', name: 'a', version: '1', manifest: 'requirements.txt' }
    expect(summarise([npm('a', '1')], [pypi as ReturnType<typeof npm>])).toMatchObject({
      added: ['a@1<-'],
      removed: ['a@1<-1'],
    })
    const twice = diffScans([npm('a', '1')], [npm('a', '1', 'x/yarn.lock'), npm('a', '1')])
    expect(twice.unchanged.map((e) => e.head[0]?.manifests)).toEqual([['x/yarn.lock', 'yarn.lock']])
  })
})
