import { setTimeout as pause } from 'node:timers/promises'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { socketErrorProblem, tally } from '../reliability/support.js'
import {
  ADMIN_SECRET,
  type Answer,
  adminCli,
  type Cluster,
  committedMigrations,
  type Instance,
  postgresControl,
  quotaCost,
  startCluster,
  startTcpProxy,
  type TcpProxy,
  viaPort,
} from './cluster.js'

/**
 * Issue 14, point 2 and 3: three server processes on ONE PostgreSQL schema are one service. Every
 * test starts its own three instances at once on a fresh schema (src/ compiled once for the run)
 * and talks to them over real HTTP; stored state is read with SQL on the schema.
 */

const TOKEN = 'sktsec_scale_suite_token_0123456789'
const ORG = 'acme'

/** What every instance gets: one org and a fixed all-scopes token, the admin API, quota out of the way. */
const baseEnv = {
  BOOTSTRAP_ORG_SLUG: ORG,
  BOOTSTRAP_TOKEN: TOKEN,
  ADMIN_SECRET,
  QUOTA_DEFAULT_MAX: '1000000',
}

const ok = (answer: Answer, status = 200) => expect(answer.status, answer.text).toBe(status)

interface Listed {
  results: Array<Record<string, unknown> & { slug?: string; name?: string; id: string }>
  nextPage: number | null
}

async function list(instance: Instance, path: string, token = TOKEN): Promise<Listed> {
  const answer = await instance.api('GET', path, token)
  ok(answer)
  return answer.json() as Listed
}

const slugsOf = (listed: Listed) => listed.results.map((repo) => repo.slug)
const namesOf = (listed: Listed) => listed.results.map((label) => label.name)

/** A Socket error answer: the status, the body's exact shape, and its message. */
function expectSocketError(answer: Answer, status: number, message: string | RegExp) {
  expect(answer.status, answer.text).toBe(status)
  expect(socketErrorProblem(answer.text)).toBeNull()
  const body = answer.json() as { error: { message: string } }
  if (typeof message === 'string') expect(body.error.message).toBe(message)
  else expect(body.error.message).toMatch(message)
}

/** Spreads `count` requests round-robin over the instances, all at once. */
function spread<T>(cluster: Cluster, count: number, send: (instance: Instance, i: number) => Promise<T>) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => send(cluster.instances[i % cluster.instances.length] as Instance, i)),
  )
}

async function expectAllReady(cluster: Cluster) {
  for (const instance of cluster.instances) {
    const ready = await instance.send('GET', '/ready')
    ok(ready)
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: true, migrations: true } })
  }
}

/**
 * Steady writes and reads on every instance of `cluster`, PostgreSQL taken away by `outage.cut()`
 * for about 3 s and given back by `outage.restore()`: every answer is a success or a 503 in Socket's
 * shape with Retry-After (never a 500, a network error or an answer slower than `longest`), /ready
 * is 503 meanwhile, the instances recover without a restart, and every acknowledged write is stored.
 */
