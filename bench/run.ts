/**
 * `npm run bench`: seeds 100k+ repos, starts the server (and the references) in child processes, drives
 * them with autocannon phase by phase, and reports rps, latency, ratios to the references, server RSS and
 * PASS/MISS per target. See bench/README.md.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import { buildChildren, type Child, cpuMeter, memoryOf, startChild } from './child.js'
import type { MemoryReport } from './ipc.js'
import { type CpuProfile, formatSummary, summarize } from './profile-summary.js'
import { BIG_ORG, CI_ORG, repoSlug, type SeededOrg, type SeedResult, seed } from './seed.js'

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
  --keep-db                 keep the seeded database (its path is printed)
`)
  process.exit(0)
}

const DURATION = Number(args.duration)
const WARMUP = Number(args.warmup)
const CONNECTIONS = Number(args.connections)
const ONLY = args.only ? new Set(args.only.split(',').map((s) => s.trim())) : undefined
const PROFILE = args.profile ? new Set(args.profile.split(',').map((s) => s.trim())) : new Set<string>()
const LOG_LEVEL = args['log-level']
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
  after?: (run: string, result: autocannon.Result) => Record<string, number | string | boolean>
}

interface PhaseResult {
  name: string
  title: string
  target: Target
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
  cpu: { serverPct: number; generatorPct: number; otherPct: number }
  ratioToFixed?: number
  ratioToDb?: number
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

function phases(): Phase[] {
  const big = orgOf(BIG_ORG)
  const ci = orgOf(CI_ORG)
  /** Label ids the mixed workload created, by name, so that a re-run pipeline (409) finds its label. */
  const pipelineLabels = new Map<string, string>()

  return [
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
      after: (run, result) => {
        // No lost writes: every 201 is a row, and no row exists that was not answered 201.
        const sqlite = new Database(dbPath, { readonly: true })
        try {
          const rows = (
            sqlite
              .prepare("SELECT count(*) AS n FROM repos WHERE org_id = ? AND slug LIKE ? ESCAPE '\\'")
              .get(big.id, `${run.replace(/[\\%_]/g, (c) => `\\${c}`)}-%`) as { n: number }
          ).n
          const created = result.statusCodeStats?.['201']?.count ?? 0
          return { rowsWritten: rows, answered201: created, noLostWrites: rows === created && result.non2xx === 0 }
        } finally {
          sqlite.close()
        }
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
): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
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

async function runPhase(phase: Phase, child: Child): Promise<PhaseResult> {
  const warm = await cannon(child.port, phase.requests(`w${Date.now().toString(36)}`), { duration: WARMUP })
  const warmStatuses = statusesOf(warm)
  const warmBad = Object.entries(warmStatuses).filter(([code]) => !phase.expected.includes(Number(code)))
  if (warm.requests.total === 0 || warmBad.length > 0 || warm.errors > 0) {
    throw new Error(
      `${phase.name}: warm-up answered ${JSON.stringify(warmStatuses)} with ${warm.errors} errors ` +
        `(expected ${phase.expected.join('/')}); not measuring a broken phase`,
    )
  }

  const run = `m${Date.now().toString(36)}`
  const profiled = (phase.target === 'server' && PROFILE.has('all')) || PROFILE.has(phase.name)
  const profileFile = join(profilesDir, `${phase.name}.cpuprofile`)
  let peak = 0
  const sampler = setInterval(() => {
    peak = Math.max(peak, memoryOf(child.pid)?.rss ?? 0)
  }, 200)
  if (profiled) await child.request({ type: 'profile-start' })
  const warmRps = warm.requests.total / Math.max(0.001, warm.duration)
  const limit = phase.byAmount
    ? { amount: Math.max(CONNECTIONS * 20, Math.round(warmRps * DURATION)) }
    : { duration: DURATION }
  const meter = cpuMeter(child.pid)
  const result = await cannon(child.port, phase.requests(run), limit)
  const cpu = meter()
  if (profiled) await child.request({ type: 'profile-stop', file: profileFile })
  clearInterval(sampler)
  const after = memoryOf(child.pid)
  peak = Math.max(peak, after?.rss ?? 0)

  const statuses = statusesOf(result)
  const unexpected = Object.entries(statuses)
    .filter(([code]) => !phase.expected.includes(Number(code)))
    .reduce((sum, [, n]) => sum + n, 0)
  const rps = result.requests.total / Math.max(0.001, result.duration)
  return {
    name: phase.name,
    title: phase.title,
    target: phase.target,
    rps,
    ...(phase.requestsPerOp ? { opsPerSec: rps / phase.requestsPerOp } : {}),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: result.latency.mean,
      max: result.latency.max,
    },
    requests: result.requests.total,
    durationS: result.duration,
    connections: CONNECTIONS,
    statuses,
    unexpected,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    cpu,
    ...(after ? { rssAfterMb: after.rss / MB, rssPeakMb: peak / MB } : {}),
    ...(phase.after ? { extra: phase.after(run, result) } : {}),
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

function evaluateTargets(results: Map<string, PhaseResult>, peakRssMb: number): TargetResult[] {
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
  if (peakRssMb > 0) {
    out.push({
      target: 'server RSS under load (peak sampled)',
      measured: `${peakRssMb.toFixed(0)} MB`,
      threshold: '≤ 200 MB',
      pass: peakRssMb <= 200,
    })
  }
  return out
}

function markdown(results: PhaseResult[], targets: TargetResult[], notes: string[]): string {
  const lines = [
    '| phase | rps | p50 ms | p99 ms | vs ref (a) fixed | vs ref (b) sqlite | RSS after MB | RSS peak MB | CPU % srv/gen/other | bad |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of results) {
    const rps = r.opsPerSec ? `${fmt.int(r.rps)} (${fmt.int(r.opsPerSec)} pipelines/s)` : fmt.int(r.rps)
    lines.push(
      `| ${r.title} | ${rps} | ${fmt.ms(r.latencyMs.p50)} | ${fmt.ms(r.latencyMs.p99)} | ${fmt.ratio(r.ratioToFixed)} | ` +
        `${fmt.ratio(r.ratioToDb)} | ${fmt.mb(r.rssAfterMb)} | ${fmt.mb(r.rssPeakMb)} | ` +
        `${r.cpu.serverPct}/${r.cpu.generatorPct}/${r.cpu.otherPct} | ${r.unexpected + r.errors} |`,
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

  const all = phases()
  const selected = all.filter((p) => p.target === 'reference' || !ONLY || ONLY.has(p.name))
  if (ONLY) {
    const unknown = [...ONLY].filter((name) => !all.some((p) => p.name === name))
    if (unknown.length > 0)
      throw new Error(`unknown phase(s): ${unknown.join(', ')}; phases: ${all.map((p) => p.name)}`)
  }
  const results = new Map<string, PhaseResult>()
  const notes: string[] = []
  const printPhase = (r: PhaseResult) => {
    const rss = r.rssAfterMb === undefined ? '' : `  RSS ${fmt.mb(r.rssAfterMb)} MB (peak ${fmt.mb(r.rssPeakMb)})`
    const ratios =
      r.ratioToDb === undefined ? '' : `  ${fmt.ratio(r.ratioToFixed)} ref(a), ${fmt.ratio(r.ratioToDb)} ref(b)`
    const m = r.memory
    const heap = m ? ` (V8 heap ${fmt.mb(m.heapTotal)}, native ${fmt.mb(m.rss - m.heapTotal - m.external)})` : ''
    const cpu = `${heap}  CPU ${r.cpu.serverPct}/${r.cpu.generatorPct}/${r.cpu.otherPct}%`
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
    const r = await runPhase(phase, reference)
    r.memory = toMb(await reference.request({ type: 'memory' }))
    results.set(phase.name, r)
    printPhase(r)
    if (r.profile) printProfile(r)
  }
  await reference.stop()

  log('server (own process, auth + quota on):')
  const serverEnv: Record<string, string> = {
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
  Object.assign(serverEnv, overrides)
  if (Object.keys(overrides).length > 0) log(`  WHAT-IF environment: ${JSON.stringify(overrides)}`)
  const extraNodeArgs = args['server-node-args'].split(/\s+/).filter(Boolean)
  const nodeArgs = [...PRODUCTION_NODE_FLAGS, ...extraNodeArgs]
  const server = await startChild('server-process', serverEnv, nodeArgs)
  children.push(server)
  const startRss = memoryOf(server.pid)
  const startMemory = await server.request({ type: 'memory' })
  log(`  started: ${describeMemory(startMemory)}`)
  const refFixed = results.get('refFixed')
  const refDb = results.get('refDb')
  let peakRss = 0
  for (const phase of selected.filter((p) => p.target === 'server')) {
    if (phase.name === 'list1000') {
      const cold = await coldDeepPage(server.port)
      notes.push(
        `page 1000 from cold (no remembered position near it): first request ${fmt.ms(cold.firstMs)} ms, ` +
          `the same page again ${fmt.ms(cold.againMs)} ms, page 1 ${fmt.ms(cold.page1Ms)} ms (single requests, idle server)`,
      )
      log(`  ${notes[notes.length - 1]}`)
    }
    const r = await runPhase(phase, server)
    r.memory = toMb(await server.request({ type: 'memory' }))
    if (refFixed) r.ratioToFixed = r.rps / refFixed.rps
    if (refDb) r.ratioToDb = r.rps / refDb.rps
    results.set(phase.name, r)
    peakRss = Math.max(peakRss, r.rssPeakMb ?? 0)
    printPhase(r)
    if (r.profile) printProfile(r)
  }
  const endRss = memoryOf(server.pid)
  const endMemory = await server.request({ type: 'memory' })
  log(`  at the end: ${describeMemory(endMemory)}`)
  const liveMemory = await server.request({ type: 'memory', gc: true })
  log(`  after a full GC: ${describeMemory(liveMemory)}`)
  await server.stop()

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
    `seed: ${fmt.int(seeded.repos)} repos (${BIG_ORG}: ${fmt.int(SEED.bigOrgRepos)}, ${SEED.otherOrgs} orgs × ` +
      `${fmt.int(SEED.otherOrgRepos)}), ${fmt.int(seeded.labels)} labels, ${fmt.int(seeded.associations)} associations`,
  )
  notes.push(
    `${CONNECTIONS} connections, pipelining 1, ${WARMUP}s warm-up + ${DURATION}s per phase (create: a fixed number of ` +
      'requests), load generator and server on the same machine; server LOG_LEVEL=' +
      LOG_LEVEL,
  )

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
    },
    seed: { ...SEED, repos: seeded.repos, labels: seeded.labels, associations: seeded.associations, ms: seeded.ms },
    server: {
      rssStartMb: (startRss?.rss ?? 0) / MB,
      rssEndMb: (endRss?.rss ?? 0) / MB,
      rssPeakUnderLoadMb: peakRss,
      vmHwmMb: (endRss?.hwm ?? 0) / MB,
      memoryAtStartMb: toMb(startMemory),
      memoryAtEndMb: toMb(endMemory),
      memoryAfterGcMb: toMb(liveMemory),
    },
    phases: ordered,
    targets,
    notes,
    totalS: (performance.now() - started) / 1000,
  }
  writeFileSync(join(resultsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  writeFileSync(join(resultsDir, 'summary.md'), table)
  log(`\n${table}`)
  log(`server peak RSS (VmHWM, incl. startup): ${fmt.mb(summary.server.vmHwmMb)} MB`)
  log(`written: bench/results/summary.json, bench/results/summary.md (${summary.totalS.toFixed(0)} s in all)`)
  if (args['keep-db']) log(`database kept: ${dbPath}`)
}

try {
  await main()
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
} finally {
  for (const child of children) await child.stop().catch(() => {})
  if (!args['keep-db']) rmSync(workDir, { recursive: true, force: true })
}
