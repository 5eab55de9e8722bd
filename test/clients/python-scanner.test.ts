import { beforeAll, describe, expect, it } from 'vitest'
import { createSelfSignedCertificate } from '../../src/tls.js'
import { createHttpsServer } from '../helpers/app.js'
import { useFixture, useTempDir } from '../helpers/fixtures.js'
import { targetOf } from '../helpers/http.js'
import { socketdevRequest } from './python-requests.js'

const TOKEN = 'sktsec_python_scanner_token_0123456789'

/**
 * Socket's Python CI scanner, socketcli 2.6.6 (`SocketPythonCLI/2.6.6`, over socketdev 3.5.0),
 * replayed on the wire as it runs against this server: over HTTPS (it refuses a plain http
 * BASE_API_URL unless RUN_ENVIRONMENT=dev) with a self-signed certificate it accepts because of
 * --allow-unverified. Covered: its org discovery and its repo bootstrap, run twice as CI does.
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

  beforeAll(async () => {
    const api = await server.listen()
    expect(api.startsWith('https://')).toBe(true)
    scanner = socketdevRequest(targetOf(api, { rejectUnauthorized: false }), 'SocketPythonCLI/2.6.6', TOKEN)
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
})
