import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createSelfSignedCertificate } from '../src/tls.js'
import { createHttpsServer, issueToken, useTestApp } from './helpers/app.js'
import { closedAfterTest, useTempDir } from './helpers/fixtures.js'
import { root } from './helpers/process.js'

interface CliResult {
  code: number | null
  json: { ok: boolean; data?: unknown; message?: string; cause?: string }
}

/**
 * Socket's official CLI (pinned devDependency) against a real listening server. It is pointed at us
 * with SOCKET_CLI_API_BASE_URL and SOCKET_CLI_API_TOKEN and runs with a throwaway HOME; nothing else
 * about it is changed.
 */
describe('@socketsecurity/cli against a listening server', () => {
  const t = useTestApp({}, { shared: true })
  const homeDir = useTempDir('socket-cli', { shared: true })
  let home: string
  let baseUrl: string

  beforeAll(async () => {
    baseUrl = `${(await t.listen()).origin}/v0`
    home = homeDir.path
    // The CLI checks npm for a newer version before every command, with no switch to turn it off;
    // a fresh record in its cache file (under TMPDIR) keeps it from reaching out of this machine.
    mkdirSync(join(home, 'tmp'))
    writeFileSync(
      join(home, 'tmp', 'ionstore_tiny-updater.json'),
      JSON.stringify([
        [
          'socket',
          JSON.stringify({
            timestampFetch: 9_999_999_999_999,
            timestampNotification: 9_999_999_999_999,
            version: '1.2.1',
          }),
        ],
      ]),
    )
  })

  function socket(
    args: string[],
    token = t.token,
    target: { baseUrl: string; env?: Record<string, string> } = { baseUrl },
  ): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const cli = join(root, 'node_modules/@socketsecurity/cli/bin/cli.js')
      const child = spawn(process.execPath, [cli, ...args, '--no-interactive'], {
        cwd: home,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          TMPDIR: join(home, 'tmp'),
          SOCKET_CLI_API_BASE_URL: target.baseUrl,
          SOCKET_CLI_API_TOKEN: token,
          ...target.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
      })
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      child.on('error', reject)
      child.on('close', (code) => {
        try {
          resolve({ code, json: JSON.parse(stdout) })
        } catch {
          reject(new Error(`socket ${args.join(' ')} printed no JSON (exit ${code}):\n${stdout}\n${stderr}`))
        }
      })
    })
  }

  const repoFields = {
    id: expect.stringMatching(/^\d+$/),
    created_at: expect.any(String),
    updated_at: expect.any(String),
    html_url: expect.stringContaining('/dashboard/org/acme/repo/'),
    head_full_scan_id: null,
    integration_meta: null,
  }

  it('socket repository create | view | update | del', async () => {
    const created = await socket([
      'repository',
      'create',
      'cli-repo',
      '--org',
      'acme',
      '--repo-description',
      'made by the CLI',
      '--homepage',
      'https://example.com',
      '--visibility',
      'public',
      '--json',
    ])
    expect(created.code).toBe(0)
    expect(created.json).toEqual({
      ok: true,
      data: {
        ...repoFields,
        slug: 'cli-repo',
        name: 'cli-repo',
        description: 'made by the CLI',
        homepage: 'https://example.com',
        visibility: 'public',
        archived: false,
        default_branch: 'main',
        workspace: '',
      },
    })

    const viewed = await socket(['repository', 'view', 'cli-repo', '--org', 'acme', '--json'])
    expect(viewed.code).toBe(0)
    expect(viewed.json.data).toMatchObject({ slug: 'cli-repo', slig: 'cli-repo', description: 'made by the CLI' })

    const updated = await socket([
      'repository',
      'update',
      'cli-repo',
      '--org',
      'acme',
      '--repo-description',
      'changed',
      '--default-branch',
      'trunk',
      '--json',
    ])
    expect(updated.code).toBe(0)
    expect(updated.json.data).toMatchObject({ slug: 'cli-repo', description: 'changed', default_branch: 'trunk' })

    const deleted = await socket(['repository', 'del', 'cli-repo', '--org', 'acme', '--json'])
    expect(deleted).toEqual({ code: 0, json: { ok: true, data: { status: 'ok' } } })

    const gone = await socket(['repository', 'view', 'cli-repo', '--org', 'acme', '--json'])
    expect(gone.code).not.toBe(0)
    expect(gone.json).toMatchObject({ ok: false, data: { code: 404 } })
    // Five runs of Socket's CLI one after another: over 30 s on a loaded 2-core machine.
  }, 120_000)

  it('socket repository list, and list --all across pages (page=0, nextPage null at the end)', async () => {
    for (let i = 0; i < 120; i++) {
      await t.services.repos.create(t.org.id, { slug: `bulk-${String(i).padStart(3, '0')}` }, { returnExisting: false })
    }
    const first = await socket(['repository', 'list', '--org', 'acme', '--json'])
    expect(first.code).toBe(0)
    const page = (first.json.data as { data: { results: unknown[]; nextPage: number | null } }).data
    expect(page.results).toHaveLength(30)
    expect(page.nextPage).toBe(2)

    const all = await socket(['repository', 'list', '--all', '--org', 'acme', '--json'])
    expect(all.code).toBe(0)
    const everything = (all.json.data as { data: { results: { slug: string }[]; nextPage: number | null } }).data
    expect(everything.results).toHaveLength(120)
    expect(new Set(everything.results.map((r) => r.slug)).size).toBe(120)
    expect(everything.nextPage).toBeNull()
  })

  it('socket organization quota | list', async () => {
    const quota = await socket(['organization', 'quota', '--json'])
    expect(quota.code).toBe(0)
    expect(quota.json.data).toEqual({
      quota: expect.any(Number),
      maxQuota: 100_000,
      nextWindowRefresh: expect.any(String),
    })
    const orgs = await socket(['organization', 'list', '--json'])
    expect(orgs.code).toBe(0)
    expect(JSON.stringify(orgs.json.data)).toContain('"slug":"acme"')
    expect(JSON.stringify(orgs.json.data)).toContain('"plan":"enterprise"')
  })

  it('socket scan create uploads the manifests, and the scan is listed with the repo head set', async () => {
    const project = join(home, 'project')
    mkdirSync(join(project, 'api'), { recursive: true })
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'project', version: '1.0.0' }))
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify({
        name: 'project',
        lockfileVersion: 3,
        packages: { '': { name: 'project' }, 'node_modules/lodash': { version: '4.17.21' } },
      }),
    )
    writeFileSync(join(project, 'api', 'requirements.txt'), 'flask==3.0.3\n')

    const scan = await socket([
      'scan',
      'create',
      '--org',
      'acme',
      '--repo',
      'cli-scan',
      '--branch',
      'main',
      project,
      '--json',
    ])
    expect(scan.code, JSON.stringify(scan.json)).toBe(0)
    expect(scan.json.ok).toBe(true)
    const { id } = scan.json.data as { id: string }

    const listed = await t.app.inject({
      method: 'GET',
      url: '/v0/orgs/acme/full-scans?repo=cli-scan',
      headers: t.auth(),
    })
    expect(listed.json().results).toEqual([expect.objectContaining({ id, branch: 'main', repo: 'cli-scan' })])
    const repo = await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/cli-scan', headers: t.auth() })
    expect(repo.json()).toMatchObject({ default_branch: 'main', head_full_scan_id: id })
    const stream = await t.app.inject({ method: 'GET', url: `/v0/orgs/acme/full-scans/${id}`, headers: t.auth() })
    const packages = stream.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string; manifestFiles: { file: string }[] })
    expect(packages.map((p) => [p.name, p.manifestFiles[0]?.file])).toEqual([
      // Named relative to the CLI's working directory, as it sends them.
      ['flask', 'project/api/requirements.txt'],
      ['lodash', 'project/package-lock.json'],
    ])
  }, 60_000)

  it('socket scan create --report, over HTTPS: reads the security policy and the scan, and reports it healthy', async () => {
    const token = 'sktsec_cli_report_token_0123456789'
    const server = closedAfterTest(
      await createHttpsServer(await createSelfSignedCertificate({ outDir: join(home, 'report-tls') }), {
        orgs: [{ slug: 'acme', tokens: [{ token }] }],
      }),
    )
    const api = await server.listen()
    const project = join(home, 'report-project')
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'report-project', version: '1.0.0' }))
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/left-pad': { version: '1.3.0' } } }),
    )

    const report = await socket(
      ['scan', 'create', '--org', 'acme', '--repo', 'reported', '--branch', 'main', project, '--report', '--json'],
      token,
      { baseUrl: api, env: { NODE_EXTRA_CA_CERTS: join(home, 'report-tls', 'cert.pem') } },
    )
    expect(report.code, JSON.stringify(report.json)).toBe(0)
    expect(report.json).toMatchObject({ ok: true, data: { healthy: true, orgSlug: 'acme' } })
    const { scanId } = report.json.data as { scanId: string }
    // What the CLI read to build its report: the org's policy and the scan's package stream.
    expect(server.requests({ operationId: 'getOrgSecurityPolicy' })).toEqual([expect.objectContaining({ status: 200 })])
    expect(server.requests({ operationId: 'getOrgFullScan' })).toEqual([
      expect.objectContaining({ status: 200, url: expect.stringContaining(`/full-scans/${scanId}`) }),
    ])
  }, 60_000)

  it('reports Socket’s errors for a bad token and a missing scope', async () => {
    const unauthorized = await socket(['repository', 'list', '--org', 'acme', '--json'], 'sktsec_not_a_real_token_000')
    expect(unauthorized.code).not.toBe(0)
    expect(unauthorized.json).toMatchObject({ ok: false, data: { code: 401 } })
    expect(unauthorized.json.cause).toContain('Invalid API token')

    const listOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo:list'] })
    const forbidden = await socket(['repository', 'create', 'nope', '--org', 'acme', '--json'], listOnly)
    expect(forbidden.json).toMatchObject({ ok: false, data: { code: 403 } })
    expect(forbidden.json.cause).toContain('Insufficient permissions for API method')
  })
})
