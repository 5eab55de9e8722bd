import { beforeAll, describe, expect, it } from 'vitest'
import { createSelfSignedCertificate } from '../../src/tls.js'
import { createHttpsServer } from '../helpers/app.js'
import { useFixture, useTempDir } from '../helpers/fixtures.js'
import { targetOf } from '../helpers/http.js'
import { socketdevRequest, socketdevUpload } from './python-requests.js'

const TOKEN = 'sktsec_python_scanner_token_0123456789'

/**
 * Socket's Python CI scanner, socketcli 2.6.6 (`SocketPythonCLI/2.6.6`, over socketdev 3.5.0),
 * replayed on the wire as it runs against this server: over HTTPS (it refuses a plain http
 * BASE_API_URL unless RUN_ENVIRONMENT=dev) with a self-signed certificate it accepts because of
 * --allow-unverified. Covered: its org discovery and its repo bootstrap, run twice as CI does, then
 * its scans: the empty baseline, the real scan, their diff scan, its poll and the older diff it falls
 * back to.
 */
describe('socketcli 2.6.6 (Python CI scanner) on the wire, over HTTPS', () => {
  const dir = useTempDir('scanner', { shared: true })
  const server = useFixture(
    async () =>
      createHttpsServer(await createSelfSignedCertificate({ outDir: dir.path }), {
        orgs: [{ slug: 'acme', name: 'Acme Inc.', tokens: [{ token: TOKEN }] }],
      }),
    { shared: true },
  )
  /** socketdev's do_request with the scanner's User-Agent. */
  let scanner: ReturnType<typeof socketdevRequest>
  /** do_request with `files=`: the full-scan uploads. */
  let upload: ReturnType<typeof socketdevUpload>

  beforeAll(async () => {
    const api = await server.listen()
    expect(api.startsWith('https://')).toBe(true)
    scanner = socketdevRequest(targetOf(api, { rejectUnauthorized: false }), 'SocketPythonCLI/2.6.6', TOKEN)
    upload = socketdevUpload(targetOf(api, { rejectUnauthorized: false }), 'SocketPythonCLI/2.6.6', TOKEN)
  })

  it('registers its run (not part of this API): a Socket-shaped 404 it tolerates', async () => {
    const run = await scanner(
      'POST',
      'python-cli-runs',
      '{"client_version": "2.6.6", "share_logs": false, "decline_logs": false}',
    )
    expect(run.status).toBe(404)
    expect(run.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(run.json()).toEqual({ error: { message: 'Route POST:/v0/python-cli-runs not found', details: null } })
  })

  it('discovers exactly one org for its token, on an enterprise plan', async () => {
    // Core.get_org_id_slug: len(organizations) == 1, else it has no org; reachability needs plan.startswith("enterprise").
    const response = await scanner('GET', 'organizations')
    expect(response.status).toBe(200)
    const organizations = response.json().organizations as Record<string, { id: string; slug: string; plan: string }>
    const ids = Object.keys(organizations)
    expect(ids).toHaveLength(1)
    const [orgId = ''] = ids
    expect(organizations[orgId]).toMatchObject({ id: orgId, slug: 'acme' })
    expect(organizations[orgId]?.plan.startsWith('enterprise')).toBe(true)
  })

  it('bootstraps its repo on the first run (GET → 404 → POST without Content-Type → GET) and reads it on the next', async () => {
    // Core.get_repo_info: repos.repo raises APIResourceNotFound (an APIFailure) on 404 …
    const missing = await scanner('GET', 'orgs/acme/repos/payments-api')
    expect(missing.status).toBe(404)
    expect(missing.json().error.message).toEqual(expect.any(String))

    // … then repos.post(org, name=slug, default_branch="socket-default-branch", visibility="private"),
    // which must answer 201 with a non-empty body (an empty one makes it exit 2) …
    const created = await scanner(
      'POST',
      'orgs/acme/repos',
      '{"name": "payments-api", "default_branch": "socket-default-branch", "visibility": "private"}',
    )
    expect(created.status).toBe(201)
    expect(created.json()).toMatchObject({ slug: 'payments-api', default_branch: 'socket-default-branch' })

    // … and reads it again: RepositoryInfo.from_dict takes id, name, slug by key and head_full_scan_id.
    for (const run of ['first run', 'next run']) {
      const read = await scanner('GET', 'orgs/acme/repos/payments-api')
      expect(read.status, run).toBe(200)
      expect(read.json()).toMatchObject({
        id: created.json().id,
        name: 'payments-api',
        slug: 'payments-api',
        default_branch: 'socket-default-branch',
        visibility: 'private',
        archived: false,
        head_full_scan_id: null,
      })
    }
    const list = await scanner('GET', 'orgs/acme/repos?per_page=100&page=1')
    expect(list.json().results).toHaveLength(1)
  })

  it('uploads its baseline and its scan, compares them through a diff scan it polls, and through the older diff', async () => {
    // FullScanParams as socketdev writes them: by hand, booleans as Python prints them, committers a list
    // literal (requests re-quotes only the spaces).
    const query = (tmp: boolean) =>
      'repo=payments-api&branch=main&commit_message=Bump%20deps&commit_hash=0a1b2c3d' +
      "&committers=['alice@example.com',%20'bob@example.com']&integration_type=api&integration_org_slug=acme" +
      `&make_default_branch=${tmp ? 'False' : 'True'}&set_as_pending_head=${tmp ? 'False' : 'True'}` +
      `&tmp=${tmp ? 'True' : 'False'}&scan_type=socket`
    const baseline = await upload(`orgs/acme/full-scans?${query(true)}`, { '.socket.facts.json': '' })
    expect(baseline.status).toBe(201)
    const scan = await upload(`orgs/acme/full-scans?${query(false)}`, {
      'package-lock.json': JSON.stringify({
        lockfileVersion: 3,
        packages: { '': {}, 'node_modules/@types/node': { version: '20.19.43' } },
      }),
      'requirements.txt': 'requests==2.32.3\n',
    })
    expect(scan.status).toBe(201)
    const [before, after] = [baseline.json().id as string, scan.json().id as string]
    // The repo's head is the real scan now, not the baseline.
    expect((await scanner('GET', 'orgs/acme/repos/payments-api')).json().head_full_scan_id).toBe(after)

    // Core.get_diff_scan_artifacts: create_from_ids (urlencode, no body) and read diff_scan.id …
    const created = await scanner(
      'POST',
      `orgs/acme/diff-scans/from-ids?before=${before}&after=${after}&description=Socket+Security+CLI+v2.6.6+scan+comparison`,
    )
    expect(created.status).toBe(201)
    const id = created.json().diff_scan.id as string
    expect(created.json().diff_scan).toMatchObject({
      before_full_scan: { id: before },
      after_full_scan: { id: after },
      description: 'Socket Security CLI v2.6.6 scan comparison',
    })

    // … then poll with cached=true while status is "processing": the first answer is the result.
    const polled = await scanner('GET', `orgs/acme/diff-scans/${id}?cached=true&omit_unchanged=true`)
    expect(polled.status).toBe(200)
    expect(polled.json().status).toBeUndefined()
    const artifacts = polled.json().diff_scan.artifacts
    expect(Object.keys(artifacts)).toEqual(['added', 'removed', 'unchanged', 'replaced', 'updated'])
    expect(artifacts).toMatchObject({ removed: [], unchanged: null, replaced: [], updated: [] })
    // DiffArtifact.from_dict and Package.from_diff_artifact: diffType, id, type, name, version, head[0].topLevelAncestors.
    expect(artifacts.added).toEqual([
      {
        type: 'npm',
        namespace: '@types',
        name: 'node',
        version: '20.19.43',
        diffType: 'added',
        id: 'pkg:npm/%40types/node@20.19.43',
        base: [],
        head: [
          {
            manifestFiles: [{ file: 'package-lock.json' }],
            topLevelAncestors: [],
            artifact: {
              type: 'npm',
              namespace: '@types',
              name: 'node',
              version: '20.19.43',
              id: 'pkg:npm/%40types/node@20.19.43',
            },
          },
        ],
        alerts: [],
      },
      expect.objectContaining({ type: 'pypi', name: 'requests', version: '2.32.3', diffType: 'added', alerts: [] }),
    ])

    // fullscans.stream_diff, its fallback: the same comparison with the unchanged list, and both scans' commit info.
    const streamed = await scanner(
      'GET',
      `orgs/acme/full-scans/diff?before=${before}&after=${after}&include_license_details=false`,
    )
    expect(streamed.status).toBe(200)
    const report = streamed.json()
    expect(report.artifacts).toEqual({ ...artifacts, unchanged: [] })
    expect(report.after).toMatchObject({
      id: after,
      branch: 'main',
      committers: ['alice@example.com', 'bob@example.com'],
      commit_hash: '0a1b2c3d',
    })
    expect(report.diff_report_url).toEqual(expect.stringContaining(`/diff/${before}/${after}`))
    expect(report.directDependenciesChanged).toBe(false)
  })
})
