/**
 * `npm run bench`: seeds 100k+ repos (SQLite, and PostgreSQL in a database of its own), starts the server
 * (and the references) in child processes, drives them with autocannon phase by phase on each engine, then
 * two server instances on the same PostgreSQL database, and reports rps, latency, ratios to the references
 * and between the engines, server RSS and PASS/MISS per target. See bench/README.md.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import pg from 'pg'
import { buildChildren, type Child, cpuMeter, memoryOf, startChild } from './child.js'
import type { MemoryReport } from './ipc.js'
import { type CpuProfile, formatSummary, summarize } from './profile-summary.js'
import {
  BIG_ORG,
  CI_ORG,
  createPostgresDatabase,
  repoSlug,
  type SeededOrg,
  type SeedResult,
  seed,
  seedPostgres,
} from './seed.js'

/**
 * The server runs with the node flags it runs with in production (`npm start`, the Dockerfile):
 * a young generation of 8 MB and an old generation grown by half of what it holds keep its memory in budget
 * (bench/README.md, "Heap flags").
 * test/architecture.test.ts checks the three places agree.
 */
export const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=50']

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    profile: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    'server-node-args': { type: 'string', default: '' },
    'server-env': { type: 'string', multiple: true, default: [] },
    'keep-db': { type: 'boolean', default: false },
    engines: { type: 'string', default: 'sqlite,postgres' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    help: { type: 'boolean', default: false },
  },
})

if (args.help) {
  process.stdout.write(`npm run bench -- [options]
  --duration <s>            measured seconds per phase (default 6)
  --warmup <s>              warm-up seconds per phase, not measured (default 2)
  --connections <n>         concurrent connections (default 50)
  --only <a,b>              run only these phases (references always run)
  --profile <a,b|all>       CPU-profile the server (or reference) during these measured phases
                            (bench/results/profiles/<phase>.cpuprofile, summary printed; rps then read low)
  --log-level <level>       the server's LOG_LEVEL (default info, the production default; output discarded)
  --server-node-args=<s>    extra node flags for the server child, e.g. "--server-node-args=--cpu-prof";
                            the production flags (${PRODUCTION_NODE_FLAGS.join(' ')}) always come first
  --server-env KEY=VALUE    extra environment of the server (repeatable), for what-if runs such as
                            --server-env QUOTA_COSTS=getOrgRepo=0; recorded in the summary
  --engines <a,b>           storage engines of the server phases: sqlite, postgres (default both; the
                            references always run on SQLite). PostgreSQL unreachable: SQLite only, said so
  --pg-url <url>            PostgreSQL to bench on, through its maintenance database: the run creates
                            socket_repos_bench_<pid> there and drops it at the end
                            (default postgres://postgres@127.0.0.1:5432/postgres)
  --keep-db                 keep the seeded databases (SQLite path and PostgreSQL database printed)
`)
  process.exit(0)
}

const DURATION = Number(args.duration)
const WARMUP = Number(args.warmup)
const CONNECTIONS = Number(args.connections)
const ONLY = args.only ? new Set(args.only.split(',').map((s) => s.trim())) : undefined
const PROFILE = args.profile ? new Set(args.profile.split(',').map((s) => s.trim())) : new Set<string>()
const LOG_LEVEL = args['log-level']
const ENGINES = new Set(args.engines.split(',').map((s) => s.trim()))
for (const engine of ENGINES) {
  if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`--engines: unknown engine ${engine}`)
}
const PG_URL = args['pg-url']
const MB = 1024 * 1024

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url))
const profilesDir = join(resultsDir, 'profiles')
mkdirSync(resultsDir, { recursive: true })
if (PROFILE.size > 0) mkdirSync(profilesDir, { recursive: true })

const SEED = {
  bigOrgRepos: 100_000,
  otherOrgs: 9,
  otherOrgRepos: 1_000,
  labelsPerOrg: 100,
  reposPerLabel: 20,
  maxQuota: 1_000_000_000_000,
}

// ---------------------------------------------------------------------------------------------------------
// Phases

type Target = 'reference' | 'server'

interface Phase {
  name: string
  title: string
  target: Target
  /** Fresh request templates for one autocannon run (state such as counters is per run). */
  requests: (run: string) => autocannon.Request[]
  /** Statuses that count as a correct answer; anything else is reported as unexpected. */
  expected: number[]
  /** Measure a fixed number of requests (warm-up rate × duration) instead of a duration, so that every
   * request sent is also answered: needed to compare 2xx answers with rows written. */
  byAmount?: boolean
  /** Requests per unit of work (a CI pipeline is six requests). */
  requestsPerOp?: number
  after?: (run: string, result: Outcome) => Promise<Record<string, number | string | boolean>>
}

type EngineName = 'sqlite' | 'postgres'

/** A storage engine the server phases run on. */
interface Engine {
  name: EngineName
  label: string
  /** Appended to the phase names on this engine: `getRepo@pg`. */
  suffix: string
  seeded: SeedResult
  /** The server's environment that selects the engine (and its database). */
  env: Record<string, string>
  /** Repos of an org whose slug starts with `prefix`, counted in the database itself. */
  countRows(orgId: number, prefix: string): Promise<number>
  /** The database's processes, whose CPU is reported apart (PostgreSQL; none for SQLite, in-process). */
  dbPids(): Promise<number[]>
}

interface PhaseResult {
  name: string
  title: string
  target: Target
  engine: EngineName
  /** Server processes the load was split over (each got half of the connections with two). */
  instances: number
  rps: number
  opsPerSec?: number
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number }
  requests: number
  durationS: number
  connections: number
  statuses: Record<string, number>
  unexpected: number
  errors: number
  timeouts: number
  resets: number
  rssAfterMb?: number
  rssPeakMb?: number
  /** CPU used during the measured run, in % of one core: the server (or reference) child, the load
   * generator (this process), and every other process on the machine (noise). */
  cpu: { serverPct: number; dbPct: number; generatorPct: number; otherPct: number }
  ratioToFixed?: number
  ratioToDb?: number
  /** PostgreSQL phases: rps / the same phase's rps on SQLite in this run. */
  ratioToSqlite?: number
  /** Two-instance phases: rps / the same phase's rps on one instance of the same engine. */
  ratioToOneInstance?: number
  extra?: Record<string, number | string | boolean>
  profile?: string
  /** The server's own account of its memory after the phase, in MB. */
  memory?: MemoryMb
}

