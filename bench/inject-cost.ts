/**
 * CPU per GET repo through `app.inject` (no socket, no load generator): the server's whole request path
 * (auth, quota, request id, metrics, journal, log line at LOG_LEVEL=info on stdout), or reference (b), on a
 * small database file seeded through the services. Under valgrind's cachegrind its instruction count is the
 * same however loaded the machine is, so two builds or two sets of node flags can be compared on a shared
 * machine (bench/README.md, "Instructions per request").
 *
 *   node bench/results/build/bench/inject-cost.js server|reference <warm-up requests> <measured requests> >/dev/null
 *
 * Prints the measured CPU per request on stderr; stdout carries the server's log lines.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { buildReference } from './reference-app.js'

const [which = 'server', warm = '1500', measured = '4500'] = process.argv.slice(2)
if (which !== 'server' && which !== 'reference') throw new Error('first argument: server or reference')

const REPOS = 500
const dir = mkdtempSync(join(tmpdir(), 'inject-cost-'))
const path = join(dir, 'inject-cost.db')
// Verified tokens and quota leases kept for the whole run: under valgrind the run is some fifty times slower,
// and the default 5 s would expire them every few dozen requests instead of every 25,000 or so.
const env = { DATABASE_PATH: path, LOG_LEVEL: 'info', BOOTSTRAP: 'false', AUTH_CACHE_TTL_MS: '3600000' }
const app = await buildApp({ config: loadConfig(env) })
await app.ready()
const org = await app.services.orgs.create({ slug: 'bench-big' })
const { secret } = await app.services.tokens.issue({ orgSlug: 'bench-big', maxQuota: 1e12 })
const slug = (i: number) => `repo-${String(i % REPOS).padStart(6, '0')}`
for (let i = 0; i < REPOS; i += 50) {
  await Promise.all(
    Array.from({ length: 50 }, (_, j) =>
      app.services.repos.create(org.id, { slug: slug(i + j) }, { returnExisting: false }),
    ),
  )
}
const target = which === 'server' ? app : await buildReference(path)
const headers = { authorization: `Bearer ${secret}` }

/** `count` requests, ten at a time, to slugs spread over the org; any answer but 200 is an error. */
async function run(count: number) {
  for (let i = 0; i < count; i += 10) {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        target.inject({ method: 'GET', url: `/v0/orgs/bench-big/repos/${slug((i + j) * 7919)}`, headers }),
      ),
    )
    const bad = answers.find((answer) => answer.statusCode !== 200)
    if (bad) throw new Error(`GET repo answered ${bad.statusCode}: ${bad.body}`)
  }
}

await run(Number(warm))
const before = process.cpuUsage()
await run(Number(measured))
const used = process.cpuUsage(before)
process.stderr.write(`${which}: ${((used.user + used.system) / Number(measured)).toFixed(1)} µs of CPU per request\n`)
if (target !== app) await target.close()
await app.close()
rmSync(dir, { recursive: true, force: true })
