import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildProgram } from '../src/cli/program.js'
import { ConfigError, environmentDefaults, environmentVariables, loadConfig, testConfig } from '../src/config.js'
import { databaseLine } from '../src/http/start-map.js'

describe('config', () => {
  it('has working defaults and is frozen', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databasePath: './data/socket-repos.db',
      databaseSynchronous: 'NORMAL',
      logLevel: 'info',
      dashboardBaseUrl: 'https://socket.dev',
      quota: { defaultMax: 1000, windowSeconds: 3600 },
      bootstrap: { enabled: true, orgSlug: 'my-org', orgName: undefined, token: undefined },
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.quota)).toBe(true)
  })

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_PATH: '/data/x.db',
      DATABASE_SYNCHRONOUS: 'FULL',
      DATABASE_URL: 'postgres://app:secret@db.internal:5432/socket',
      DATABASE_POOL_MAX: '25',
      DATABASE_STATEMENT_TIMEOUT_MS: '2500',
      LOG_LEVEL: 'warn',
      BODY_LIMIT: '4096',
      DASHBOARD_BASE_URL: 'https://dash.example.com/',
      SCAN_MAX_FILE_BYTES: '1000',
      SCAN_MAX_TOTAL_BYTES: '5000',
      QUOTA_DEFAULT_MAX: '50',
      QUOTA_WINDOW_SECONDS: '60',
      AUTH_CACHE_TTL_MS: '0',
      AUDIT_LOG_RETENTION_DAYS: '7',
      BOOTSTRAP: 'false',
      BOOTSTRAP_ORG_SLUG: 'ci',
      BOOTSTRAP_ORG_NAME: 'CI',
      BOOTSTRAP_TOKEN: 'abcdefghijklmnop',
      QUOTA_COSTS: 'getOrgRepoList=0, createOrgRepo=3',
      ADMIN_SECRET: 'admin-secret-0123456789',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      METRICS: 'false',
      REQUEST_JOURNAL_SIZE: '0',
      REQUEST_JOURNAL_BODY_BYTES: '100',
    })
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      databasePath: '/data/x.db',
      databaseSynchronous: 'FULL',
      databaseUrl: 'postgres://app:secret@db.internal:5432/socket',
      databasePoolMax: 25,
      databaseStatementTimeoutMs: 2500,
      logLevel: 'warn',
      bodyLimit: 4096,
      dashboardBaseUrl: 'https://dash.example.com',
      scans: { maxFileBytes: 1000, maxTotalBytes: 5000 },
      quota: { defaultMax: 50, windowSeconds: 60, costs: { getOrgRepoList: 0, createOrgRepo: 3 } },
      adminSecret: 'admin-secret-0123456789',
      corsOrigins: ['https://a.example', 'https://b.example'],
      metrics: false,
      authCacheTtlMs: 0,
      requestJournal: { size: 0, bodyBytes: 100 },
      auditLogRetentionDays: 7,
      bootstrap: { enabled: false, orgSlug: 'ci', orgName: 'CI', token: 'abcdefghijklmnop' },
    })
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', BOOTSTRAP_TOKEN: '' })).toMatchObject({ port: 3000, bootstrap: { token: undefined } })
  })

  it('names every bad variable in one error', () => {
    let error: unknown
    try {
      loadConfig({
        PORT: '99999',
        LOG_LEVEL: 'loud',
        BOOTSTRAP_TOKEN: 'short',
        BOOTSTRAP: 'maybe',
        QUOTA_COSTS: 'getQuota:1',
        ADMIN_SECRET: 'short',
        DATABASE_URL: 'mysql://root:hunter2@db/x',
        DATABASE_POOL_MAX: '0',
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).toContain('PORT="99999"')
    expect(message).toContain('LOG_LEVEL="loud"')
    expect(message).toContain('BOOTSTRAP_TOKEN=(value hidden): a token must be at least 16 characters')
    expect(message).toContain('BOOTSTRAP="maybe"')
    expect(message).toContain('QUOTA_COSTS="getQuota:1"')
    expect(message).toContain('ADMIN_SECRET=(value hidden)')
    // A database URL may hold a password: named, never shown.
    expect(message).toContain('DATABASE_URL=(value hidden): must be a postgres:// or postgresql:// URL')
    expect(message).not.toContain('hunter2')
    expect(message).toContain('DATABASE_POOL_MAX="0"')
    expect(message).not.toContain('short')
  })
})

describe("README's configuration table", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
  )
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` +\| ([^|]+?) +\|/gm)].map(([, name, value]) => ({
    name: name ?? '',
    documented: /^`[^`]*`$/.test(value ?? '') ? (value ?? '').slice(1, -1) : undefined,
  }))

  it('lists every variable src/config.ts reads, and no other', () => {
    expect(rows.map((r) => r.name).sort()).toEqual([...environmentVariables].sort())
  })

  it('gives each variable the default the code has', () => {
    const defaults = environmentDefaults()
    for (const { name, documented } of rows) expect(documented, name).toBe(defaults[name])
  })

  it('is what `serve --help` lists', () => {
    let text = ''
    const serve = buildProgram().commands.find((c) => c.name() === 'serve')
    serve?.configureOutput({ writeOut: (chunk) => (text += chunk) })
    serve?.outputHelp()
    for (const name of environmentVariables) expect(text).toMatch(new RegExp(`^  ${name} +\\S`, 'm'))
  })
})

describe('the start map names the database', () => {
  it('a SQLite file, or PostgreSQL by host, database and schema, never with its credentials', () => {
    expect(databaseLine(testConfig({ databasePath: '/data/x.db' }))).toBe('/data/x.db')
    expect(databaseLine(testConfig())).toBe(':memory: (gone when the process exits)')
    const url = 'postgres://app:hunter2@db.internal:5432/socket?options=-c%20search_path%3Dtenant_a'
    expect(databaseLine(testConfig({ databaseUrl: url }))).toBe('PostgreSQL db.internal:5432/socket (schema tenant_a)')
    expect(databaseLine(testConfig({ databaseUrl: 'postgresql://db/socket' }))).toBe('PostgreSQL db/socket')
  })
})