async function underOutage(
  cluster: Cluster,
  outage: { cut: () => Promise<void>; restore: () => Promise<void> },
  longest: number,
): Promise<void> {
  await expectAllReady(cluster)

  type Phase = 'before' | 'cut' | 'after'
  let phase: Phase = 'before'
  interface Outcome {
    instance: string
    kind: 'create' | 'list' | 'get' | 'ready'
    phase: Phase
    status: number | 'timeout' | 'network'
    startedAt: number
    endedAt: number
    ms: number
    text: string
    retryAfter: string | null
    slug?: string
  }
  const outcomes: Outcome[] = []
  const attempted = new Set<string>()
  const acknowledged = new Set<string>()
  let running = true
  const record = async (instance: Instance, kind: Outcome['kind'], send: () => Promise<Answer>, slug?: string) => {
    const at = phase
    const started = Date.now()
    try {
      const answer = await send()
      outcomes.push({
        instance: instance.name,
        kind,
        phase: at,
        status: answer.status,
        startedAt: started,
        endedAt: Date.now(),
        ms: answer.ms,
        text: answer.text,
        retryAfter: answer.headers.get('retry-after'),
        ...(slug === undefined ? {} : { slug }),
      })
      return answer
    } catch (error) {
      const status = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network'
      outcomes.push({
        instance: instance.name,
        kind,
        phase: at,
        status,
        startedAt: started,
        endedAt: Date.now(),
        ms: Date.now() - started,
        text: String(error),
        retryAfter: null,
      })
      return undefined
    }
  }
  let n = 0
  const writer = async (instance: Instance) => {
    while (running) {
      const slug = `o-${instance.name.toLowerCase()}-${++n}`
      attempted.add(slug)
      const answer = await record(
        instance,
        'create',
        () => instance.api('POST', `/orgs/${ORG}/repos`, TOKEN, { name: slug }, longest + 5000),
        slug,
      )
      if (answer?.status === 201) acknowledged.add(slug)
      await pause(20)
    }
  }
  const reader = async (instance: Instance) => {
    while (running) {
      await record(instance, 'list', () =>
        instance.api('GET', `/orgs/${ORG}/repos?per_page=5`, TOKEN, undefined, longest + 5000),
      )
      const known = [...acknowledged].at(-1)
      if (known) {
        await record(instance, 'get', () =>
          instance.api('GET', `/orgs/${ORG}/repos/${known}`, TOKEN, undefined, longest + 5000),
        )
      }
      await record(instance, 'ready', () => instance.send('GET', '/ready', { timeoutMs: longest + 5000 }))
      await pause(20)
    }
  }
  const loops = cluster.instances.flatMap((instance) => [writer(instance), reader(instance)])
  const stop = async () => {
    running = false
    await Promise.all(loops)
  }
  onTestFinished(stop)
  const succeeded = (p: Phase, instance: string, kind: Outcome['kind']) =>
    outcomes.filter(
      (o) =>
        o.phase === p && o.instance === instance && o.kind === kind && o.status === 200 + (kind === 'create' ? 1 : 0),
    ).length

  // Steady load first.
  await vi.waitFor(
    () => {
      for (const instance of cluster.instances) {
        expect(succeeded('before', instance.name, 'create')).toBeGreaterThanOrEqual(3)
        expect(succeeded('before', instance.name, 'list')).toBeGreaterThanOrEqual(3)
      }
    },
    { timeout: 20_000, interval: 20 },
  )

  // PostgreSQL gone for ~3 s.
  phase = 'cut'
  const cutStartedAt = Date.now()
  await outage.cut()
  const cutAt = Date.now()
  // While cut, every instance says it is not ready.
  await vi.waitFor(
    () => {
      for (const instance of cluster.instances) {
        const unready = outcomes.filter((o) => o.phase === 'cut' && o.instance === instance.name && o.kind === 'ready')
        expect(unready.some((o) => o.status === 503)).toBe(true)
      }
    },
    { timeout: 10_000, interval: 20 },
  )
  const readyWhileCut = await Promise.all(cluster.instances.map((instance) => instance.send('GET', '/ready')))
  for (const answer of readyWhileCut) {
    expectSocketError(answer, 503, 'Not ready')
    expect(answer.json()).toEqual({
      error: { message: 'Not ready', details: { database: false, migrations: false } },
    })
  }
  await pause(Math.max(0, 3000 - (Date.now() - cutAt)))
  await outage.restore()
  phase = 'after'

  // The instances recover without a restart: ready, and requests succeed again.
  await vi.waitFor(
    () => {
      for (const instance of cluster.instances) {
        expect(succeeded('after', instance.name, 'ready')).toBeGreaterThanOrEqual(1)
        expect(succeeded('after', instance.name, 'create')).toBeGreaterThanOrEqual(3)
        expect(succeeded('after', instance.name, 'list')).toBeGreaterThanOrEqual(3)
      }
    },
    { timeout: 20_000, interval: 20 },
  )
  await stop()
  await expectAllReady(cluster)
  for (const instance of cluster.instances) expect(instance.server.child.exitCode).toBeNull()

  // Every answer: a success, or a 503 in Socket's shape with Retry-After — never a 500, a
  // network error or an answer slower than the statement timeout allows.
  const statuses = tally(outcomes.map((o) => `${o.kind} ${o.status}`))
  const unexpected = outcomes.filter((o) => ![200, 201, 503].includes(o.status as number))
  expect(unexpected, JSON.stringify(statuses)).toEqual([])
  const unavailable = outcomes.filter((o) => o.status === 503)
  expect(unavailable.length, JSON.stringify(statuses)).toBeGreaterThan(0)
  for (const o of unavailable) {
    expect(socketErrorProblem(o.text), o.text).toBeNull()
    if (o.kind !== 'ready') {
      expect(o.retryAfter, o.text).toMatch(/^\d+$/)
      expect(JSON.parse(o.text)).toEqual({
        error: { message: 'Service temporarily unavailable, retry shortly', details: null },
      })
    }
  }
  // Answers during the cut for the API (not only /ready) prove the window was under load.
  expect(unavailable.filter((o) => o.kind !== 'ready').length, JSON.stringify(statuses)).toBeGreaterThan(0)
  const slowest = outcomes.reduce((max, o) => Math.max(max, o.ms), 0)
  expect(slowest, JSON.stringify(outcomes.filter((o) => o.ms > longest))).toBeLessThanOrEqual(longest)
  // Before the cut everything succeeded; after an instance's first success past the restore, so
  // does everything it answers (its pool replaced the cut connections).
  const success = (o: Outcome) => o.status === 200 || o.status === 201
  expect(outcomes.filter((o) => o.endedAt < cutStartedAt && !success(o))).toEqual([])
  for (const instance of cluster.instances) {
    const recovered = outcomes
      .filter((o) => o.phase === 'after' && o.instance === instance.name && success(o))
      .reduce((first, o) => Math.min(first, o.endedAt), Number.POSITIVE_INFINITY)
    expect(
      outcomes.filter((o) => o.instance === instance.name && o.startedAt > recovered && !success(o)),
      `${instance.name} after it recovered`,
    ).toEqual([])
  }

  // No acknowledged write is lost; nothing was stored that was not asked for.
  const stored = new Set(
    (await cluster.sql.query<{ slug: string }>('SELECT slug FROM repos')).rows.map((row) => row.slug),
  )
  expect([...acknowledged].filter((slug) => !stored.has(slug))).toEqual([])
  expect([...stored].filter((slug) => !attempted.has(slug))).toEqual([])
  for (const instance of cluster.instances) {
    const all = await list(instance, `/orgs/${ORG}/repos?per_page=100`)
    const listed = new Set(slugsOf(all))
    const pages: string[] = [...listed] as string[]
    for (let page = 2; listed.size < stored.size && page < 20; page++) {
      const more = await list(instance, `/orgs/${ORG}/repos?per_page=100&page=${page}`)
      for (const slug of slugsOf(more)) if (slug) pages.push(slug)
      if (more.nextPage === null) break
    }
    expect(new Set(pages)).toEqual(stored)
  }
}

