import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { type Config, loadConfig, testConfig } from './config.js'
import type { JournalEntry, JournalFilter } from './http/plugins/request-journal.js'
import type { Fixture, ResetOptions } from './services/state-service.js'

export { buildApp } from './app.js'
export { type Config, ConfigError, loadConfig, testConfig } from './config.js'
export type { JournalEntry, JournalFilter } from './http/plugins/request-journal.js'
export type { Fixture, ResetOptions } from './services/state-service.js'

export interface CreateServerOptions {
  /** Settings over the in-process defaults: an in-memory database, silent logs, no bootstrap org. */
  config?: Partial<Config>
  /** Read settings from these environment variables instead (as the server binary does). */
  env?: Record<string, string | undefined>
  /** Seeded before the server is returned. */
  fixture?: Fixture
  /** The clock (epoch ms), e.g. to cross quota windows in tests. */
  now?: () => number
}

export interface SocketReposServer {
  /** The Fastify app: `inject` requests, or `listen()` for real HTTP. */
  app: FastifyInstance
  /** Starts listening (default: a free port on 127.0.0.1); resolves to the API base URL ending in `/v0`. */
  listen(options?: { port?: number; host?: string }): Promise<string>
  /** Adds a fixture's orgs, tokens, repos and labels. */
  seed(fixture: Fixture): Promise<Record<string, number>>
  /** Clears repos and labels (of one org, or all) and refills quotas; `{ everything: true }` empties it all. */
  reset(options?: ResetOptions): Promise<void>
  /** The whole state as a fixture. */
  export(): Promise<unknown>
  /** The journal of API requests received, newest first (`GET /_admin/requests`): no header, no token value. */
  requests(filter?: JournalFilter): JournalEntry[]
  /** Empties the request journal. */
  clearRequests(): void
  close(): Promise<void>
}

/**
 * An isolated server in the current process — by default on its own in-memory database — for test
 * suites: one per test file, seeded from a fixture, closed in `afterAll`.
 */
export async function createServer(options: CreateServerOptions = {}): Promise<SocketReposServer> {
  const base = options.env ? loadConfig(options.env) : testConfig()
  const config: Config = Object.freeze({ ...base, ...options.config })
  const app = await buildApp({ config, ...(options.now ? { now: options.now } : {}) })
  await app.ready()
  const { state } = app.services
  if (options.fixture) await state.seed(options.fixture)
  return {
    app,
    async listen({ port = 0, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host })
      const address = app.server.address()
      const bound = typeof address === 'object' && address ? address.port : port
      return `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}/v0`
    },
    seed: (fixture) => state.seed(fixture),
    reset: (resetOptions) => state.reset(resetOptions),
    export: () => state.export(),
    requests: (filter) => app.requestJournal.list(filter),
    clearRequests: () => app.requestJournal.clear(),
    close: () => app.close(),
  }
}
