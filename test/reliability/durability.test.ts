import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { closedAfterTest, tempDir } from '../helpers/fixtures.js'
import { type StartedServer, startServer } from '../helpers/process.js'

/**
 * Crash durability: the real server process (`src/server.ts`) takes a create load from several
 * concurrent loops and is killed with SIGKILL mid-load — no graceful shutdown, no checkpoint.
 * After a restart on the same file, every create that was acknowledged with a 201 must be there
 * with the id it was acknowledged with, nothing that was never sent may be there, and SQLite's
 * integrity check must pass. Run for the default `synchronous=NORMAL` and for `FULL`.
 */

const TOKEN = 'durability-token-0123456789'
const ORG = 'dur'
const LOOPS = 8
/** Acknowledged creates per cycle before the kill; the loops keep requests in flight meanwhile. */
const ACKS_BEFORE_KILL = 250
const CYCLES = 2

interface Load {
  attempted: Set<string>
  acknowledged: Map<string, string>
  inFlightAtKill: number
}

async function createLoad(server: StartedServer, cycle: number, load: Load): Promise<void> {
  let inFlight = 0
  let killed = false
  let acksThisCycle = 0
  const loop = async (worker: number) => {
    for (let i = 0; !killed; i++) {
      const slug = `c${cycle}-w${worker}-${i}`
      load.attempted.add(slug)
      inFlight++
      try {
        const response = await fetch(`${server.url}/v0/orgs/${ORG}/repos`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ slug, description: `cycle ${cycle}, worker ${worker}, #${i}` }),
        })
        const body = (await response.json()) as { id?: string }
        if (response.status !== 201 || !body.id) throw new Error(`create ${slug}: ${response.status}`)
        // Acknowledged: the 201 and its body were received.
        load.acknowledged.set(slug, body.id)
        acksThisCycle++
        if (acksThisCycle >= ACKS_BEFORE_KILL && !killed) {
          killed = true
          load.inFlightAtKill = inFlight - 1
          server.child.kill('SIGKILL')
        }
      } catch (error) {
        if (!killed) throw error
        return // the server is gone: this request was never acknowledged
      } finally {
        inFlight--
      }
    }
  }
  const exited = reaped(server)
  await Promise.all(Array.from({ length: LOOPS }, (_, worker) => loop(worker)))
  await exited
}

/**
 * Resolves once the process has exited. (The helper's `stop` waits for a 'close' event, which
 * never comes again for a process that is already gone.)
 */
function reaped(server: StartedServer): Promise<void> {
  const { child } = server
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Every repo of the org, through the API, 100 per page. */
async function listAll(server: StartedServer): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  for (let page = 1; ; page++) {
    const response = await fetch(
      `${server.url}/v0/orgs/${ORG}/repos?per_page=100&page=${page}&sort=created_at&direction=asc&include_archived=true`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    )
    expect(response.status).toBe(200)
    const body = (await response.json()) as { results: { id: string; slug: string }[]; nextPage: number | null }
    for (const repo of body.results) found.set(repo.slug, repo.id)
    if (body.nextPage === null) return found
    expect(body.nextPage).toBe(page + 1)
  }
}

describe('durability across SIGKILL', () => {
  it.each(['NORMAL', 'FULL'])(
    'with DATABASE_SYNCHRONOUS=%s every acknowledged create survives kill -9, and the file is intact',
    async (synchronous) => {
      const dir = tempDir(`durability-${synchronous}`)
      const env = {
        DATABASE_PATH: dir.file('socket.db'),
        DATABASE_SYNCHRONOUS: synchronous,
        BOOTSTRAP_TOKEN: TOKEN,
        BOOTSTRAP_ORG_SLUG: ORG,
        QUOTA_DEFAULT_MAX: '1000000',
      }
      const load: Load = { attempted: new Set(), acknowledged: new Map(), inFlightAtKill: 0 }

      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const server = await startServer(env)
        if (cycle > 1) {
          // What survived the previous kill is still there after this restart too.
          const found = await listAll(server)
          for (const [slug, id] of load.acknowledged) expect(found.get(slug), slug).toBe(id)
        }
        await createLoad(server, cycle, load)
        expect(server.child.signalCode).toBe('SIGKILL')
        // The kill really happened mid-load: other creates were in flight.
        expect(load.inFlightAtKill).toBeGreaterThan(0)
      }

      const server = await startServer(env)
      const found = await listAll(server)
      const lost = [...load.acknowledged].filter(([slug, id]) => found.get(slug) !== id)
      expect(lost, `${lost.length} acknowledged creates lost or changed`).toEqual([])
      // Nothing appears that was never sent (an unacknowledged create may or may not have landed).
      const phantoms = [...found.keys()].filter((slug) => !load.attempted.has(slug))
      expect(phantoms).toEqual([])
      expect(load.acknowledged.size).toBeGreaterThanOrEqual(CYCLES * ACKS_BEFORE_KILL)
      expect(await server.stop('SIGTERM')).toBe(0)

      const sqlite = closedAfterTest(new Database(env.DATABASE_PATH))
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(sqlite.pragma('foreign_key_check')).toEqual([])
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal')
      const count = sqlite.prepare('SELECT count(*) AS n FROM repos').get() as { n: number }
      expect(count.n).toBe(found.size)
    },
    90_000,
  )
})