describe('three instances on one PostgreSQL schema', () => {
  it('start-up race: all ready, migrations applied once, one first-run token printed', async () => {
    // BOOTSTRAP on (the default) without BOOTSTRAP_TOKEN: a first run prints a generated token.
    const cluster = await startCluster({ BOOTSTRAP_ORG_SLUG: 'race', ADMIN_SECRET })
    await expectAllReady(cluster)

    const { rows } = await cluster.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${cluster.schema}".__drizzle_migrations`,
    )
    expect(rows[0]?.n).toBe(committedMigrations())

    const printers = cluster.instances.filter((instance) => instance.server.output().includes('first run'))
    expect(
      printers.map((instance) => instance.name),
      'instances that printed a first-run block',
    ).toHaveLength(1)
    const printed = /org:\s+(\S+)\n\s+token: (sktsec_\w+)/.exec(printers[0]?.server.output() ?? '')
    expect(printed?.[1]).toBe('race')
    const token = printed?.[2] ?? ''
    const stored = await cluster.sql.query<{ orgs: number; tokens: number }>(
      'SELECT (SELECT count(*)::int FROM orgs) AS orgs, (SELECT count(*)::int FROM tokens) AS tokens',
    )
    expect(stored.rows[0]).toEqual({ orgs: 1, tokens: 1 })
    // The printed token works through every instance.
    for (const instance of cluster.instances) {
      expect(await list(instance, '/orgs/race/repos', token)).toEqual({ results: [], nextPage: null })
    }
  })

  it('quota: never overspent across instances, /quota exact once the leases are given back', async () => {
    const cluster = await startCluster(baseEnv)
    const [a, b, c] = cluster.instances as [Instance, Instance, Instance]
    const max = 60
    const cost = quotaCost('getOrgRepoList')
    expect(quotaCost('getQuota')).toBe(0)
    const metered = 'sktsec_scale_metered_token_0123456789'
    const seeded = await a.admin('POST', '/seed', {
      orgs: [{ slug: 'metered', tokens: [{ token: metered, max_quota: max }] }],
    })
    ok(seeded, 201)

    // 1.5 × max units asked for at once, round-robin over the three instances.
    const answers = await spread(cluster, Math.ceil((1.5 * max) / cost), (instance) =>
      instance.api('GET', '/orgs/metered/repos', metered),
    )
    expect(Object.keys(tally(answers.map((answer) => answer.status))).sort()).toEqual(['200', '429'])
    for (const refused of answers.filter((answer) => answer.status === 429)) {
      expectSocketError(refused, 429, 'Insufficient quota for API route')
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    }
    const spent = answers.filter((answer) => answer.status === 200).length * cost
    expect(spent).toBeLessThanOrEqual(max)
    // How many fewer than max succeeded depends on the unspent leases the instances hold (concurrent
    // refills on one instance add up): what is exact is what follows.
    expect(spent).toBeGreaterThan(0)

    // /quota gives the answering instance's lease back and reads the database, where the other
    // instances' leases still count as used: through A, B, then C, each answer is at most the
    // exact rest and the last (no lease left anywhere) is exact; then every instance says the same.
    const quota = async (instance: Instance) => {
      const answer = await instance.api('GET', '/quota', metered)
      ok(answer)
      return answer.json() as { quota: number; maxQuota: number; nextWindowRefresh: string | null }
    }
    const exact = max - spent
    const firstRound = [await quota(a), await quota(b), await quota(c)]
    expect(firstRound.map((q) => q.quota)).toEqual([...firstRound.map((q) => q.quota)].sort((x, y) => x - y))
    expect(firstRound[2]?.quota).toBe(exact)
    for (const instance of cluster.instances) {
      const answer = await quota(instance)
      expect(answer).toEqual({ quota: exact, maxQuota: max, nextWindowRefresh: firstRound[2]?.nextWindowRefresh })
      expect(answer.nextWindowRefresh).toMatch(/^\d{4}-\d\d-\d\dT/)
    }

    // No unit was lost to the leases: exactly the rest can still be spent (through one instance,
    // whose lease may take all of it), then 429.
    const rest: number[] = []
    for (let i = 0; i < exact / cost + 1; i++) {
      rest.push((await b.api('GET', '/orgs/metered/repos', metered)).status)
    }
    expect(rest).toEqual([...Array(exact / cost).fill(200), 429])
    for (const instance of cluster.instances) {
      expect((await quota(instance)).quota).toBe(0)
    }
    const used = await cluster.sql.query<{ used: number }>(
      `SELECT t.quota_used::int AS used FROM tokens t JOIN orgs o ON o.id = t.org_id WHERE o.slug = 'metered'`,
    )
    expect(used.rows).toEqual([{ used: max }])
  })

  it('uniqueness: 30 concurrent creates of one repo slug or one label name (any case) → one 201', async () => {
    const cluster = await startCluster(baseEnv)

    const repos = await spread(cluster, 30, (instance) =>
      instance.api('POST', `/orgs/${ORG}/repos`, TOKEN, { name: 'contested' }),
    )
    expect(tally(repos.map((answer) => answer.status))).toEqual({ 201: 1, 409: 29 })
    const winner = repos.find((answer) => answer.status === 201)?.json() as { id: string; slug: string }
    expect(winner.slug).toBe('contested')
    for (const lost of repos.filter((answer) => answer.status === 409)) {
      expectSocketError(lost, 409, 'Repository "contested" already exists')
    }

    // The same name in 30 spellings of its ASCII case: unique without regard to case (docs/labels.md).
    const spelling = (i: number) => [...'release'].map((ch, at) => ((i >> at) & 1 ? ch.toUpperCase() : ch)).join('')
    const labels = await spread(cluster, 30, (instance, i) =>
      instance.api('POST', `/orgs/${ORG}/repos/labels`, TOKEN, { name: spelling(i) }),
    )
    expect(new Set(Array.from({ length: 30 }, (_, i) => spelling(i))).size).toBe(30)
    expect(tally(labels.map((answer) => answer.status))).toEqual({ 201: 1, 409: 29 })
    const label = labels.find((answer) => answer.status === 201)?.json() as { id: string; name: string }
    labels.forEach((answer, i) => {
      if (answer.status === 409) expectSocketError(answer, 409, `Label "${spelling(i)}" already exists`)
    })

    for (const instance of cluster.instances) {
      const listed = await list(instance, `/orgs/${ORG}/repos`)
      expect(listed.results.map((repo) => [repo.id, repo.slug])).toEqual([[winner.id, 'contested']])
      const listedLabels = await list(instance, `/orgs/${ORG}/repos/labels`)
      expect(listedLabels.results.map((l) => [l.id, l.name])).toEqual([[label.id, label.name]])
    }
    const stored = await cluster.sql.query<{ repos: number; labels: number }>(
      'SELECT (SELECT count(*)::int FROM repos) AS repos, (SELECT count(*)::int FROM labels) AS labels',
    )
    expect(stored.rows[0]).toEqual({ repos: 1, labels: 1 })
  })

  it('freshness: a write through A is in the very next read through B and C, list pages included', async () => {
    const cluster = await startCluster(baseEnv)
    const [a, b, c] = cluster.instances as [Instance, Instance, Instance]
    const readers = [b, c]
    // Creation order; repo lists are newest first by default, labels in creation order.
    const repos = ['r1', 'r2', 'r3', 'r4', 'r5']
    const labelNames = ['l1', 'l2', 'l3']
    for (const slug of repos) ok(await a.api('POST', `/orgs/${ORG}/repos`, TOKEN, { name: slug }), 201)
    const labelIds = new Map<string, string>()
    for (const name of labelNames) {
      const created = await a.api('POST', `/orgs/${ORG}/repos/labels`, TOKEN, { name })
      ok(created, 201)
      labelIds.set(name, (created.json() as { id: string }).id)
    }

    const repoPages = ['', '?per_page=2&page=1', '?per_page=2&page=2', '?per_page=2&page=3', '?sort=name&direction=asc']
    const labelPages = ['', '?per_page=2&page=1', '?per_page=2&page=2']
    /** Every list page through B and C, each as it must be for the repos and labels in creation order. */
    const checkLists = async () => {
      const newest = [...repos].reverse()
      const byName = [...repos].sort()
      const expectedRepos = [newest, newest.slice(0, 2), newest.slice(2, 4), newest.slice(4, 6), byName]
      const expectedLabels = [labelNames, labelNames.slice(0, 2), labelNames.slice(2, 4)]
      for (const reader of readers) {
        for (const [i, page] of repoPages.entries()) {
          expect(slugsOf(await list(reader, `/orgs/${ORG}/repos${page}`)), `${reader.name} repos${page}`).toEqual(
            expectedRepos[i],
          )
        }
        for (const [i, page] of labelPages.entries()) {
          expect(
            namesOf(await list(reader, `/orgs/${ORG}/repos/labels${page}`)),
            `${reader.name} labels${page}`,
          ).toEqual(expectedLabels[i])
        }
      }
    }
    // Warm B's and C's list caches (twice: the second read is served from the cache).
    await checkLists()
    await checkLists()

    // Create a repo through A.
    ok(await a.api('POST', `/orgs/${ORG}/repos`, TOKEN, { name: 'fresh', description: 'first' }), 201)
    repos.push('fresh')
    for (const reader of readers) {
      const read = await reader.api('GET', `/orgs/${ORG}/repos/fresh`, TOKEN)
      ok(read)
      expect(read.json()).toMatchObject({ slug: 'fresh', description: 'first' })
    }
    await checkLists()

    // Update it through A: the single read and the cached pages show the new description.
    ok(await a.api('POST', `/orgs/${ORG}/repos/fresh`, TOKEN, { description: 'second' }))
    for (const reader of readers) {
      const read = await reader.api('GET', `/orgs/${ORG}/repos/fresh`, TOKEN)
      ok(read)
      expect(read.json()).toMatchObject({ slug: 'fresh', description: 'second' })
      const first = await list(reader, `/orgs/${ORG}/repos?per_page=2&page=1`)
      expect(first.results[0]).toMatchObject({ slug: 'fresh', description: 'second' })
    }
    await checkLists()

    // Delete it through A.
    ok(await a.api('DELETE', `/orgs/${ORG}/repos/fresh`, TOKEN))
    repos.pop()
    for (const reader of readers) {
      expectSocketError(await reader.api('GET', `/orgs/${ORG}/repos/fresh`, TOKEN), 404, 'Repository not found')
    }
    await checkLists()

    // A label: create, rename, delete through A.
    const created = await a.api('POST', `/orgs/${ORG}/repos/labels`, TOKEN, { name: 'fresh-label' })
    ok(created, 201)
    const id = (created.json() as { id: string }).id
    labelNames.push('fresh-label')
    for (const reader of readers) {
      const read = await reader.api('GET', `/orgs/${ORG}/repos/labels/${id}`, TOKEN)
      ok(read)
      expect(read.json()).toMatchObject({ id, name: 'fresh-label' })
    }
    await checkLists()

    ok(await a.api('PUT', `/orgs/${ORG}/repos/labels/${id}`, TOKEN, { name: 'renamed-label' }))
    labelNames[labelNames.length - 1] = 'renamed-label'
    for (const reader of readers) {
      const read = await reader.api('GET', `/orgs/${ORG}/repos/labels/${id}`, TOKEN)
      ok(read)
      expect(read.json()).toMatchObject({ id, name: 'renamed-label' })
    }
    await checkLists()

    ok(await a.api('DELETE', `/orgs/${ORG}/repos/labels/${id}`, TOKEN))
    labelNames.pop()
    for (const reader of readers) {
      expect((await reader.api('GET', `/orgs/${ORG}/repos/labels/${id}`, TOKEN)).status).toBe(404)
    }
    await checkLists()
  })

  it('revocation and org deletion take effect on every instance within AUTH_CACHE_TTL_MS, never a 5xx', async () => {
    const ttl = 1000
    // A cached verification expires AUTH_CACHE_TTL_MS after its database read was sent, so before
    // the revocation (or deletion) committed: a request sent TTL after the commit's answer must be
    // refused. The margin is clock granularity only.
    const margin = 100
    const cluster = await startCluster({ ...baseEnv, AUTH_CACHE_TTL_MS: String(ttl) })
    const [a] = cluster.instances as [Instance]

    // A token minted through A (Socket's api-tokens), and an org with a token of its own.
    const minted = await a.api('POST', `/orgs/${ORG}/api-tokens`, TOKEN, {
      name: 'short-lived',
      scopes: ['repo'],
      max_quota: 100_000,
      visibility: 'organization',
      committer: { email: 'ci@example.com', provider: 'github' },
    })
    ok(minted)
    const { token: revoked, group_uuid: group } = minted.json() as { token: string; group_uuid: string }
    const doomed = 'sktsec_scale_doomed_org_token_0123'
    ok(await a.admin('POST', '/seed', { orgs: [{ slug: 'doomed', tokens: [{ token: doomed }] }] }), 201)

    interface Seen {
      instance: string
      what: 'revoked-read' | 'doomed-read' | 'doomed-write'
      status: number
      startedAt: number
    }
    const seen: Seen[] = []
    let running = true
    let n = 0
    const poll = async (instance: Instance) => {
      while (running) {
        const requests: Array<[Seen['what'], Promise<Answer>]> = [
          ['revoked-read', instance.api('GET', `/orgs/${ORG}/repos`, revoked, undefined, 10_000)],
          ['doomed-read', instance.api('GET', '/orgs/doomed/repos', doomed, undefined, 10_000)],
          [
            'doomed-write',
            instance.api('POST', '/orgs/doomed/repos', doomed, { name: `w-${instance.name}-${++n}` }, 10_000),
          ],
        ]
        for (const [what, request] of requests) {
          const answer = await request
          seen.push({ instance: instance.name, what, status: answer.status, startedAt: answer.startedAt })
        }
      }
    }
    const pollers = cluster.instances.map(poll)
    const stopPolling = async () => {
      running = false
      await Promise.all(pollers)
    }
    onTestFinished(stopPolling)
    const since = (what: Seen['what'], from: number, instance?: string) =>
      seen.filter((s) => s.what === what && s.startedAt >= from && (instance === undefined || s.instance === instance))

    // Every instance has verified (and cached) both tokens.
    await vi.waitFor(
      () => {
        for (const instance of cluster.instances) {
          expect(since('revoked-read', 0, instance.name).some((s) => s.status === 200)).toBe(true)
          expect(since('doomed-write', 0, instance.name).some((s) => s.status === 201)).toBe(true)
        }
      },
      { timeout: 15_000, interval: 20 },
    )

    // Revoke through A.
    const revoke = await a.api('POST', `/orgs/${ORG}/api-tokens/revoke`, TOKEN, { uuid: group })
    ok(revoke)
    expect(revoke.json()).toEqual({ status: 'revoked' })
    const revokedAt = Date.now()
    // Through A at once; through B and C within the TTL.
    expectSocketError(await a.api('GET', `/orgs/${ORG}/repos`, revoked), 401, /./)
    await vi.waitFor(
      () => {
        for (const instance of cluster.instances) {
          expect(since('revoked-read', revokedAt + ttl + margin, instance.name).length).toBeGreaterThan(0)
        }
      },
      { timeout: 15_000, interval: 20 },
    )

    // Delete the org with the admin CLI (another process, on the same database).
    const deleted = await adminCli(['orgs', 'delete', 'doomed'], cluster.url)
    expect(deleted.stderr).toBe('')
    expect(deleted.code).toBe(0)
    expect(deleted.stdout).toBe('deleted org doomed\n')
    const deletedAt = Date.now()
    await vi.waitFor(
      () => {
        for (const instance of cluster.instances) {
          expect(since('doomed-read', deletedAt + ttl + margin, instance.name).length).toBeGreaterThan(0)
          expect(since('doomed-write', deletedAt + ttl + margin, instance.name).length).toBeGreaterThan(0)
        }
      },
      { timeout: 15_000, interval: 20 },
    )
    await stopPolling()

    // Never a 5xx; the revoked token: 200 then 401, and only 401 once the TTL has passed.
    expect(seen.filter((s) => s.status >= 500)).toEqual([])
    expect(Object.keys(tally(since('revoked-read', 0).map((s) => s.status)))).toEqual(['200', '401'])
    expect(since('revoked-read', revokedAt + ttl + margin).filter((s) => s.status !== 401)).toEqual([])
    // The doomed org's token: answered normally, then 401 within the TTL, whatever it asks.
    expect(
      seen.filter((s) => s.what !== 'revoked-read' && ![200, 201, 401].includes(s.status)),
      'doomed-org answers other than 200/201/401',
    ).toEqual([])
    expect(since('doomed-read', deletedAt + ttl + margin).filter((s) => s.status !== 401)).toEqual([])
    expect(since('doomed-write', deletedAt + ttl + margin).filter((s) => s.status !== 401)).toEqual([])
    const orgs = await cluster.sql.query<{ slug: string }>('SELECT slug FROM orgs ORDER BY slug')
    expect(orgs.rows).toEqual([{ slug: ORG }])
  })

  it('admin reset and import through one instance are seen by all at the next request', async () => {
    const cluster = await startCluster(baseEnv)
    const [a, b, c] = cluster.instances as [Instance, Instance, Instance]
    for (const slug of ['old-1', 'old-2']) ok(await a.api('POST', `/orgs/${ORG}/repos`, TOKEN, { name: slug }), 201)
    ok(await a.api('POST', `/orgs/${ORG}/repos/labels`, TOKEN, { name: 'old-label' }), 201)
    const warm = async () => {
      for (const reader of [b, c]) {
        for (let i = 0; i < 2; i++) {
          await list(reader, `/orgs/${ORG}/repos`)
          await list(reader, `/orgs/${ORG}/repos/labels`)
        }
      }
    }
    await warm()
    for (const reader of [b, c]) {
      expect(slugsOf(await list(reader, `/orgs/${ORG}/repos`))).toEqual(['old-2', 'old-1'])
    }

    const reset = await a.admin('POST', '/reset', {})
    ok(reset)
    for (const reader of [b, c]) {
      expect(await list(reader, `/orgs/${ORG}/repos`)).toEqual({ results: [], nextPage: null })
      expect(await list(reader, `/orgs/${ORG}/repos/labels`)).toEqual({ results: [], nextPage: null })
      expect((await reader.api('GET', `/orgs/${ORG}/repos/old-1`, TOKEN)).status).toBe(404)
    }

    for (const slug of ['again-1']) ok(await a.api('POST', `/orgs/${ORG}/repos`, TOKEN, { name: slug }), 201)
    await warm()
    const fixture = {
      orgs: [
        {
          slug: ORG,
          tokens: [{ token: TOKEN, max_quota: 1_000_000 }],
          repos: [{ slug: 'imported-1' }, { slug: 'imported-2' }],
          labels: [{ name: 'imported-label', repositories: ['imported-1'] }],
        },
      ],
    }
    const imported = await a.admin('POST', '/import', fixture)
    ok(imported)
    const exported = await a.admin('GET', '/export')
    ok(exported)
    for (const reader of [b, c]) {
      const repos = await list(reader, `/orgs/${ORG}/repos`)
      expect(slugsOf(repos)).toEqual(['imported-2', 'imported-1'])
      const first = repos.results.find((repo) => repo.slug === 'imported-1')
      const labels = await list(reader, `/orgs/${ORG}/repos/labels`)
      expect(labels.results.map((l) => [l.name, l.repository_ids])).toEqual([['imported-label', [first?.id]]])
      expect((await reader.api('GET', `/orgs/${ORG}/repos/again-1`, TOKEN)).status).toBe(404)
      // The whole state, as each instance exports it, is the same.
      const theirs = await reader.admin('GET', '/export')
      ok(theirs)
      expect(theirs.json()).toEqual(exported.json())
    }
  })

  it('database outage: 503 + Retry-After while cut (never a 500 or a hang), recovery without restart, no acknowledged write lost', async () => {
    const statementTimeout = 1500
    // The pool's client-side bound is the statement timeout + 1 s; then the answer itself.
    const longest = statementTimeout + 1000 + 1500
    const target = new URL(process.env.TEST_DATABASE_URL ?? '')
    let proxy: TcpProxy | undefined
    const cluster = await startCluster(
      { ...baseEnv, DATABASE_STATEMENT_TIMEOUT_MS: String(statementTimeout), AUTH_CACHE_TTL_MS: '1000' },
      {
        instanceUrl: async (url) => {
          proxy = await startTcpProxy({ host: target.hostname || '127.0.0.1', port: Number(target.port || 5432) })
          onTestFinished(() => proxy?.close())
          return viaPort(url, proxy.port)
        },
      },
    )
    if (!proxy) throw new Error('no proxy')
    const cut = proxy
    await underOutage(cluster, { cut: () => cut.cut(), restore: () => cut.restore() }, longest)
  })

  it('PostgreSQL restarted under load: the same, with the server itself stopped (fast) and started again', async () => {
    const control = postgresControl()
    const statementTimeout = 1500
    const longest = statementTimeout + 1000 + 1500
    const cluster = await startCluster({
      ...baseEnv,
      DATABASE_STATEMENT_TIMEOUT_MS: String(statementTimeout),
      AUTH_CACHE_TTL_MS: '1000',
    })
    // Whatever happens in the test, PostgreSQL is running again after it.
    onTestFinished(() => control.start())
    await underOutage(cluster, { cut: () => control.stop(), restore: () => control.start() }, longest)
  })

  it('kill -9 of one instance during a stream of creates: every acknowledged create is readable through the others', async () => {
    const cluster = await startCluster(baseEnv)
    const [a, b, c] = cluster.instances as [Instance, Instance, Instance]
    const acknowledged = new Map<string, string>()
    const attempted = new Set<string>()
    const failures: string[] = []
    let n = 0
    let alive = true
    const stream = async () => {
      while (alive) {
        const slug = `k-${++n}`
        attempted.add(slug)
        try {
          const answer = await a.api('POST', `/orgs/${ORG}/repos`, TOKEN, { name: slug }, 10_000)
          if (answer.status === 201) acknowledged.set(slug, (answer.json() as { id: string }).id)
          else failures.push(`${slug}: ${answer.status} ${answer.text}`)
        } catch {
          // The instance is gone: the request was never acknowledged.
          return
        }
      }
    }
    const streams = Array.from({ length: 4 }, stream)
    await vi.waitFor(() => expect(acknowledged.size).toBeGreaterThanOrEqual(40), { timeout: 20_000, interval: 10 })
    const ackedBeforeKill = acknowledged.size
    const exited = new Promise((done) => a.server.child.once('close', (_code, signal) => done(signal)))
    a.server.child.kill('SIGKILL')
    await Promise.all(streams)
    alive = false
    expect(await exited).toBe('SIGKILL')
    expect(failures).toEqual([])
    // Acknowledged before the kill, or by the answers that were already on their way.
    expect(acknowledged.size).toBeGreaterThanOrEqual(ackedBeforeKill)

    for (const [i, [slug, id]] of [...acknowledged].entries()) {
      const reader = i % 2 === 0 ? b : c
      const read = await reader.api('GET', `/orgs/${ORG}/repos/${slug}`, TOKEN)
      ok(read)
      expect(read.json()).toMatchObject({ id, slug })
    }
    const stored = (await cluster.sql.query<{ slug: string }>('SELECT slug FROM repos')).rows.map((row) => row.slug)
    expect(stored.filter((slug) => !attempted.has(slug))).toEqual([])
    expect([...acknowledged.keys()].filter((slug) => !stored.includes(slug))).toEqual([])
    // At most the creates in flight at the kill (one per stream) landed without an answer.
    expect(stored.length - acknowledged.size).toBeLessThanOrEqual(4)
    for (const reader of [b, c]) {
      ok(await reader.send('GET', '/ready'))
      const listed = await list(reader, `/orgs/${ORG}/repos?per_page=100`)
      expect(new Set(slugsOf(listed))).toEqual(new Set(stored))
    }
  })
})
