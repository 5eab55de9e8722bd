import { existsSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { databaseEnv, testDatabaseUrl } from './helpers/database.js'
import { useTempDir } from './helpers/fixtures.js'
import { call } from './helpers/http.js'
import { type StartedServer, startServer } from './helpers/process.js'

/**
 * The real entry point, as `npm start` runs it: config, migrations, bootstrap, listen, shutdown. On
 * the engine under test: a SQLite file, or with TEST_DATABASE_URL the PostgreSQL schema standing for it.
 */
describe('server start-up', () => {
  const dir = useTempDir('server')
  // The test's server (stopped when the test finishes, by startServer).
  let server: StartedServer | undefined

  const db = () => dir.file('nested/folder/socket.db')
  /** The server's environment: its database (DATABASE_PATH or DATABASE_URL), then `extra`. */
  const env = async (extra: Record<string, string> = {}) => ({ ...(await databaseEnv(db())), ...extra })
  const api = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${server?.url}/v0${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    })

  it('creates an org and a token on first start, prints them once, and keeps data across restarts', async () => {
    server = await startServer(await env({ BOOTSTRAP_ORG_SLUG: 'first-org' }))
    const printed = /org:\s+(\S+)\n\s+token: (sktsec_\w+)/.exec(server.output())
    expect(printed?.[1]).toBe('first-org')
    const token = printed?.[2] ?? ''
    const created = await api('/orgs/first-org/repos', token, {
      method: 'POST',
      body: JSON.stringify({ name: 'kept' }),
    })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    expect(await server.stop('SIGTERM')).toBe(0)

    server = await startServer(await env({ BOOTSTRAP_ORG_SLUG: 'first-org' }))
    expect(server.output()).not.toContain('first run')
    const read = await api('/orgs/first-org/repos/kept', token)
    expect(read.status).toBe(200)
    expect(await read.json()).toMatchObject({ id, slug: 'kept' })
  })

  it('uses BOOTSTRAP_TOKEN as the first token, without printing it', async () => {
    const token = 'ci-token-0123456789abcdef'
    server = await startServer(await env({ BOOTSTRAP_ORG_SLUG: 'ci', BOOTSTRAP_TOKEN: token }))
    expect(server.output()).not.toContain(token)
    expect(server.output()).toContain('(the value of BOOTSTRAP_TOKEN)')
    expect((await api('/orgs/ci/repos', token)).status).toBe(200)
  })

  it('creates nothing with BOOTSTRAP=false', async () => {
    server = await startServer(await env({ BOOTSTRAP: 'false' }))
    expect(server.output()).not.toContain('first run')
    await vi.waitFor(() => expect(server?.output()).toContain('request journal:'), { timeout: 10_000 })
    const map = server?.output() ?? ''
    expect(map).toContain(`API base URL:    ${server?.url}/v0\n`)
    expect(map).toContain(`docs:            ${server?.url}/docs`)
    if (testDatabaseUrl) expect(map).toMatch(/database: {8}PostgreSQL \S+ \(schema test_\w+\)\n/)
    else expect(map).toContain(`database:        ${db()}\n`)
    expect(map).toContain('admin API:       off (set ADMIN_SECRET to turn it on)')
    expect((await api('/orgs/my-org/repos', 'sktsec_anything_at_all_here')).status).toBe(401)
  })

  it('on SIGTERM finishes in-flight requests, refuses new ones, closes the database and exits 0', async () => {
    const token = 'shutdown-token-0123456789'
    const secret = 'shutdown-admin-secret-0123'
    server = await startServer(await env({ BOOTSTRAP_ORG_SLUG: 'acme', BOOTSTRAP_TOKEN: token, ADMIN_SECRET: secret }))
    const url = server.url
    const admin = { 'x-admin-secret': secret }
    const fault = await call(url, 'POST', '/_admin/faults', {
      headers: admin,
      body: { operationId: 'getOrgRepoList', delayMs: 3000, times: 1 },
    })
    expect(fault.status).toBe(201)
    let answered = false
    const inFlight = api('/orgs/acme/repos', token).finally(() => {
      answered = true
    })
    // In flight: the request has taken its one-time fault and waits out the delay.
    await vi.waitFor(
      async () => expect((await call(url, 'GET', '/_admin/faults', { headers: admin })).json()).toEqual({ faults: [] }),
      {
        timeout: 10_000,
        interval: 20,
      },
    )
    const exited = server.stop('SIGTERM')
    // New connections are refused while the in-flight request is still being answered.
    await vi.waitFor(() => expect(fetch(`${url}/health`)).rejects.toThrow(), { timeout: 10_000, interval: 20 })
    expect(answered).toBe(false)
    const response = await inFlight
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ results: [], nextPage: null })
    expect(await exited).toBe(0)
    // SQLite checkpointed its WAL into the file on close.
    if (!testDatabaseUrl) expect(existsSync(`${db()}-wal`)).toBe(false)
    expect(server.output()).toContain('closing')
  })

  it('refuses to start with a bad setting and names it', async () => {
    await expect(startServer(await env({ PORT: 'eighty' }))).rejects.toThrow(/PORT="eighty"/)
  })
})