type MemoryMb = { rss: number; heapTotal: number; heapUsed: number; external: number; spaces: Record<string, number> }

function toMb(report: MemoryReport | undefined): MemoryMb | undefined {
  if (!report) return undefined
  const mb = (n: number) => Math.round((10 * n) / MB) / 10
  return {
    rss: mb(report.rss),
    heapTotal: mb(report.heapTotal),
    heapUsed: mb(report.heapUsed),
    external: mb(report.external),
    spaces: Object.fromEntries(Object.entries(report.spaces).map(([name, space]) => [name, mb(space.size)])),
  }
}

/** RSS and what V8 accounts for; the rest is native (SQLite's page cache, code, libuv, malloc arenas). */
function describeMemory(report: MemoryReport | undefined): string {
  const m = toMb(report)
  if (!m) return 'memory unknown'
  const spaces = Object.entries(m.spaces)
    .filter(([, size]) => size >= 1)
    .map(([name, size]) => `${name.replace(/_space$/, '')} ${size}`)
    .join(', ')
  return (
    `RSS ${m.rss} MB = V8 heap ${m.heapTotal} (used ${m.heapUsed}; ${spaces}) + external ${m.external} ` +
    `+ native/other ${Math.round(m.rss - m.heapTotal - m.external)} MB`
  )
}

let seeded: SeedResult
let dbPath: string
const orgOf = (slug: string): SeededOrg => {
  const org = seeded.orgs.find((o) => o.slug === slug)
  if (!org) throw new Error(`org ${slug} not seeded`)
  return org
}
const auth = (slug: string) => ({ authorization: `Bearer ${orgOf(slug).token}` })
const json = (slug: string) => ({ ...auth(slug), 'content-type': 'application/json' })
const randomInt = (n: number) => Math.floor(Math.random() * n)

function getRepoRequests(prefix: string): autocannon.Request[] {
  const big = orgOf(BIG_ORG)
  return [
    {
      method: 'GET',
      headers: auth(BIG_ORG),
      setupRequest: (req) => ({ ...req, path: `${prefix}/orgs/${BIG_ORG}/repos/${repoSlug(randomInt(big.repos))}` }),
    },
  ]
}

const listPath = (perPage: number, page: number) => `/v0/orgs/${BIG_ORG}/repos?per_page=${perPage}&page=${page}`

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** The phases with their base names (`getRepo`); `onEngine` makes an engine's copy of a server phase. */
function phases(engine?: Engine): Phase[] {
  const big = orgOf(BIG_ORG)
  const ci = orgOf(CI_ORG)
  /** Label ids the mixed workload created, by name, so that a re-run pipeline (409) finds its label. */
  const pipelineLabels = new Map<string, string>()

  const all: Phase[] = [
    {
      name: 'refFixed',
      title: 'ref (a): bare Fastify, fixed body',
      target: 'reference',
      requests: () => getRepoRequests('/fixed'),
      expected: [200],
    },
    {
      name: 'refDb',
      title: 'ref (b): bare Fastify + better-sqlite3 lookup',
      target: 'reference',
      requests: () => getRepoRequests('/v0'),
      expected: [200],
    },
    {
      name: 'getRepo',
      title: 'GET repo',
      target: 'server',
      requests: () => getRepoRequests('/v0'),
      expected: [200],
    },
    {
      name: 'list30',
      title: 'list page 1, per_page 30',
      target: 'server',
      requests: () => [{ method: 'GET', path: listPath(30, 1), headers: auth(BIG_ORG) }],
      expected: [200],
    },
    {
      name: 'list100',
      title: 'list page 1, per_page 100',
      target: 'server',
      requests: () => [{ method: 'GET', path: listPath(100, 1), headers: auth(BIG_ORG) }],
      expected: [200],
    },
    {
      name: 'list1000',
      title: 'list page 1000, per_page 100',
      target: 'server',
      requests: () => [{ method: 'GET', path: listPath(100, 1000), headers: auth(BIG_ORG) }],
      expected: [200],
    },
    {
      name: 'create',
      title: 'create repo',
      target: 'server',
      byAmount: true,
      requests: (run) => {
        let n = 0
        return [
          {
            method: 'POST',
            path: `/v0/orgs/${BIG_ORG}/repos`,
            headers: json(BIG_ORG),
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({
                slug: `${run}-${n++}`,
                description: 'created by the bench',
                visibility: 'private',
              }),
            }),
          },
        ]
      },
      expected: [201],
      after: async (run, result) => {
        // No lost writes: every 201 is a row, and no row exists that was not answered 201. Counted in the
        // database itself (with two instances, both runs' slugs start with `${run}-`).
        if (!engine) throw new Error('create runs on an engine')
        const rows = await engine.countRows(big.id, `${run}-`)
        const created = result.statuses['201'] ?? 0
        return { rowsWritten: rows, answered201: created, noLostWrites: rows === created && result.non2xx === 0 }
      },
    },
    {
      name: 'update',
      title: 'update repo',
      target: 'server',
      requests: () => {
        let n = 0
        return [
          {
            method: 'POST',
            headers: json(BIG_ORG),
            setupRequest: (req) => ({
              ...req,
              path: `/v0/orgs/${BIG_ORG}/repos/${repoSlug(randomInt(big.repos))}`,
              body: JSON.stringify({ description: `updated ${n++}`, default_branch: 'main' }),
            }),
          },
        ]
      },
      expected: [200],
    },
    {
      name: 'listLabels',
      title: 'list labels, per_page 30',
      target: 'server',
      requests: () => [{ method: 'GET', path: `/v0/orgs/${BIG_ORG}/repos/labels?per_page=30`, headers: auth(BIG_ORG) }],
      expected: [200],
    },
    {
      name: 'labelSetting',
      title: 'get label setting',
      target: 'server',
      requests: () => [
        {
          method: 'GET',
          headers: auth(BIG_ORG),
          setupRequest: (req) => ({
            ...req,
            path: `/v0/orgs/${BIG_ORG}/repos/labels/${big.labelIds[randomInt(big.labelIds.length)]}/label-setting?setting_key=issueRules`,
          }),
        },
      ],
      expected: [200],
    },
    {
      name: 'mixed',
      title: 'mixed CI pipeline (6 requests)',
      target: 'server',
      requestsPerOp: 6,
      requests: (run) => mixedPipeline(run, ci, pipelineLabels),
      expected: [200, 201, 302, 409],
    },
  ]
  if (!engine || engine.suffix === '') return all
  return all.map((p) =>
    p.target === 'server' ? { ...p, name: `${p.name}${engine.suffix}`, title: `${p.title} [${engine.label}]` } : p,
  )
}

