import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { onTestFinished } from 'vitest'
import { buildApp } from '../../src/app.js'
import { type Config, testConfig } from '../../src/config.js'
import { type DbOptions, openSqliteDatabase, type SqliteDatabase } from '../../src/db/sqlite/index.js'
import { runMigrations } from '../../src/db/sqlite/migrate.js'
import { createServer, type Fixture, type SocketReposServer } from '../../src/index.js'
import type { Services } from '../../src/services/index.js'
import { installContractCheck } from './contract.js'
import { freshSchema, schemaOfFile, testDatabaseUrl } from './database.js'
import { once, useFixture } from './fixtures.js'
import { type AuthScheme, authorization, type Listening, listen } from './http.js'

export interface TestApp {
  app: FastifyInstance
  services: Services
  /** The default org of the fixture. */
  org: { id: string; slug: string }
  /** An all-scopes token of that org. */
  token: string
  /** Authorization headers for a token (Bearer by default, Basic as Socket's clients send it). */
  auth(token?: string, scheme?: AuthScheme): { authorization: string }
  /** Listens on a free port of 127.0.0.1, for clients that need a socket. */
  listen(): Promise<Listening>
  /** Closes the app early; it is closed after the test (or the suite) anyway. */
  close(): Promise<void>
}

export interface TestAppOptions {
  config?: Partial<Config>
  now?: () => number
  /** A database of the test's own (SQLite-specific tests); by default a fresh one of the engine under test. */
  db?: SqliteDatabase
  orgSlug?: string
  /** SQLite whatever the engine under test: for suites about SQLite itself (its file locking, its WAL). */
  engine?: 'sqlite'
}

/**
 * The real app on a fresh database of the engine under test (database.ts), with one org and an
 * all-scopes token, every response checked against the spec.
 */
async function buildTestApp(options: TestAppOptions): Promise<TestApp> {
  const file = options.config?.databasePath
  const schema =
    options.db !== undefined || options.engine === 'sqlite' || !testDatabaseUrl
      ? undefined
      : file !== undefined && file !== ':memory:'
        ? { ...(await schemaOfFile(testDatabaseUrl, file)), drop: async () => {} }
        : await freshSchema(testDatabaseUrl)
  const app = await buildApp({
    config: testConfig({ ...options.config, ...(schema ? { databaseUrl: schema.url, databasePoolMax: 4 } : {}) }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.db ? { db: options.db } : {}),
  })
  const close = once(async () => {
    await app.close()
    await schema?.drop()
  })
  try {
    installContractCheck(app)
    await app.ready()
    const services = app.services
    const slug = options.orgSlug ?? 'acme'
    const org = (await services.orgs.findBySlug(slug)) ?? (await services.orgs.create({ slug, name: 'Acme Inc.' }))
    const { secret } = await services.tokens.issue({ orgSlug: slug, name: 'test', maxQuota: 100_000 })
    return {
      app,
      services,
      org: { id: org.id, slug: org.slug },
      token: secret,
      auth: (token = secret, scheme = 'bearer') => ({ authorization: authorization(token, scheme) }),
      listen: () => listen(app),
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** The test app of the running test (call it in a test or a `beforeEach`), closed when the test finishes. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  let built: TestApp | undefined
  // Registered first: outside a test this throws before anything is opened (use useTestApp there).
  onTestFinished(() => built?.close())
  built = await buildTestApp(options)
  return built
}

/**
 * At describe level: a fresh test app for each test of the block, or (`shared`) one for all of
 * them; closed after each test (after the block). `options` may be a function, read when the app is built.
 */
export function useTestApp(
  options: TestAppOptions | (() => TestAppOptions) = {},
  { shared = false }: { shared?: boolean } = {},
): TestApp {
  return useFixture(() => buildTestApp(typeof options === 'function' ? options() : options), { shared })
}

/** One request; `token` is a token of the fixture's org by default, null for no credentials. */
export function request(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  url: string,
  options: { token?: string | null; payload?: unknown } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: options.token === null ? {} : t.auth(options.token),
    ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }),
  })
}

/**
 * The packaged server (`createServer`) over HTTPS with the certificate given, on an in-memory
 * database seeded with `fixture` only. Not closed by itself: wrap it in `closedAfterTest` or `useFixture`.
 */
export function createHttpsServer(
  tls: { certFile: string; keyFile: string },
  fixture: Fixture,
): Promise<SocketReposServer> {
  return createServer({
    env: {
      DATABASE_PATH: ':memory:',
      LOG_LEVEL: 'silent',
      BOOTSTRAP: 'false',
      TLS_CERT_FILE: tls.certFile,
      TLS_KEY_FILE: tls.keyFile,
    },
    fixture,
  })
}

/** A migrated SQLite database (`openDb`'s options: a file of the test's, or `:memory:`), for SQLite-specific tests. */
export function openTestDb(options: DbOptions): SqliteDatabase {
  const database = openSqliteDatabase(options)
  runMigrations(database.db)
  return database
}

/** `openTestDb`, closed when the running test finishes, after the apps built on it. */
export function createTestDb(options: DbOptions): SqliteDatabase {
  const database = openTestDb(options)
  onTestFinished(() => {
    database.db.$client.close()
  })
  return database
}

/** Issues a token of an existing org. */
export async function issueToken(
  services: Services,
  options: { orgSlug: string; scopes?: string[]; maxQuota?: number },
): Promise<string> {
  const { secret } = await services.tokens.issue({ name: 'fixture', ...options })
  return secret
}
