import { describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { ConfigError, testConfig } from '../src/config.js'
import { isForeignKeyError, isUnavailableError, openDatabase } from '../src/db/index.js'
import { isUnavailableError as isPgUnavailable } from '../src/db/postgres/errors.js'
import { createServer } from '../src/index.js'
import { freshSchema, testDatabaseUrl } from './helpers/database.js'
import { closedAfterTest } from './helpers/fixtures.js'

/** Which engine serves, chosen by configuration only (docs/scaling.md); these run on the engine under test. */
describe('storage engines', () => {
  it('opens SQLite without a URL and PostgreSQL with one', async () => {
    const sqlite = await openDatabase({ path: ':memory:' })
    expect(sqlite.engine).toBe('sqlite')
    await sqlite.close()
    if (!testDatabaseUrl) return
    const schema = await freshSchema(testDatabaseUrl)
    const postgres = await openDatabase({ url: schema.url, path: ':memory:' })
    try {
      expect(postgres.engine).toBe('postgres')
      await postgres.migrate()
      // Twice, as every start does: nothing left to apply the second time.
      await postgres.migrate()
      expect(await postgres.repositories.health.check()).toEqual({ database: true, migrations: true })
    } finally {
      await postgres.close()
      await schema.drop()
    }
  })

  it('createServer() seeds, exports and resets on the engine under test', async () => {
    const schema = testDatabaseUrl ? await freshSchema(testDatabaseUrl) : undefined
    const server = await createServer({
      ...(schema ? { config: { databaseUrl: schema.url } } : {}),
      fixture: {
        orgs: [
          {
            slug: 'acme',
            tokens: [{ token: 'sktsec_engines_test_token_0123456789', scopes: ['repo'] }],
            repos: [{ slug: 'web' }],
          },
        ],
      },
    })
    try {
      const listed = await server.app.inject({
        method: 'GET',
        url: '/v0/orgs/acme/repos',
        headers: { authorization: 'Bearer sktsec_engines_test_token_0123456789' },
      })
      expect(listed.statusCode).toBe(200)
      expect(listed.json().results.map((r: { slug: string }) => r.slug)).toEqual(['web'])
      const exported = (await server.export()) as { orgs: { repos: { slug: string }[] }[] }
      expect(exported.orgs[0]?.repos.map((r) => r.slug)).toEqual(['web'])
      await server.reset()
      expect(((await server.export()) as { orgs: { repos: unknown[] }[] }).orgs[0]?.repos).toEqual([])
    } finally {
      await server.close()
      await schema?.drop()
    }
  })

  it('refuses to start on a PostgreSQL it cannot reach: one line naming DATABASE_URL, never its password', async () => {
    const started = buildApp({
      config: testConfig({
        databaseUrl: 'postgres://app:hunter2@127.0.0.1:1/socket',
        databaseStatementTimeoutMs: 1000,
      }),
    }).then((app) => closedAfterTest(app))
    const error = await started.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).toMatch(/^Cannot start: DATABASE_URL: cannot open the PostgreSQL database: .*ECONNREFUSED/)
    expect(message).not.toContain('hunter2')
    expect(message).not.toContain('\n')
  })

  it('answers 503, not 500, for every way PostgreSQL can be unavailable', () => {
    const pgError = (code: string, message = 'error') => Object.assign(new Error(message), { code })
    const unavailable = [
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      pgError('ECONNRESET'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P03', 'the database system is starting up'),
      pgError('53300', 'sorry, too many clients already'),
      pgError('57014', 'canceling statement due to statement timeout'),
      pgError('08006', 'connection failure'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Query read timeout'),
    ]
    for (const error of unavailable) {
      expect(isPgUnavailable(error), error.message).toBe(true)
      expect(isUnavailableError(error), error.message).toBe(true)
    }
    for (const error of [
      pgError('23505', 'duplicate key'),
      pgError('42P01', 'relation does not exist'),
      new Error('x'),
    ]) {
      expect(isPgUnavailable(error), error.message).toBe(false)
      expect(isUnavailableError(error), error.message).toBe(false)
    }
    expect(isForeignKeyError(pgError('SQLITE_CONSTRAINT_FOREIGNKEY'))).toBe(true)
  })
})
