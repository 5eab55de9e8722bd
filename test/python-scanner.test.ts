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

  it('runs from org discovery to the new full scan, which becomes the repo head, then its diff scan, its fallback, and the next run', async () => {
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

    // 7. The diff scan of baseline → new scan (diffscans.create_from_ids: urlencoded params, no body).
    const description = 'Socket+Security+CLI+v2.6.6+scan+comparison'
    const diffCreated = await t.app.inject({
      method: 'POST',
      url: `/v0/orgs/acme/diff-scans/from-ids?before=${before.id}&after=${after.id}&description=${description}`,
      headers: { ...headers, 'content-length': '0' },
    })
    expect(diffCreated.statusCode).toBe(201)
    const diffScanId = diffCreated.json().diff_scan.id
    expect(diffScanId).toEqual(expect.any(String))
    expect(diffCreated.json().diff_scan.description).toBe('Socket Security CLI v2.6.6 scan comparison')

    // 8. Its poll (cached=true, and omit_unchanged=true unless an output needs them): status is not
    // "processing", so the first answer is the result; it reads diff_scan.artifacts.{added,…}.
    const polled = await t.app.inject({
      method: 'GET',
      url: `/v0/orgs/acme/diff-scans/${diffScanId}?cached=true&omit_unchanged=true`,
      headers,
    })
    expect(polled.statusCode).toBe(200)
    expect(polled.json().status).toBeUndefined()
    const artifacts = readDiffArtifacts(polled.json().diff_scan.artifacts)
    expect(artifacts.added).toEqual([
      {
        id: 'pkg:npm/express@4.19.2',
        type: 'npm',
        name: 'express',
        version: '4.19.2',
        diffType: 'added',
        manifest: 'package-lock.json',
      },
      {
        id: 'pkg:pypi/fastapi@0.111.0',
        type: 'pypi',
        name: 'fastapi',
        version: '0.111.0',
        diffType: 'added',
        manifest: 'service/requirements.txt',
      },
    ])
    expect(artifacts).toMatchObject({ removed: [], unchanged: [], replaced: [], updated: [] })

    // 9. Its fallback when the diff-scan flow fails: fullscans.stream_diff, the older diff.
    const streamed = await t.app.inject({
      method: 'GET',
      url: `/v0/orgs/acme/full-scans/diff?before=${before.id}&after=${after.id}&include_license_details=false`,
      headers,
    })
    expect(streamed.statusCode).toBe(200)
    const report = streamed.json()
    // FullScanDiffReport.from_dict: before/after (CommitInfo), diff_report_url, artifacts.
    for (const side of ['before', 'after'] as const) {
      for (const field of ['repository_id', 'id', 'organization_id'])
        expect(report[side][field]).toEqual(expect.any(String))
      expect(report[side].branch).toBe('main')
      expect(report[side].committers).toEqual(['alice@example.com', 'bob@example.com'])
    }
    expect(report.diff_report_url).toBe(`https://dash.example/dashboard/org/acme/diff/${before.id}/${after.id}`)
    expect(readDiffArtifacts(report.artifacts)).toEqual({ ...artifacts, unchanged: [] })

    // 10. The next run: the repo has a head, so no baseline; the new scan is compared with the head.
    const nextBody = multipartBody({
      'package-lock.json': JSON.stringify({
        lockfileVersion: 3,
        packages: { '': {}, 'node_modules/express': { version: '4.21.0' } },
      }),
      'service/requirements.txt': 'fastapi==0.111.0\n',
    })
    const next = await t.app.inject({
      method: 'POST',
      url: `/v0/orgs/acme/full-scans?${scanQuery({ tmp: false, head: true })}`,
      headers: { ...headers, ...nextBody.headers },
      payload: nextBody.payload,
    })
    const nextId = next.json().id
    const nextDiff = await t.app.inject({
      method: 'POST',
      url: `/v0/orgs/acme/diff-scans/from-ids?before=${after.id}&after=${nextId}&description=${description}`,
      headers: { ...headers, 'content-length': '0' },
    })
    const nextPoll = await t.app.inject({
      method: 'GET',
      url: `/v0/orgs/acme/diff-scans/${nextDiff.json().diff_scan.id}?cached=true`,
      headers,
    })
    const nextArtifacts = readDiffArtifacts(nextPoll.json().diff_scan.artifacts)
    expect(nextArtifacts.updated.map((a) => [a.name, a.version, a.diffType])).toEqual([
      ['express', '4.21.0', 'updated'],
    ])
    expect(nextArtifacts.unchanged.map((a) => a.id)).toEqual(['pkg:pypi/fastapi@0.111.0'])
    expect(nextArtifacts).toMatchObject({ added: [], removed: [], replaced: [] })
  })
})

type Link = { topLevelAncestors?: unknown; manifestFiles?: { file: string }[] }
type RawArtifact = {
  diffType: string
  id: string
  type: string
  name: string
  version?: string
  head?: Link[]
  base?: Link[]
}

/**
 * What the scanner takes of a diff: DiffArtifacts.from_dict needs all five lists (None for an omitted
 * `unchanged` becomes []), DiffArtifact.from_dict needs diffType, id, type, name and, in each head or
 * base link, topLevelAncestors; Package.from_diff_artifact then reads the first head link (added,
 * updated, unchanged) or base link (removed, replaced).
 */
function readDiffArtifacts(raw: Record<string, RawArtifact[] | null>) {
  const lists = ['added', 'removed', 'unchanged', 'replaced', 'updated'] as const
  return Object.fromEntries(
    lists.map((key) => {
      expect(key in raw, key).toBe(true)
      return [
        key,
        (raw[key] ?? []).map((artifact) => {
          for (const field of ['diffType', 'id', 'type', 'name'] as const)
            expect(artifact[field], field).toEqual(expect.any(String))
          for (const link of [...(artifact.head ?? []), ...(artifact.base ?? [])]) {
            expect(link.topLevelAncestors).toEqual([])
          }
          const ref = ['removed', 'replaced'].includes(artifact.diffType) ? artifact.base?.[0] : artifact.head?.[0]
          expect(ref, `${key} ${artifact.id}`).toBeDefined()
          expect((artifact as { alerts?: unknown }).alerts).toEqual([])
          return {
            id: artifact.id,
            type: artifact.type,
            name: artifact.name,
            version: artifact.version,
            diffType: artifact.diffType,
            manifest: ref?.manifestFiles?.[0]?.file,
          }
        }),
      ]
    }),
  ) as Record<
    (typeof lists)[number],
    { id: string; type: string; name: string; version?: string; diffType: string; manifest?: string }[]
  >
}