/** The phases run on two server instances at once (PostgreSQL), by base name. */
const TWO_INSTANCE_PHASES = ['getRepo', 'create']

/** A phase on two instances: same requests, its own name (`getRepo@pg×2`) and title. */
function onTwoInstances(phase: Phase): Phase {
  return { ...phase, name: `${phase.name}×2`, title: phase.title.replace(/\]$/, ', 2 instances]') }
}

/**
 * What a CI pipeline does before it scans (README's walkthrough), one connection running pipelines back
 * to back: create-or-get the repo (on_duplicate=redirect), create its label (409 when the pipeline ran
 * before), list labels, associate, put the label's policy, read the repo. One pipeline in four re-runs an
 * earlier one, so the 302 and 409 paths are exercised too.
 */
function mixedPipeline(run: string, ci: SeededOrg, labels: Map<string, string>): autocannon.Request[] {
  let pipelines = 0
  type Ctx = { slug?: string; label?: string; repoId?: string; labelId?: string }
  const base = `/v0/orgs/${ci.slug}/repos`
  const parse = (body: string) => {
    try {
      return JSON.parse(body) as { id?: string }
    } catch {
      return {}
    }
  }
  return [
    {
      method: 'POST',
      path: `${base}?on_duplicate=redirect`,
      headers: json(ci.slug),
      setupRequest: (req, context) => {
        const ctx = context as Ctx
        const n = pipelines++
        // Every fourth pipeline re-runs a first-time one from long enough ago to have finished.
        const back = 4 * CONNECTIONS + 1
        const which = n % 4 === 3 && n >= back ? n - back : n
        ctx.slug = `${run}-pipe-${which}`
        ctx.label = `${run}-team-${which}`
        return {
          ...req,
          body: JSON.stringify({ slug: ctx.slug, description: 'Payments service', default_branch: 'main' }),
        }
      },
      onResponse: (_status, body, context) => {
        const id = parse(body).id
        if (id) (context as Ctx).repoId = id
      },
    },
    {
      method: 'POST',
      path: `${base}/labels`,
      headers: json(ci.slug),
      setupRequest: (req, context) => ({ ...req, body: JSON.stringify({ name: (context as Ctx).label }) }),
      onResponse: (status, body, context) => {
        const ctx = context as Ctx
        const id = status === 201 ? parse(body).id : ctx.label ? labels.get(ctx.label) : undefined
        if (status === 201 && id && ctx.label) labels.set(ctx.label, id)
        if (id) ctx.labelId = id
      },
    },
    { method: 'GET', path: `${base}/labels?per_page=30`, headers: auth(ci.slug) },
    {
      method: 'POST',
      headers: json(ci.slug),
      setupRequest: (req, context) => {
        const ctx = context as Ctx
        // A label not yet known (its first pipeline is still in flight on another connection): start over.
        if (!ctx.labelId || !ctx.repoId) return undefined as unknown as autocannon.Request
        return {
          ...req,
          path: `${base}/labels/${ctx.labelId}/associate`,
          body: JSON.stringify({ repository_id: ctx.repoId }),
        }
      },
    },
    {
      method: 'PUT',
      headers: json(ci.slug),
      setupRequest: (req, context) => ({
        ...req,
        path: `${base}/labels/${(context as Ctx).labelId}/label-setting`,
        body: JSON.stringify({
          issueRulesPolicyDefault: 'high',
          issueRules: { malware: { action: 'error' }, installScripts: { action: 'warn' } },
          licensePolicy: { allow: ['MIT', 'Apache-2.0'], warn: ['GPL-3.0'] },
        }),
      }),
    },
    {
      method: 'GET',
      headers: auth(ci.slug),
      setupRequest: (req, context) => ({ ...req, path: `${base}/${(context as Ctx).slug}` }),
    },
  ]
}

// ---------------------------------------------------------------------------------------------------------
// Running a phase

function cannon(
  port: number,
  requests: autocannon.Request[],
  limit: { duration: number } | { amount: number },
  connections = CONNECTIONS,
): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    timeout: 20,
    requests,
    ...limit,
  })
}

function statusesOf(result: autocannon.Result): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) out[code] = stat.count ?? 0
  return out
}

/** What one or several parallel autocannon runs (one per server instance) add up to. */
interface Outcome {
  /** Sum of each run's requests / its duration. */
  rps: number
  requests: number
  durationS: number
  /** Percentiles: the highest of the runs' (they cannot be merged exactly); mean weighted by requests. */
  latencyMs: PhaseResult['latencyMs']
  statuses: Record<string, number>
  non2xx: number
  errors: number
  timeouts: number
  resets: number
}

