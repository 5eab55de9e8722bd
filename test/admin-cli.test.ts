import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { databaseConfig, databaseEnv } from './helpers/database.js'
import { closedAfterTest, useTempDir } from './helpers/fixtures.js'
import { runCli } from './helpers/process.js'

/**
 * The admin CLI on a database file (or, with TEST_DATABASE_URL, on PostgreSQL), as an operator runs
 * it; the server then honours what it created.
 * Each command is a fresh Node process (about a second each on a loaded 2-core machine), and a test
 * runs up to eleven of them: hence the longer timeout.
 */
describe('admin CLI', { timeout: 120_000 }, () => {
  const dir = useTempDir('cli', { shared: true })
  let env: Record<string, string>
  const cli = (...args: string[]) => runCli(args, env)

  beforeAll(async () => {
    env = await databaseEnv(dir.file('admin.db'))
  })

  it('has --help on every command', async () => {
    const commands = [
      [],
      ['orgs'],
      ['orgs', 'create'],
      ['tokens', 'create'],
      ['tokens', 'revoke'],
      ['serve'],
      ['tls', 'create-cert'],
    ]
    // Side by side: nothing is written, and the processes share the machine's cores.
    const results = await Promise.all(commands.map((command) => cli(...command, '--help')))
    for (const result of results) {
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('Usage: socket-repos-server')
    }
  })

  it('creates and lists orgs, refusing a duplicate or a bad slug', async () => {
    const created = await cli('orgs', 'create', 'acme', '--name', 'Acme Inc.', '--json')
    expect(created.code).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({ slug: 'acme', name: 'Acme Inc.', plan: 'enterprise' })
    const again = await cli('orgs', 'create', 'acme')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('Organization "acme" already exists')
    const bad = await cli('orgs', 'create', 'not a slug')
    expect(bad.code).toBe(1)
    const listed = await cli('orgs', 'list', '--json')
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        id: expect.any(String),
        slug: 'acme',
        name: 'Acme Inc.',
        image: null,
        plan: 'enterprise',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    ])
    const table = (await cli('orgs', 'list')).stdout.split('\n')
    expect(table[0]).toMatch(/^ID\s+SLUG\s+NAME\s+PLAN\s+CREATED$/)
    expect(table[1]).toMatch(/^\d+\s+acme\s+Acme Inc\.\s+enterprise\s+\d{4}-\d\d-\d\dT/)
  })

  it('creates tokens with scopes and quota that the server accepts, lists them without values, revokes them', async () => {
    const created = await cli(
      'tokens',
      'create',
      '--org',
      'acme',
      '--scopes',
      'repo:list',
      '--max-quota',
      '7',
      '--json',
    )
    expect(created.code).toBe(0)
    const token = JSON.parse(created.stdout) as { id: string; token: string; scopes: string[]; maxQuota: number }
    expect(token).toMatchObject({ scopes: ['repo:list'], maxQuota: 7 })
    expect(token.token).toMatch(/^sktsec_[0-9A-Za-z]{48}$/)

    const listed = await cli('tokens', 'list', '--org', 'acme', '--json')
    expect(listed.stdout).not.toContain(token.token)
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: token.id, revokedAt: null })])
    const rows = (await cli('tokens', 'list', '--org', 'acme')).stdout.trim().split('\n')
    expect(rows[0]).toMatch(/^ID\s+ORG\s+PREFIX\s+SCOPES\s+MAX QUOTA\s+STATUS\s+CREATED\s+NAME$/)
    expect(rows[1]).toMatch(new RegExp(`^${token.id}\\s+acme\\s+sktsec_\\S*…\\s+repo:list\\s+7\\s+active\\s`))

    const app = closedAfterTest(await buildApp({ config: testConfig(await databaseConfig(dir.file('admin.db'))) }))
    const headers = { authorization: `Bearer ${token.token}` }
    const list = await app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers })
    expect(list.statusCode).toBe(200)
    expect(list.headers['x-ratelimit-limit']).toBe('7')
    const create = await app.inject({ method: 'POST', url: '/v0/orgs/acme/repos', headers, payload: { name: 'x' } })
    expect(create.statusCode).toBe(403)

    expect((await cli('tokens', 'revoke', token.id)).code).toBe(0)
    app.services.tokens.clearCache()
    expect((await app.inject({ method: 'GET', url: '/v0/orgs/acme/repos', headers })).statusCode).toBe(401)
    const revokedAgain = await cli('tokens', 'revoke', token.id)
    expect(revokedAgain.code).toBe(1)
  })

  it('refuses unknown scopes, unknown orgs and bad quotas', async () => {
    expect((await cli('tokens', 'create', '--org', 'acme', '--scopes', 'repo:write')).stderr).toContain(
      'unknown scope "repo:write"',
    )
    expect((await cli('tokens', 'create', '--org', 'nope')).stderr).toContain('Organization "nope" not found')
    expect((await cli('tokens', 'create', '--org', 'acme', '--max-quota', '-1')).code).not.toBe(0)
  })

  it('seeds, exports, resets and imports a database file', async () => {
    const file = await databaseEnv(dir.file('fixture.db'))
    const run = (...args: string[]) => runCli(args, file)
    const seeded = await run('seed', 'examples/fixture.yml', '--json')
    expect(seeded.code).toBe(0)
    expect(JSON.parse(seeded.stdout)).toEqual({
      orgs: 2,
      tokens: 3,
      repos: 4,
      labels: 2,
      associations: 2,
      full_scans: 0,
      diff_scans: 0,
    })
    const exportFile = dir.file('export.yml')
    const written = await run('export', '--format', 'yaml', '--output', exportFile)
    expect(written.code).toBe(0)
    expect(written.stdout).toBe(`exported {"orgs":2,"tokens":3,"repos":4,"labels":2} to ${exportFile}\n`)
    const exported = await run('export')
    const before = JSON.parse(exported.stdout)
    expect(before.orgs[0].repos.map((r: { slug: string }) => r.slug)).toEqual([
      'web-app',
      'payments-api',
      'legacy-cron',
    ])
    expect(exported.stdout).not.toContain('sktsec_fixture_ci_token_0123456789')

    expect((await run('reset', '--org', 'acme')).stdout).toContain('reset acme')
    expect(JSON.parse((await run('export')).stdout).orgs[0].repos).toEqual([])
    expect((await run('reset', '--everything')).stdout).toContain('database emptied')
    expect(JSON.parse((await run('export')).stdout)).toEqual({ version: 1, orgs: [] })

    expect((await run('import', exportFile)).code).toBe(0)
    expect(JSON.parse((await run('export')).stdout)).toEqual(before)
    const again = await run('seed', 'examples/fixture.yml')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('organization "acme": its slug already exists')
  }, 120_000)

  it('deletes an org with everything in it', async () => {
    expect((await cli('orgs', 'create', 'temp')).code).toBe(0)
    expect((await cli('tokens', 'create', '--org', 'temp')).code).toBe(0)
    expect((await cli('orgs', 'delete', 'temp')).code).toBe(0)
    expect((await cli('tokens', 'list', '--org', 'temp', '--json')).stdout.trim()).toBe('[]')
  })
})
