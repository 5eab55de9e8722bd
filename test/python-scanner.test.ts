import { beforeEach, describe, expect, it } from 'vitest'
import { useTestApp } from './helpers/app.js'
import { multipartBody } from './helpers/multipart.js'

/**
 * Socket's Python scanner (`socketcli` 2.6.6 over socketdev 3.5.0), replayed as recorded: Basic
 * auth, its User-Agent, JSON sent without a Content-Type, query booleans spelled `True`/`False`,
 * `committers` as a Python list literal, and multipart parts named by relative path.
 */
describe('the Python scanner’s request sequence', () => {
  const t = useTestApp({ config: { dashboardBaseUrl: 'https://dash.example' } })
  let headers: Record<string, string>
  beforeEach(async () => {
    headers = { ...t.auth(t.token, 'basic'), 'user-agent': 'SocketPythonCLI/2.6.6', accept: 'application/json' }
  })

  const scanQuery = (flags: { tmp: boolean; head: boolean }) =>
    'repo=py-repo&branch=main&commit_message=Add%20lockfile&commit_hash=0123abcd' +
    "&committers=['alice@example.com', 'bob@example.com']&integration_type=api&integration_org_slug=acme" +
    `&make_default_branch=${flags.head ? 'True' : 'False'}&set_as_pending_head=${flags.head ? 'True' : 'False'}` +
    `&tmp=${flags.tmp ? 'True' : 'False'}&scan_type=socket`

  it('runs from org discovery to the new full scan, which becomes the repo head', async () => {
    // 1. Its run record: not in the spec; a Socket-shaped 404 is what it tolerates.
    const run = await t.app.inject({ method: 'POST', url: '/v0/python-cli-runs', headers, payload: '{}' })
    expect(run.statusCode).toBe(404)
    expect(run.json()).toMatchObject({ error: { message: expect.any(String) } })

    // 2. Exactly one org for the token.
    const orgs = (await t.app.inject({ method: 'GET', url: '/v0/organizations', headers })).json()
    expect(Object.values(orgs.organizations)).toEqual([expect.objectContaining({ slug: 'acme' })])

    // 3. Supported files (required; the scanner matches its files against them).
    const supported = await t.app.inject({ method: 'GET', url: '/v0/report/supported', headers })
    expect(supported.statusCode).toBe(200)
    expect(supported.json().npm['package-lock.json']).toEqual({ pattern: 'package-lock.json' })

    // 4. Repo bootstrap: 404, create (a JSON string without Content-Type), read again.
    expect((await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/py-repo', headers })).statusCode).toBe(404)
    const created = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers,
      payload: JSON.stringify({ name: 'py-repo', default_branch: 'socket-default-branch', visibility: 'private' }),
    })
    expect(created.statusCode).toBe(201)
    const repo = (await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/py-repo', headers })).json()
    expect(repo).toMatchObject({ slug: 'py-repo', default_branch: 'socket-default-branch', head_full_scan_id: null })

    // 5. No head yet: a temporary baseline of one empty file.
    const baselineBody = multipartBody({ initial_head_scan: '' })
    const baseline = await t.app.inject({
      method: 'POST',
      url: `/v0/orgs/acme/full-scans?${scanQuery({ tmp: true, head: false })}`,
      headers: { ...headers, ...baselineBody.headers },
      payload: baselineBody.payload,
    })
    expect(baseline.statusCode).toBe(201)
    const before = baseline.json()
    const required = ['id', 'created_at', 'updated_at', 'organization_id', 'repository_id', 'branch', 'html_report_url']
    for (const field of required) expect(before[field], field).toEqual(expect.any(String))
    expect(before).toMatchObject({ repository_id: repo.id, unmatchedFiles: ['initial_head_scan'] })
    expect((await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/py-repo', headers })).json()).toMatchObject({
      head_full_scan_id: null,
    })

    // 6. The real scan, on the default branch: it moves the default branch and becomes the head.
    const scanBody = multipartBody({
      'package-lock.json': JSON.stringify({
        lockfileVersion: 3,
        packages: { '': {}, 'node_modules/express': { version: '4.19.2' } },
      }),
      'service/requirements.txt': 'fastapi==0.111.0\n',
    })
    const scan = await t.app.inject({
      method: 'POST',
      url: `/v0/orgs/acme/full-scans?${scanQuery({ tmp: false, head: true })}`,
      headers: { ...headers, ...scanBody.headers },
      payload: scanBody.payload,
    })
    expect(scan.statusCode).toBe(201)
    const after = scan.json()
    for (const field of required) expect(after[field], field).toEqual(expect.any(String))
    expect(after).toMatchObject({
      organization_id: t.org.id,
      repository_id: repo.id,
      branch: 'main',
      commit_message: 'Add lockfile',
      commit_hash: '0123abcd',
      committers: ['alice@example.com', 'bob@example.com'],
      integration_type: 'api',
      html_report_url: `https://dash.example/dashboard/org/acme/sbom/${after.id}`,
      unmatchedFiles: [],
    })
    expect((await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/repos/py-repo', headers })).json()).toMatchObject({
      default_branch: 'main',
      head_full_scan_id: after.id,
    })
    const listed = (await t.app.inject({ method: 'GET', url: '/v0/orgs/acme/full-scans?repo=py-repo', headers })).json()
    expect(listed.results.map((s: { id: string }) => s.id)).toEqual([after.id])
  })
})