function outcomeOf(results: autocannon.Result[]): Outcome {
  const statuses: Record<string, number> = {}
  for (const result of results) {
    for (const [code, n] of Object.entries(statusesOf(result))) statuses[code] = (statuses[code] ?? 0) + n
  }
  const sum = (f: (r: autocannon.Result) => number) => results.reduce((total, r) => total + f(r), 0)
  const max = (f: (r: autocannon.Result) => number) => Math.max(...results.map(f))
  const requests = sum((r) => r.requests.total)
  return {
    rps: sum((r) => r.requests.total / Math.max(0.001, r.duration)),
    requests,
    durationS: max((r) => r.duration),
    latencyMs: {
      p50: max((r) => r.latency.p50),
      p90: max((r) => r.latency.p90),
      p99: max((r) => r.latency.p99),
      mean: sum((r) => r.latency.mean * r.requests.total) / Math.max(1, requests),
      max: max((r) => r.latency.max),
    },
    statuses,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    resets: sum((r) => r.resets),
  }
}

/**
 * Drives the children at once, each with its share of the connections (and of the amount): one autocannon
 * run per child, in parallel. With one child, `phase.requests(run)` as it is; with several, each run gets
 * `${run}-i<k>`, so the slugs a create phase writes all start with `${run}-`.
 */
async function cannonAll(
  phase: Phase,
  children: Child[],
  run: string,
  limit: { duration: number } | { amount: number },
): Promise<Outcome> {
  const n = children.length
  const connections = Math.max(1, Math.floor(CONNECTIONS / n))
  const share = 'amount' in limit ? { amount: Math.ceil(limit.amount / n) } : limit
  const results = await Promise.all(
    children.map((child, k) =>
      cannon(child.port, phase.requests(n === 1 ? run : `${run}-i${k}`), share, n === 1 ? CONNECTIONS : connections),
    ),
  )
  return outcomeOf(results)
}

async function runPhase(phase: Phase, children: Child[], engine?: Engine): Promise<PhaseResult> {
  const [first] = children
  if (!first) throw new Error(`${phase.name}: no server`)
  const warm = await cannonAll(phase, children, `w${Date.now().toString(36)}`, { duration: WARMUP })
  const warmBad = Object.entries(warm.statuses).filter(([code]) => !phase.expected.includes(Number(code)))
  if (warm.requests === 0 || warmBad.length > 0 || warm.errors > 0) {
    throw new Error(
      `${phase.name}: warm-up answered ${JSON.stringify(warm.statuses)} with ${warm.errors} errors ` +
        `(expected ${phase.expected.join('/')}); not measuring a broken phase`,
    )
  }

  const run = `m${Date.now().toString(36)}`
  const profiled =
    children.length === 1 && ((phase.target === 'server' && PROFILE.has('all')) || PROFILE.has(phase.name))
  const profileFile = join(profilesDir, `${phase.name}.cpuprofile`)
  const rssNow = () => Math.max(0, ...children.map((child) => memoryOf(child.pid)?.rss ?? 0))
  let peak = 0
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssNow())
  }, 200)
  if (profiled) await first.request({ type: 'profile-start' })
  const limit = phase.byAmount
    ? { amount: Math.max(CONNECTIONS * 20, Math.round(warm.rps * DURATION)) }
    : { duration: DURATION }
  const meter = cpuMeter(
    children.map((child) => child.pid),
    (await engine?.dbPids()) ?? [],
  )
  const result = await cannonAll(phase, children, run, limit)
  const cpu = meter((await engine?.dbPids()) ?? [])
  if (profiled) await first.request({ type: 'profile-stop', file: profileFile })
  clearInterval(sampler)
  const after = children.every((child) => memoryOf(child.pid) !== undefined) ? rssNow() : undefined
  peak = Math.max(peak, after ?? 0)

  const unexpected = Object.entries(result.statuses)
    .filter(([code]) => !phase.expected.includes(Number(code)))
    .reduce((sum, [, n]) => sum + n, 0)
  const rps = result.rps
  return {
    name: phase.name,
    title: phase.title,
    target: phase.target,
    engine: engine?.name ?? 'sqlite',
    instances: children.length,
    rps,
    ...(phase.requestsPerOp ? { opsPerSec: rps / phase.requestsPerOp } : {}),
    latencyMs: result.latencyMs,
    requests: result.requests,
    durationS: result.durationS,
    connections: CONNECTIONS,
    statuses: result.statuses,
    unexpected,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    cpu,
    ...(after !== undefined ? { rssAfterMb: after / MB, rssPeakMb: peak / MB } : {}),
    ...(phase.after ? { extra: await phase.after(run, result) } : {}),
    ...(profiled ? { profile: profileFile } : {}),
  }
}

