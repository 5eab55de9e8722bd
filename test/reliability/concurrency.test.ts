import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { issueToken, useTestApp } from '../helpers/app.js'
import { useFixture, useTempDir } from '../helpers/fixtures.js'
import { call } from '../helpers/http.js'
import { run, runCli } from '../helpers/process.js'
import { socketErrorProblem, tally } from './support.js'

/**
 * Concurrency against a real listening server on a database file: requests go over HTTP (fetch,
 * one connection each), so they are truly in flight together. better-sqlite3 is synchronous, so
 * one process runs their SQL one at a time; what these tests pin down is that the outcomes are
 * still exactly right — one winner, no duplicates, no overspent quota, no 500 — and that a
 * second process writing to the same file never surfaces SQLITE_BUSY to a client.
 */

const N = 50

describe('concurrency on a file database', () => {
  const dir = useTempDir('concurrency', { shared: true })
  const dbFile = () => dir.file('socket.db')
  const t = useTestApp(() => ({ engine: 'sqlite', config: { databasePath: dbFile() } }), { shared: true })
  const reader = useFixture(() => new Database(dbFile(), { readonly: true }), { shared: true })
  let origin: string

  beforeAll(async () => {
    ;({ origin } = await t.listen())
  })

  const api = (method: string, path: string, body?: unknown, token = t.token) =>
    call(origin, method, `/v0/orgs/acme${path}`, { token, ...(body === undefined ? {} : { body }) })
  const together = <T>(count: number, run: (i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: count }, (_, i) => run(i)))

  it('50 concurrent creates of one slug: exactly one 201, 49 × 409, one row', async () => {
    const responses = await together(N, () => api('POST', '/repos', { slug: 'race', description: 'x' }))
    expect(tally(responses.map((r) => r.status))).toEqual({ 201: 1, 409: N - 1 })
    for (const r of responses.filter((r) => r.status === 409)) {
      expect(r.json()).toEqual({
        error: { message: 'Repository "race" already exists', details: { slug: 'race', workspace: '' } },
      })
    }
    const rows = reader.prepare("SELECT id FROM repos WHERE slug = 'race'").all()
    expect(rows).toHaveLength(1)
  })

  it('50 concurrent creates with ?on_duplicate=redirect: one 201, 49 × 302 carrying the same id', async () => {
    const responses = await together(N, (i) =>
      api('POST', '/repos?on_duplicate=redirect', { slug: 'race-redirect', description: `attempt ${i}` }),
    )
    expect(tally(responses.map((r) => r.status))).toEqual({ 201: 1, 302: N - 1 })
    const winner = responses.find((r) => r.status === 201)?.json() as { id: string; description: string }
    for (const r of responses.filter((r) => r.status === 302)) {
      const body = r.json() as { id: string; description: string }
      expect(body.id).toBe(winner.id)
      // The existing repo, unchanged: a losing body is never applied.
      expect(body.description).toBe(winner.description)
      expect(r.headers.get('location')).toBe('/v0/orgs/acme/repos/race-redirect')
    }
    expect(reader.prepare("SELECT count(*) AS n FROM repos WHERE slug = 'race-redirect'").get()).toEqual({ n: 1 })
  })

  it('50 concurrent label creates of one name (in mixed case): one 201, 49 × 409', async () => {
    const spellings = ['Prod', 'prod', 'PROD', 'pRoD']
    const responses = await together(N, (i) => api('POST', '/repos/labels', { name: spellings[i % spellings.length] }))
    expect(tally(responses.map((r) => r.status))).toEqual({ 201: 1, 409: N - 1 })
    for (const r of responses.filter((r) => r.status === 409)) expect(socketErrorProblem(r.text)).toBeNull()
    expect(reader.prepare("SELECT count(*) AS n FROM labels WHERE lower(name) = 'prod'").get()).toEqual({ n: 1 })
  })

  it('50 concurrent associate/disassociate of one pair: all 200, never a duplicate, a consistent end state', async () => {
    const repo = (await api('POST', '/repos', { slug: 'pair-repo' })).json() as { id: string }
    const label = (await api('POST', '/repos/labels', { name: 'pair-label' })).json() as { id: string }
    const op = (kind: 'associate' | 'disassociate') =>
      api('POST', `/repos/labels/${label.id}/${kind}`, { repository_id: repo.id })
    const links = () =>
      reader.prepare('SELECT count(*) AS n FROM repo_labels WHERE label_id = ? AND repo_id = ?').get(label.id, repo.id)
    const repositoryIds = async () =>
      ((await api('GET', `/repos/labels/${label.id}`)).json() as { repository_ids: string[] }).repository_ids

    const associations = await together(N, () => op('associate'))
    expect(tally(associations.map((r) => r.status))).toEqual({ 200: N })
    expect(links()).toEqual({ n: 1 })
    expect(await repositoryIds()).toEqual([repo.id])

    const disassociations = await together(N, () => op('disassociate'))
    expect(tally(disassociations.map((r) => r.status))).toEqual({ 200: N })
    expect(links()).toEqual({ n: 0 })
    expect(await repositoryIds()).toEqual([])

    const mixed = await together(N, (i) => op(i % 2 === 0 ? 'associate' : 'disassociate'))
    expect(tally(mixed.map((r) => r.status))).toEqual({ 200: N })
    for (const r of [...associations, ...disassociations, ...mixed]) expect(r.json()).toEqual({ status: 'ok' })
    const finalIds = await repositoryIds()
    expect([[], [repo.id]]).toContainEqual(finalIds)
    expect(links()).toEqual({ n: finalIds.length })
    // Whatever the interleaving, the next operation decides the state.
    expect((await op('associate')).status).toBe(200)
    expect(await repositoryIds()).toEqual([repo.id])
  })

  it('a token with quota N hit by 3N concurrent requests: exactly N succeed, 2N are 429, /quota shows 0', async () => {
    const quota = 20
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: quota })
    const responses = await together(3 * quota, (i) => api('POST', '/repos', { slug: `quota-${i}` }, token))
    expect(tally(responses.map((r) => r.status))).toEqual({ 201: quota, 429: 2 * quota })
    for (const r of responses.filter((r) => r.status === 429)) {
      expect((r.json() as { error: { message: string } }).error.message).toBe('Insufficient quota for API route')
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    }
    // A refused request did nothing: exactly the N that were let through created a repo.
    expect(reader.prepare("SELECT count(*) AS n FROM repos WHERE slug LIKE 'quota-%'").get()).toEqual({ n: quota })
    const status = await call(origin, 'GET', '/v0/quota', { token })
    expect(status.status).toBe(200)
    expect(status.json()).toMatchObject({ quota: 0, maxQuota: quota })
  })

  it('a second process writing to the same file while the server takes a write load: no 500 (no SQLITE_BUSY)', async () => {
    await t.services.orgs.create({ slug: 'writer-org' })
    const repo = (await api('POST', '/repos', { slug: 'busy-repo' })).json() as { id: string }
    const label = (await api('POST', '/repos/labels', { name: 'busy-label' })).json() as { id: string }

    // Other processes: a tight writer for ~3 s, and the admin CLI creating orgs and tokens meanwhile.
    const writer = run('test/reliability/sqlite-writer.ts', [dbFile(), '3000', 'writer-org'], {})
    const cli = (async () => {
      const results = []
      for (let i = 0; i < 2; i++) {
        const env = { DATABASE_PATH: dbFile(), LOG_LEVEL: 'silent' }
        results.push(await runCli(['orgs', 'create', `cli-org-${i}`], env))
        results.push(await runCli(['tokens', 'create', '--org', `cli-org-${i}`, '--name', 'concurrent'], env))
      }
      return results
    })()

    let stop = false
    const failures: { request: string; status: number; body: string }[] = []
    const statuses: number[] = []
    const loop = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        const step = i % 6
        const [method, path, body]: [string, string, unknown] =
          step === 0
            ? ['POST', '/repos', { slug: `busy-${worker}-${i}` }]
            : step === 1
              ? ['POST', `/repos/busy-${worker}-${i - 1}`, { description: `updated ${i}` }]
              : step === 2
                ? ['POST', `/repos/labels/${label.id}/associate`, { repository_id: repo.id }]
                : step === 3
                  ? ['POST', `/repos/labels/${label.id}/disassociate`, { repository_id: repo.id }]
                  : step === 4
                    ? ['PUT', `/repos/labels/${label.id}/label-setting`, { issueRulesPolicyDefault: 'high' }]
                    : ['DELETE', `/repos/busy-${worker}-${i - 5}`, undefined]
        const response = await api(method, path, body)
        statuses.push(response.status)
        if (response.status >= 500)
          failures.push({ request: `${method} ${path}`, status: response.status, body: response.text })
      }
    }
    const load = Promise.all(Array.from({ length: 8 }, (_, worker) => loop(worker)))
    const [writerResult, cliResults] = await Promise.all([writer, cli])
    stop = true
    await load

    expect(writerResult.code, writerResult.stderr).toBe(0)
    expect(JSON.parse(writerResult.stdout).writes).toBeGreaterThan(0)
    for (const result of cliResults) expect(result.code, result.stderr).toBe(0)
    expect(statuses.length).toBeGreaterThan(50)
    const byRequest = tally(failures.map((f) => f.request.replace(/\d+/g, 'N')))
    expect(
      failures.slice(0, 3),
      `${failures.length} of ${statuses.length} requests answered 5xx: ${JSON.stringify(byRequest)}`,
    ).toEqual([])
    expect(reader.prepare("SELECT count(*) AS n FROM orgs WHERE slug LIKE 'cli-org-%'").get()).toEqual({ n: 2 })
    expect(reader.pragma('integrity_check', { simple: true })).toBe('ok')
  }, 60_000)
})
