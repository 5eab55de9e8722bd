import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'

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
      LOG_LEVEL: 'warn',
      BODY_LIMIT: '4096',
      DASHBOARD_BASE_URL: 'https://dash.example.com/',
      QUOTA_DEFAULT_MAX: '50',
      QUOTA_WINDOW_SECONDS: '60',
      AUTH_CACHE_TTL_MS: '0',
      BOOTSTRAP: 'false',
      BOOTSTRAP_ORG_SLUG: 'ci',
      BOOTSTRAP_ORG_NAME: 'CI',
      BOOTSTRAP_TOKEN: 'abcdefghijklmnop',
      QUOTA_COSTS: 'getOrgRepoList=0, createOrgRepo=3',
      ADMIN_SECRET: 'admin-secret-0123456789',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      METRICS: 'false',
    })
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      databasePath: '/data/x.db',
      databaseSynchronous: 'FULL',
      logLevel: 'warn',
      bodyLimit: 4096,
      dashboardBaseUrl: 'https://dash.example.com',
      quota: { defaultMax: 50, windowSeconds: 60, costs: { getOrgRepoList: 0, createOrgRepo: 3 } },
      adminSecret: 'admin-secret-0123456789',
      corsOrigins: ['https://a.example', 'https://b.example'],
      metrics: false,
      authCacheTtlMs: 0,
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
    expect(message).not.toContain('short')
  })
})