/** One request for a page far from any remembered position (an OFFSET walk), then the same page again. */
async function coldDeepPage(port: number): Promise<{ firstMs: number; againMs: number; page1Ms: number }> {
  const time = async (path: string) => {
    const started = performance.now()
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: auth(BIG_ORG) })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`)
    return performance.now() - started
  }
  // Let the previous phase's connections go, and open this client's connection with a first request.
  await new Promise((resolve) => setTimeout(resolve, 500))
  await time(listPath(100, 1))
  const page1Ms = await time(listPath(100, 1))
  const firstMs = await time(listPath(100, 1000))
  const againMs = await time(listPath(100, 1000))
  return { firstMs, againMs, page1Ms }
}

// ---------------------------------------------------------------------------------------------------------
// Report

const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => (Number.isInteger(n) ? String(n) : n < 10 ? n.toFixed(2) : n.toFixed(1)),
  ratio: (n: number | undefined) => (n === undefined ? '' : `${n.toFixed(2)}×`),
  mb: (n: number | undefined) => (n === undefined ? '' : n.toFixed(0)),
}

interface TargetResult {
  target: string
  measured: string
  threshold: string
  pass: boolean
}

function evaluateTargets(results: Map<string, PhaseResult>, peakRssMb: Map<EngineName, number>): TargetResult[] {
  const out: TargetResult[] = []
  const get = (name: string) => results.get(name)
  const getRepo = get('getRepo')
  const refDb = get('refDb')
  if (getRepo && refDb) {
    const ratio = getRepo.rps / refDb.rps
    out.push({
      target: 'GET repo (auth + quota) vs bare Fastify + better-sqlite3',
      measured: `${ratio.toFixed(2)}× (${fmt.int(getRepo.rps)} vs ${fmt.int(refDb.rps)} rps)`,
      threshold: '≥ 0.80×',
      pass: ratio >= 0.8,
    })
  }
  const list30 = get('list30')
  if (list30) {
    out.push({
      target: 'list page 1, per_page 30',
      measured: `${fmt.int(list30.rps)} rps`,
      threshold: '≥ 5,000 rps',
      pass: list30.rps >= 5000,
    })
  }
  const listLabels = get('listLabels')
  if (listLabels && list30) {
    const ratio = listLabels.rps / list30.rps
    out.push({
      target: 'list labels vs list page of 30 (per_page 30)',
      measured: `${ratio.toFixed(2)}× (${fmt.int(listLabels.rps)} vs ${fmt.int(list30.rps)} rps)`,
      threshold: '≥ 0.80×',
      pass: ratio >= 0.8,
    })
  }
  const list100 = get('list100')
  const list1000 = get('list1000')
  if (list100 && list1000) {
    const cost = list100.rps / list1000.rps
    out.push({
      target: 'page 1000 cost vs page 1 (per_page 100)',
      measured: `${cost.toFixed(2)}× (${fmt.int(list1000.rps)} vs ${fmt.int(list100.rps)} rps)`,
      threshold: '≤ 2.00×',
      pass: cost <= 2,
    })
  }
  const create = get('create')
  if (create) {
    out.push({
      target: 'create repo (WAL)',
      measured: `${fmt.int(create.rps)} /s`,
      threshold: '≥ 5,000 /s',
      pass: create.rps >= 5000,
    })
    const extra = create.extra ?? {}
    out.push({
      target: 'create: no lost writes (rows = 201s)',
      measured: `${extra.rowsWritten} rows, ${extra.answered201} × 201, ${create.unexpected} other`,
      threshold: 'equal, no other status',
      pass: extra.noLostWrites === true,
    })
  }
  const getRepoPg = get('getRepo@pg')
  if (getRepoPg && getRepo) {
    const ratio = getRepoPg.rps / getRepo.rps
    out.push({
      target: 'GET repo on PostgreSQL vs on SQLite',
      measured: `${ratio.toFixed(2)}× (${fmt.int(getRepoPg.rps)} vs ${fmt.int(getRepo.rps)} rps)`,
      threshold: '≥ 0.50×',
      pass: ratio >= 0.5,
    })
  }
  for (const name of ['create@pg', 'create@pg×2']) {
    const createPg = get(name)
    if (!createPg) continue
    const where = name === 'create@pg' ? 'PostgreSQL' : 'PostgreSQL, 2 instances'
    if (name === 'create@pg') {
      const acknowledged = createPg.statuses['201'] ?? 0
      const perSecond = acknowledged / Math.max(0.001, createPg.durationS)
      out.push({
        target: `create repo on ${where}, acknowledged (201)`,
        measured: `${fmt.int(perSecond)} /s`,
        threshold: '≥ 2,000 /s',
        pass: perSecond >= 2000,
      })
    }
    const extra = createPg.extra ?? {}
    out.push({
      target: `create on ${where}: no lost writes (rows = 201s)`,
      measured: `${extra.rowsWritten} rows, ${extra.answered201} × 201, ${createPg.unexpected} other`,
      threshold: 'equal, no other status',
      pass: extra.noLostWrites === true,
    })
  }
  for (const [engine, peak] of peakRssMb) {
    if (peak <= 0) continue
    out.push({
      target: `server RSS under load (peak sampled)${engine === 'sqlite' ? '' : ` [${ENGINE_LABEL[engine]}]`}`,
      measured: `${peak.toFixed(0)} MB`,
      threshold: '≤ 200 MB',
      pass: peak <= 200,
    })
  }
  return out
}

const ENGINE_LABEL: Record<EngineName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' }

function markdown(results: PhaseResult[], targets: TargetResult[], notes: string[]): string {
  const lines = [
    '| phase | rps | p50 ms | p99 ms | vs ref (a) fixed | vs ref (b) sqlite | PostgreSQL / SQLite | 2 inst. / 1 inst. | RSS after MB | RSS peak MB | CPU % srv/db/gen/other | bad |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of results) {
    const rps = r.opsPerSec ? `${fmt.int(r.rps)} (${fmt.int(r.opsPerSec)} pipelines/s)` : fmt.int(r.rps)
    lines.push(
      `| ${r.title} | ${rps} | ${fmt.ms(r.latencyMs.p50)} | ${fmt.ms(r.latencyMs.p99)} | ${fmt.ratio(r.ratioToFixed)} | ` +
        `${fmt.ratio(r.ratioToDb)} | ${fmt.ratio(r.ratioToSqlite)} | ${fmt.ratio(r.ratioToOneInstance)} | ` +
        `${fmt.mb(r.rssAfterMb)} | ${fmt.mb(r.rssPeakMb)} | ` +
        `${r.cpu.serverPct}/${r.cpu.dbPct}/${r.cpu.generatorPct}/${r.cpu.otherPct} | ${r.unexpected + r.errors} |`,
    )
  }
  lines.push('', '| target | measured | threshold | result |', '| --- | --- | --- | --- |')
  for (const t of targets) {
    lines.push(`| ${t.target} | ${t.measured} | ${t.threshold} | ${t.pass ? 'PASS' : '**MISS**'} |`)
  }
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`))
  return `${lines.join('\n')}\n`
}

function gitInfo(): { commit: string; dirty: boolean } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== ''
    return { commit, dirty }
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------------------
// Main

const log = (line: string) => process.stdout.write(`${line}\n`)
const started = performance.now()
const workDir = mkdtempSync(join(tmpdir(), 'socket-repos-bench-'))
dbPath = join(workDir, 'bench.db')
const children: Child[] = []
/** The run's PostgreSQL database, dropped at the end unless --keep-db. */
let pgDatabase: { name: string; url: string; drop: () => Promise<void> } | undefined
let pgMonitor: pg.Pool | undefined

/** A URL without its password, for printing. */
function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(not a URL)'
  }
}

function sqliteEngine(seeded: SeedResult): Engine {
  return {
    name: 'sqlite',
    label: 'SQLite',
    suffix: '',
    seeded,
    env: {},
    async countRows(orgId, prefix) {
      const sqlite = new Database(dbPath, { readonly: true })
      try {
        return (
          sqlite
            .prepare("SELECT count(*) AS n FROM repos WHERE org_id = ? AND slug LIKE ? ESCAPE '\\'")
            .get(orgId, `${escapeLike(prefix)}%`) as { n: number }
        ).n
      } finally {
        sqlite.close()
      }
    },
    dbPids: async () => [],
  }
}

function postgresEngine(seeded: SeedResult, url: string, monitor: pg.Pool): Engine {
  return {
    name: 'postgres',
    label: 'PostgreSQL',
    suffix: '@pg',
    seeded,
    env: { DATABASE_URL: url },
    async countRows(orgId, prefix) {
      const { rows } = await monitor.query<{ n: string }>(
        "SELECT count(*) AS n FROM repos WHERE org_id = $1 AND slug LIKE $2 ESCAPE '\\'",
        [orgId, `${escapeLike(prefix)}%`],
      )
      return Number(rows[0]?.n ?? 0)
    },
    async dbPids() {
      // The backends of the bench database (the servers' pools) and PostgreSQL's background processes
      // (WAL writer, checkpointer, …: no database), not this monitoring connection.
      const { rows } = await monitor.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
         WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()`,
      )
      return rows.map((r) => r.pid)
    },
  }
}

async function main() {
  log(`socket-repos-server bench: ${cpus().length} CPUs, node ${process.version}, ${DURATION}s/phase`)
  log(`  (+${WARMUP}s warm-up), ${CONNECTIONS} connections, pipelining 1, server LOG_LEVEL=${LOG_LEVEL}`)
  const build = buildChildren()
  log(`compiled src/ and the bench children to plain JS in ${(build.ms / 1000).toFixed(1)} s`)
  if (build.warnings) log(`  tsc reported (emitted anyway):\n${build.warnings.replace(/^/gm, '    ')}`)
  log(`seeding ${dbPath} …`)
  seeded = await seed({ path: dbPath, ...SEED })
  log(
    `  ${fmt.int(seeded.repos)} repos in ${seeded.orgs.length} orgs (${BIG_ORG}: ${fmt.int(SEED.bigOrgRepos)}), ` +
      `${fmt.int(seeded.labels)} labels, ${fmt.int(seeded.associations)} associations in ${(seeded.ms / 1000).toFixed(1)} s`,
  )
  const sqliteSeeded = seeded
  const notes: string[] = []

  const engines: Engine[] = []
  if (ENGINES.has('sqlite')) engines.push(sqliteEngine(sqliteSeeded))
  if (ENGINES.has('postgres')) {
    const name = `socket_repos_bench_${process.pid}`
    try {
      pgDatabase = { name, ...(await createPostgresDatabase(PG_URL, name)) }
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      const line = `PostgreSQL UNREACHABLE at ${redact(PG_URL)} (${why}): the PostgreSQL phases are skipped, SQLite only`
      log(`!! ${line}`)
      notes.push(line)
      if (!ENGINES.has('sqlite')) engines.push(sqliteEngine(sqliteSeeded))
    }
    if (pgDatabase) {
      log(`seeding PostgreSQL database ${name} at ${redact(PG_URL)} …`)
      const pgSeeded = await seedPostgres({ url: pgDatabase.url, ...SEED })
      log(
        `  ${fmt.int(pgSeeded.repos)} repos, ${fmt.int(pgSeeded.labels)} labels, ${fmt.int(pgSeeded.associations)} ` +
          `associations (same ids as SQLite) in ${(pgSeeded.ms / 1000).toFixed(1)} s`,
      )
      pgMonitor = new pg.Pool({ connectionString: pgDatabase.url, max: 2, application_name: 'socket-repos-bench' })
      pgMonitor.on('error', () => {})
      engines.push(postgresEngine(pgSeeded, pgDatabase.url, pgMonitor))
    }
  }

  const all = phases()
  const selected = all.filter((p) => p.target === 'reference' || !ONLY || ONLY.has(p.name))
  if (ONLY) {
    const unknown = [...ONLY].filter((name) => !all.some((p) => p.name === name))
    if (unknown.length > 0)
      throw new Error(`unknown phase(s): ${unknown.join(', ')}; phases: ${all.map((p) => p.name)}`)
  }
  const results = new Map<string, PhaseResult>()
  const printPhase = (r: PhaseResult) => {
    const rss = r.rssAfterMb === undefined ? '' : `  RSS ${fmt.mb(r.rssAfterMb)} MB (peak ${fmt.mb(r.rssPeakMb)})`
    const ratios =
      (r.ratioToDb === undefined ? '' : `  ${fmt.ratio(r.ratioToFixed)} ref(a), ${fmt.ratio(r.ratioToDb)} ref(b)`) +
      (r.ratioToSqlite === undefined ? '' : `, ${fmt.ratio(r.ratioToSqlite)} SQLite`) +
      (r.ratioToOneInstance === undefined ? '' : `, ${fmt.ratio(r.ratioToOneInstance)} 1 instance`)
    const m = r.memory
    const heap = m ? ` (V8 heap ${fmt.mb(m.heapTotal)}, native ${fmt.mb(m.rss - m.heapTotal - m.external)})` : ''
    const cpu = `${heap}  CPU srv/db/gen/other ${r.cpu.serverPct}/${r.cpu.dbPct}/${r.cpu.generatorPct}/${r.cpu.otherPct}%`
    const odd = r.unexpected + r.errors > 0 ? `  !! ${r.unexpected} unexpected, ${r.errors} errors` : ''
    log(
      `  ${r.title.padEnd(46)} ${fmt.int(r.rps).padStart(7)} rps  p50 ${fmt.ms(r.latencyMs.p50)} ms  ` +
        `p99 ${fmt.ms(r.latencyMs.p99)} ms${ratios}${rss}${cpu}${odd}`,
    )
    if (r.extra) log(`      ${JSON.stringify(r.extra)}`)
  }

  const printProfile = (r: PhaseResult) => {
    if (!r.profile) return
    const profile = JSON.parse(readFileSync(r.profile, 'utf8')) as CpuProfile
    log(`\n  CPU profile of ${r.name} (${r.profile}):`)
    log(
      formatSummary(summarize(profile), 15, r.requests)
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    )
    log('')
  }

  log('references (own process):')
  const reference = await startChild('reference-process', { DATABASE_PATH: dbPath })
  children.push(reference)
  for (const phase of selected.filter((p) => p.target === 'reference')) {
    const r = await runPhase(phase, [reference])
    r.memory = toMb(await reference.request({ type: 'memory' }))
    results.set(phase.name, r)
    printPhase(r)
    if (r.profile) printProfile(r)
  }
  await reference.stop()

  const baseEnv: Record<string, string> = {
    DATABASE_PATH: dbPath,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL,
    BOOTSTRAP: 'false',
    QUOTA_DEFAULT_MAX: String(SEED.maxQuota),
    ADMIN_SECRET: '',
    CORS_ORIGINS: '',
    QUOTA_COSTS: '',
  }
  const overrides: Record<string, string> = {}
  for (const pair of args['server-env']) {
    const at = pair.indexOf('=')
    if (at < 1) throw new Error(`--server-env wants KEY=VALUE, got ${pair}`)
    overrides[pair.slice(0, at)] = pair.slice(at + 1)
  }
  if (Object.keys(overrides).length > 0) log(`  WHAT-IF environment: ${JSON.stringify(overrides)}`)
  const extraNodeArgs = args['server-node-args'].split(/\s+/).filter(Boolean)
  const nodeArgs = [...PRODUCTION_NODE_FLAGS, ...extraNodeArgs]
  const refFixed = results.get('refFixed')
  const refDb = results.get('refDb')
  const peakRss = new Map<EngineName, number>()
  const servers: Partial<Record<EngineName, Record<string, unknown>>> = {}

  /** Sets the ratios of a server phase's result, prints and keeps it. */
  const record = (r: PhaseResult, base: string) => {
    if (refFixed) r.ratioToFixed = r.rps / refFixed.rps
    if (refDb) r.ratioToDb = r.rps / refDb.rps
    const onSqlite = results.get(base)
    if (r.engine !== 'sqlite' && onSqlite) r.ratioToSqlite = r.rps / onSqlite.rps
    const oneInstance = r.instances > 1 ? results.get(r.name.replace(/×\d+$/, '')) : undefined
    if (oneInstance) r.ratioToOneInstance = r.rps / oneInstance.rps
    results.set(r.name, r)
    peakRss.set(r.engine, Math.max(peakRss.get(r.engine) ?? 0, r.rssPeakMb ?? 0))
    printPhase(r)
    if (r.profile) printProfile(r)
  }
  /** Runs one phase; on PostgreSQL a broken phase is reported and the run goes on (SQLite's stops the run). */
  const attempt = async (phase: Phase, engine: Engine, run: () => Promise<PhaseResult>) => {
    try {
      return await run()
    } catch (error) {
      if (engine.name === 'sqlite') throw error
      const line = `${phase.name} NOT MEASURED: ${error instanceof Error ? error.message : String(error)}`
      log(`  !! ${line}`)
      notes.push(line)
      return undefined
    }
  }

  for (const engine of engines) {
    seeded = engine.seeded
    const serverEnv = { ...baseEnv, ...engine.env, ...overrides }
    log(`server on ${engine.label} (own process, auth + quota on):`)
    const server = await startChild('server-process', serverEnv, nodeArgs)
    children.push(server)
    const startRss = memoryOf(server.pid)
    const startMemory = await server.request({ type: 'memory' })
    log(`  started: ${describeMemory(startMemory)}`)
    const engineSelected = phases(engine).filter(
      (p) => p.target === 'server' && (!ONLY || ONLY.has(p.name.slice(0, p.name.length - engine.suffix.length))),
    )
    for (const phase of engineSelected) {
      if (phase.name === `list1000${engine.suffix}`) {
        const cold = await coldDeepPage(server.port)
        notes.push(
          `${engine.label}: page 1000 from cold (no remembered position near it): first request ${fmt.ms(cold.firstMs)} ms, ` +
            `the same page again ${fmt.ms(cold.againMs)} ms, page 1 ${fmt.ms(cold.page1Ms)} ms (single requests, idle server)`,
        )
        log(`  ${notes[notes.length - 1]}`)
      }
      const r = await attempt(phase, engine, () => runPhase(phase, [server], engine))
      if (!r) continue
      r.memory = toMb(await server.request({ type: 'memory' }))
      record(r, phase.name.slice(0, phase.name.length - engine.suffix.length))
    }
    const endRss = memoryOf(server.pid)
    const endMemory = await server.request({ type: 'memory' })
    log(`  at the end: ${describeMemory(endMemory)}`)
    const liveMemory = await server.request({ type: 'memory', gc: true })
    log(`  after a full GC: ${describeMemory(liveMemory)}`)
    servers[engine.name] = {
      rssStartMb: (startRss?.rss ?? 0) / MB,
      rssEndMb: (endRss?.rss ?? 0) / MB,
      rssPeakUnderLoadMb: peakRss.get(engine.name) ?? 0,
      vmHwmMb: (endRss?.hwm ?? 0) / MB,
      memoryAtStartMb: toMb(startMemory),
      memoryAtEndMb: toMb(endMemory),
      memoryAfterGcMb: toMb(liveMemory),
    }

    // Two instances on the same database, the load split over both (PostgreSQL only: SQLite is one process's).
    const twoInstance = engineSelected.filter((p) =>
      TWO_INSTANCE_PHASES.some((base) => p.name === `${base}${engine.suffix}`),
    )
    if (engine.name === 'postgres' && twoInstance.length > 0) {
      log(`two server instances on the same ${engine.label} database, ${CONNECTIONS / 2} connections each:`)
      const second = await startChild('server-process', serverEnv, nodeArgs)
      children.push(second)
      for (const base of twoInstance) {
        const phase = onTwoInstances(base)
        const r = await attempt(phase, engine, () => runPhase(phase, [server, second], engine))
        if (r) record(r, base.name.slice(0, base.name.length - engine.suffix.length))
      }
      await second.stop()
    }
    await server.stop()
  }

  const noisy = [...results.values()].filter((r) => r.cpu.otherPct >= 15)
  if (noisy.length > 0) {
    notes.push(
      `NOISE: other processes used ≥ 15% of a core during ${noisy.map((r) => r.name).join(', ')}; ` +
        'those numbers are low. Re-run on a quiet machine.',
    )
  }
  if (PROFILE.size > 0) notes.push('CPU profiling was on: server rps are lower than in an unprofiled run.')
  notes.push(`server node flags: ${nodeArgs.join(' ')}`)
  if (Object.keys(overrides).length > 0) {
    notes.push(`WHAT-IF run, server environment changed: ${JSON.stringify(overrides)} (targets assume the defaults)`)
  }
  notes.push(
    `seed: ${fmt.int(sqliteSeeded.repos)} repos (${BIG_ORG}: ${fmt.int(SEED.bigOrgRepos)}, ${SEED.otherOrgs} orgs × ` +
      `${fmt.int(SEED.otherOrgRepos)}), ${fmt.int(sqliteSeeded.labels)} labels, ${fmt.int(sqliteSeeded.associations)} ` +
      `associations, the same rows and ids on every engine`,
  )
  notes.push(
    `engines: ${engines.map((e) => e.label).join(', ')}` +
      (pgDatabase
        ? ` (PostgreSQL: database ${pgDatabase.name} at ${redact(PG_URL)}, same machine, the server's default pool)`
        : ''),
  )
  notes.push(
    `${CONNECTIONS} connections, pipelining 1, ${WARMUP}s warm-up + ${DURATION}s per phase (create: a fixed number of ` +
      'requests), load generator and server on the same machine; server LOG_LEVEL=' +
      LOG_LEVEL,
  )
  if ([...results.values()].some((r) => r.instances > 1)) {
    notes.push(
      `2 instances: two server processes on one PostgreSQL database, ${CONNECTIONS / 2} connections to each ` +
        '(two autocannon runs at once, rps summed; p50/p99 the higher of the two). On a 2-core machine the ' +
        'instances, PostgreSQL and the load generator share the cores: this measures correctness under load ' +
        'and contention, not scaling.',
    )
  }

  const ordered = [...results.values()]
  const targets = evaluateTargets(results, peakRss)
  const table = markdown(ordered, targets, notes)
  const summary = {
    when: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      platform: process.platform,
    },
    git: gitInfo(),
    settings: {
      durationS: DURATION,
      warmupS: WARMUP,
      connections: CONNECTIONS,
      pipelining: 1,
      serverLogLevel: LOG_LEVEL,
      profiled: [...PROFILE],
      serverNodeArgs: nodeArgs,
      serverEnvOverrides: overrides,
      engines: engines.map((e) => e.name),
      postgres: pgDatabase ? { url: redact(PG_URL), database: pgDatabase.name } : undefined,
    },
    seed: {
      ...SEED,
      repos: sqliteSeeded.repos,
      labels: sqliteSeeded.labels,
      associations: sqliteSeeded.associations,
      ms: sqliteSeeded.ms,
      postgresMs: engines.find((e) => e.name === 'postgres')?.seeded.ms,
    },
    /** The SQLite server's memory (as before engines); `servers` has every engine's. */
    server: servers.sqlite,
    servers,
    phases: ordered,
    targets,
    notes,
    totalS: (performance.now() - started) / 1000,
  }
  writeFileSync(join(resultsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  writeFileSync(join(resultsDir, 'summary.md'), table)
  log(`\n${table}`)
  for (const [name, server] of Object.entries(servers)) {
    log(
      `server peak RSS on ${ENGINE_LABEL[name as EngineName]} (VmHWM, incl. startup): ${fmt.mb(server.vmHwmMb as number)} MB`,
    )
  }
  log(`written: bench/results/summary.json, bench/results/summary.md (${summary.totalS.toFixed(0)} s in all)`)
  if (args['keep-db']) {
    log(`database kept: ${dbPath}`)
    if (pgDatabase) log(`PostgreSQL database kept: ${pgDatabase.name} (${redact(pgDatabase.url)})`)
  }
}

try {
  await main()
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
} finally {
  for (const child of children) await child.stop().catch(() => {})
  await pgMonitor?.end().catch(() => {})
  if (!args['keep-db']) {
    rmSync(workDir, { recursive: true, force: true })
    await pgDatabase?.drop().catch((error: unknown) => {
      process.stderr.write(`could not drop PostgreSQL database ${pgDatabase?.name}: ${String(error)}\n`)
    })
  }
}
