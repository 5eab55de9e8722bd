import { beforeEach, describe, expect, it } from 'vitest'
import type { SqliteDatabase } from '../../src/db/index.js'
import { createTestApp, createTestDb, issueToken, type TestApp } from '../helpers/app.js'
import { specOperations } from './operations.js'
import { stateSnapshot } from './support.js'

/**
 * Cross-org isolation. Org A's token, holding every scope, calls each of the org operations
 * (1) against B's slug and (2) under A's own slug with B's resource ids, slugs, names and
 * workspaces. It must read nothing of B, change nothing of B (B's rows, token quota included,
 * compared before and after), and learn nothing: the status and body are the same as for an
 * org, repo, label or workspace that does not exist at all (ids echoed in `details` aside).
 */

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

interface Probe {
  method: Method
  url: string
  body?: unknown
}

interface World {
  a: { labelId: string; repoId: string }
  b: {
    repoSlug: string
    wsRepoSlug: string
    workspace: string
    repoId: string
    labelId: string
    labelName: string
    tokenId: string
    tokenUuid: string
    token: string
  }
}

/** Stand-ins that name nothing: an org, ids and names that never existed. */
const NONE = {
  org: 'org-zz',
  repoSlug: 'no-such-repo',
  workspace: 'no-such-ws',
  repoId: '999998',
  labelId: '999999',
  tokenId: '999997',
  tokenUuid: '00000000-0000-4000-8000-000000000000',
  token: 'sktsec_no_such_token_0123456789abcdef',
}

const tokenSettings = { scopes: ['repo:list'], max_quota: 10, visibility: 'organization', committer: {} }
const orgPath = (org: string, rest: string) => `/v0/orgs/${org}/${rest}`

/**
 * For each operation: the same request with B's values and with values that name nothing, and
 * the pairs of values to treat as equal when comparing the answers (echoed in error details).
 */
interface Comparison {
  real: Probe
  fake: Probe
  swap: [string, string][]
  /** The status both must have. */
  status: number
}

type Case = (w: World) => Comparison[]

const repos = (org: string) => `/v0/orgs/${org}/repos`
const label = (org: string, id: string) => `/v0/orgs/${org}/repos/labels/${id}`

/** Requests against B's slug: 403 "Organization not allowed", exactly as for an org that does not exist. */
const againstBsSlug: Record<string, Case> = {
  getOrgRepoList: () => [pair({ method: 'GET', url: repos('org-b') }, { method: 'GET', url: repos(NONE.org) })],
  createOrgRepo: () => [
    pair(
      { method: 'POST', url: `${repos('org-b')}?on_duplicate=redirect`, body: { slug: 'b-web' } },
      { method: 'POST', url: `${repos(NONE.org)}?on_duplicate=redirect`, body: { slug: 'b-web' } },
    ),
  ],
  getOrgRepo: (w) => [
    pair({ method: 'GET', url: `${repos('org-b')}/${w.b.repoSlug}` }, { method: 'GET', url: `${repos(NONE.org)}/x` }),
    pair(
      { method: 'GET', url: `${repos('org-b')}/${w.b.wsRepoSlug}?workspace=${w.b.workspace}` },
      { method: 'GET', url: `${repos(NONE.org)}/x?workspace=y` },
    ),
  ],
  updateOrgRepo: (w) => [
    pair(
      { method: 'POST', url: `${repos('org-b')}/${w.b.repoSlug}`, body: { description: 'pwned', archived: true } },
      { method: 'POST', url: `${repos(NONE.org)}/x`, body: { description: 'pwned', archived: true } },
    ),
  ],
  deleteOrgRepo: (w) => [
    pair(
      { method: 'DELETE', url: `${repos('org-b')}/${w.b.repoSlug}` },
      { method: 'DELETE', url: `${repos(NONE.org)}/x` },
    ),
  ],
  createOrgRepoLabel: () => [
    pair(
      { method: 'POST', url: `${repos('org-b')}/labels`, body: { name: 'injected' } },
      { method: 'POST', url: `${repos(NONE.org)}/labels`, body: { name: 'injected' } },
    ),
  ],
  getOrgRepoLabelList: () => [
    pair({ method: 'GET', url: `${repos('org-b')}/labels` }, { method: 'GET', url: `${repos(NONE.org)}/labels` }),
  ],
  getOrgRepoLabel: (w) => [
    pair({ method: 'GET', url: label('org-b', w.b.labelId) }, { method: 'GET', url: label(NONE.org, NONE.labelId) }),
  ],
  updateOrgRepoLabel: (w) => [
    pair(
      { method: 'PUT', url: label('org-b', w.b.labelId), body: { name: 'pwned' } },
      { method: 'PUT', url: label(NONE.org, NONE.labelId), body: { name: 'pwned' } },
    ),
  ],
  deleteOrgRepoLabel: (w) => [
    pair(
      { method: 'DELETE', url: label('org-b', w.b.labelId) },
      { method: 'DELETE', url: label(NONE.org, NONE.labelId) },
    ),
  ],
  associateOrgRepoLabel: (w) => [
    pair(
      { method: 'POST', url: `${label('org-b', w.b.labelId)}/associate`, body: { repository_id: w.a.repoId } },
      { method: 'POST', url: `${label(NONE.org, NONE.labelId)}/associate`, body: { repository_id: w.a.repoId } },
    ),
  ],
  disassociateOrgRepoLabel: (w) => [
    pair(
      { method: 'POST', url: `${label('org-b', w.b.labelId)}/disassociate`, body: { repository_id: w.b.repoId } },
      { method: 'POST', url: `${label(NONE.org, NONE.labelId)}/disassociate`, body: { repository_id: w.b.repoId } },
    ),
  ],
  getOrgRepoLabelSetting: (w) => [
    pair(
      { method: 'GET', url: `${label('org-b', w.b.labelId)}/label-setting?setting_key=issueRules` },
      { method: 'GET', url: `${label(NONE.org, NONE.labelId)}/label-setting?setting_key=issueRules` },
    ),
  ],
  updateOrgRepoLabelSetting: (w) => [
    pair(
      { method: 'PUT', url: `${label('org-b', w.b.labelId)}/label-setting`, body: { issueRulesPolicyDefault: 'low' } },
      {
        method: 'PUT',
        url: `${label(NONE.org, NONE.labelId)}/label-setting`,
        body: { issueRulesPolicyDefault: 'low' },
      },
    ),
  ],
  deleteOrgRepoLabelSetting: (w) => [
    pair(
      { method: 'DELETE', url: `${label('org-b', w.b.labelId)}/label-setting?setting_key=licensePolicy` },
      { method: 'DELETE', url: `${label(NONE.org, NONE.labelId)}/label-setting?setting_key=licensePolicy` },
    ),
  ],
  ...Object.fromEntries(
    (
      [
        ['getOrgSecurityPolicy', 'GET', 'settings/security-policy', undefined],
        ['updateOrgSecurityPolicy', 'POST', 'settings/security-policy', { policyDefault: 'low' }],
        ['getOrgLicensePolicy', 'GET', 'settings/license-policy', undefined],
        ['updateOrgLicensePolicy', 'POST', 'settings/license-policy?merge_update=false', { allow: ['pwned'] }],
        ['getAuditLogEvents', 'GET', 'audit-log', undefined],
        ['postAPIToken', 'POST', 'api-tokens', tokenSettings],
        ['getAPITokens', 'GET', 'api-tokens', undefined],
        ['postAPITokenSdkPath', 'POST', 'tokens', tokenSettings],
        ['getAPITokensSdkPath', 'GET', 'tokens', undefined],
      ] as const
    ).map(([operationId, method, rest, body]): [string, Case] => [
      operationId,
      () => [
        pair(
          { method, url: orgPath('org-b', rest), ...(body ? { body } : {}) },
          { method, url: orgPath(NONE.org, rest), ...(body ? { body } : {}) },
        ),
      ],
    ]),
  ),
  postAPITokenUpdate: (w) => [
    pair(
      { method: 'POST', url: orgPath('org-b', 'api-tokens/update'), body: { ...tokenSettings, id: w.b.tokenId } },
      { method: 'POST', url: orgPath(NONE.org, 'api-tokens/update'), body: { ...tokenSettings, id: NONE.tokenId } },
    ),
  ],
  postAPITokensRotate: (w) => [
    pair(
      { method: 'POST', url: orgPath('org-b', 'api-tokens/rotate'), body: { uuid: w.b.tokenUuid } },
      { method: 'POST', url: orgPath(NONE.org, 'api-tokens/rotate'), body: { uuid: NONE.tokenUuid } },
    ),
  ],
  postAPITokensRevoke: (w) => [
    pair(
      { method: 'POST', url: orgPath('org-b', 'api-tokens/revoke'), body: { token: w.b.token } },
      { method: 'POST', url: orgPath(NONE.org, 'api-tokens/revoke'), body: { token: NONE.token } },
    ),
  ],
  postAPITokenUpdateSdkPath: (w) => [
    pair(
      { method: 'POST', url: orgPath('org-b', `tokens/${w.b.tokenId}/update`), body: tokenSettings },
      { method: 'POST', url: orgPath(NONE.org, `tokens/${NONE.tokenId}/update`), body: tokenSettings },
    ),
  ],
  postAPITokensRotateSdkPath: (w) => [
    pair(
      { method: 'POST', url: orgPath('org-b', `tokens/${w.b.tokenId}/rotate`) },
      { method: 'POST', url: orgPath(NONE.org, `tokens/${NONE.tokenId}/rotate`) },
    ),
  ],
  postAPITokensRevokeSdkPath: (w) => [
    pair(
      { method: 'POST', url: orgPath('org-b', `tokens/${w.b.tokenId}/revoke`) },
      { method: 'POST', url: orgPath(NONE.org, `tokens/${NONE.tokenId}/revoke`) },
    ),
  ],
  getRepoEffectivePolicy: (w) => [
    pair(
      { method: 'GET', url: `${repos('org-b')}/${w.b.repoSlug}/x-effective-policy` },
      { method: 'GET', url: `${repos(NONE.org)}/x/x-effective-policy` },
    ),
  ],
}

function pair(real: Probe, fake: Probe, swap: [string, string][] = [], status = 403): Comparison {
  return { real, fake, swap, status }
}

/** Requests under A's own slug that name B's resources: answered as if they named nothing. */
const underAsSlugWithBsIds: Record<string, Case> = {
  getOrgRepoList: (w) => [
    {
      real: { method: 'GET', url: `${repos('org-a')}?workspace=${w.b.workspace}&include_archived=true` },
      fake: { method: 'GET', url: `${repos('org-a')}?workspace=${NONE.workspace}&include_archived=true` },
      swap: [],
      status: 200,
    },
  ],
  getOrgRepo: (w) => [
    notFound({ method: 'GET', url: `${repos('org-a')}/${w.b.repoSlug}` }, [w.b.repoSlug, NONE.repoSlug]),
    notFound({ method: 'GET', url: `${repos('org-a')}/${w.b.wsRepoSlug}` }, [w.b.wsRepoSlug, NONE.repoSlug]),
    notFound(
      { method: 'GET', url: `${repos('org-a')}/${w.b.wsRepoSlug}?workspace=${w.b.workspace}` },
      [w.b.wsRepoSlug, NONE.repoSlug],
      [w.b.workspace, NONE.workspace],
    ),
  ],
  updateOrgRepo: (w) => [
    notFound(
      { method: 'POST', url: `${repos('org-a')}/${w.b.repoSlug}`, body: { description: 'pwned', archived: true } },
      [w.b.repoSlug, NONE.repoSlug],
    ),
    notFound(
      {
        method: 'POST',
        url: `${repos('org-a')}/${w.b.wsRepoSlug}?workspace=${w.b.workspace}`,
        body: { visibility: 'public' },
      },
      [w.b.wsRepoSlug, NONE.repoSlug],
      [w.b.workspace, NONE.workspace],
    ),
  ],
  deleteOrgRepo: (w) => [
    notFound({ method: 'DELETE', url: `${repos('org-a')}/${w.b.repoSlug}` }, [w.b.repoSlug, NONE.repoSlug]),
    notFound(
      { method: 'DELETE', url: `${repos('org-a')}/${w.b.wsRepoSlug}?workspace=${w.b.workspace}` },
      [w.b.wsRepoSlug, NONE.repoSlug],
      [w.b.workspace, NONE.workspace],
    ),
  ],
  getOrgRepoLabel: (w) => [notFound({ method: 'GET', url: label('org-a', w.b.labelId) }, [w.b.labelId, NONE.labelId])],
  updateOrgRepoLabel: (w) => [
    notFound({ method: 'PUT', url: label('org-a', w.b.labelId), body: { name: 'pwned' } }, [w.b.labelId, NONE.labelId]),
  ],
  deleteOrgRepoLabel: (w) => [
    notFound({ method: 'DELETE', url: label('org-a', w.b.labelId) }, [w.b.labelId, NONE.labelId]),
  ],
  associateOrgRepoLabel: (w) => [
    // A's label with B's repo: "Repository not found", as for a repo id that never existed.
    notFound({ method: 'POST', url: `${label('org-a', w.a.labelId)}/associate`, body: { repository_id: w.b.repoId } }, [
      w.b.repoId,
      NONE.repoId,
    ]),
    // B's label with A's repo, and B's label with B's repo.
    notFound({ method: 'POST', url: `${label('org-a', w.b.labelId)}/associate`, body: { repository_id: w.a.repoId } }, [
      w.b.labelId,
      NONE.labelId,
    ]),
    notFound(
      { method: 'POST', url: `${label('org-a', w.b.labelId)}/associate`, body: { repository_id: w.b.repoId } },
      [w.b.labelId, NONE.labelId],
      [w.b.repoId, NONE.repoId],
    ),
  ],
  disassociateOrgRepoLabel: (w) => [
    notFound(
      { method: 'POST', url: `${label('org-a', w.a.labelId)}/disassociate`, body: { repository_id: w.b.repoId } },
      [w.b.repoId, NONE.repoId],
    ),
    // B's own association, addressed from A: it stays.
    notFound(
      { method: 'POST', url: `${label('org-a', w.b.labelId)}/disassociate`, body: { repository_id: w.b.repoId } },
      [w.b.labelId, NONE.labelId],
      [w.b.repoId, NONE.repoId],
    ),
  ],
  getOrgRepoLabelSetting: (w) =>
    ['issueRules', 'issueRulesPolicyDefault', 'licensePolicy', 'recentlyPublishedThresholdMs'].map((key) =>
      notFound({ method: 'GET', url: `${label('org-a', w.b.labelId)}/label-setting?setting_key=${key}` }, [
        w.b.labelId,
        NONE.labelId,
      ]),
    ),
  updateOrgRepoLabelSetting: (w) => [
    notFound(
      {
        method: 'PUT',
        url: `${label('org-a', w.b.labelId)}/label-setting`,
        body: { issueRulesPolicyDefault: 'low', issueRules: { malware: { action: 'ignore' } }, licensePolicy: {} },
      },
      [w.b.labelId, NONE.labelId],
    ),
  ],
  deleteOrgRepoLabelSetting: (w) => [
    notFound(
      { method: 'DELETE', url: `${label('org-a', w.b.labelId)}/label-setting?setting_key=issueRulesPolicyDefault` },
      [w.b.labelId, NONE.labelId],
    ),
  ],
  // B's tokens, named from A by id, group uuid or value: "API token not found", as for none at all.
  postAPITokenUpdate: (w) => [
    notFound(
      { method: 'POST', url: orgPath('org-a', 'api-tokens/update'), body: { ...tokenSettings, id: w.b.tokenId } },
      [w.b.tokenId, NONE.tokenId],
    ),
  ],
  postAPITokensRotate: (w) => [
    notFound({ method: 'POST', url: orgPath('org-a', 'api-tokens/rotate'), body: { uuid: w.b.tokenUuid } }, [
      w.b.tokenUuid,
      NONE.tokenUuid,
    ]),
  ],
  postAPITokensRevoke: (w) => [
    notFound({ method: 'POST', url: orgPath('org-a', 'api-tokens/revoke'), body: { token: w.b.token } }, [
      w.b.token,
      NONE.token,
    ]),
  ],
  postAPITokenUpdateSdkPath: (w) => [
    notFound({ method: 'POST', url: orgPath('org-a', `tokens/${w.b.tokenId}/update`), body: tokenSettings }, [
      w.b.tokenId,
      NONE.tokenId,
    ]),
  ],
  postAPITokensRotateSdkPath: (w) => [
    notFound({ method: 'POST', url: orgPath('org-a', `tokens/${w.b.tokenId}/rotate`) }, [w.b.tokenId, NONE.tokenId]),
  ],
  postAPITokensRevokeSdkPath: (w) => [
    notFound({ method: 'POST', url: orgPath('org-a', `tokens/${w.b.tokenId}/revoke`) }, [w.b.tokenId, NONE.tokenId]),
  ],
  getRepoEffectivePolicy: (w) => [
    notFound({ method: 'GET', url: `${repos('org-a')}/${w.b.repoSlug}/x-effective-policy` }, [
      w.b.repoSlug,
      NONE.repoSlug,
    ]),
  ],
}

/** The same request with B's values replaced by values that name nothing: both must be the same 404. */
function notFound(real: Probe, ...swap: [string, string][]): Comparison {
  // Exact values only: a path segment, a query value, a string in the body.
  const replace = (value: string) => swap.find(([b]) => b === value)?.[1] ?? value
  const fake: Probe = {
    method: real.method,
    url: real.url
      .split(/([/?&=])/)
      .map(replace)
      .join(''),
  }
  if (real.body !== undefined) {
    fake.body = JSON.parse(JSON.stringify(real.body), (_key, value) =>
      typeof value === 'string' ? replace(value) : value,
    )
  }
  return { real, fake, swap, status: 404 }
}

/** The spec's operations under /orgs/{org_slug} this suite must cover (the full-scan, diff-scan and supported-files
 * ones: test/full-scans.test.ts, test/diff-scans.test.ts, test/supported-files.test.ts). */
function orgOperationIds(): string[] {
  return specOperations()
    .filter((op) => op.path.startsWith('/orgs/{org_slug}'))
    .filter(
      (op) =>
        !op.path.startsWith('/orgs/{org_slug}/full-scans') &&
        !op.path.startsWith('/orgs/{org_slug}/diff-scans') &&
        op.path !== '/orgs/{org_slug}/supported-files',
    )
    .map((op) => op.operationId)
    .sort()
}

describe('cross-org isolation', () => {
  let db: SqliteDatabase
  let t: TestApp
  let tokenB: string
  let bOrgId: number
  let world: World

  const send = (probe: Probe, token = t.token) =>
    t.app.inject({
      method: probe.method,
      url: probe.url,
      headers: t.auth(token),
      ...(probe.body === undefined ? {} : { payload: probe.body as object }),
    })
  const ok = async (probe: Probe, token: string) => {
    const response = await send(probe, token)
    expect(response.statusCode, response.body).toBeLessThan(300)
    return response.json()
  }
  /** B's whole state: its rows, and its tokens' quota bookkeeping too (A must not spend B's quota). */
  const stateOfB = () => ({
    ...stateSnapshot(db.db.$client, bOrgId),
    quota: JSON.stringify(
      db.db.$client
        .prepare('SELECT id, quota_used, window_started_at, last_used_at FROM tokens WHERE org_id = ? ORDER BY id')
        .raw(true)
        .all(bOrgId),
    ),
  })

  beforeEach(async () => {
    db = createTestDb({ path: ':memory:' })
    t = await createTestApp({ db, orgSlug: 'org-a' })
    const orgB = await t.services.orgs.create({ slug: 'org-b', name: 'B Corp' })
    bOrgId = Number(orgB.id)
    tokenB = await issueToken(t.services, { orgSlug: 'org-b', maxQuota: 1000 })

    // A: one repo and one label of its own.
    const aRepo = await ok({ method: 'POST', url: repos('org-a'), body: { slug: 'a-web' } }, t.token)
    const aLabel = await ok({ method: 'POST', url: `${repos('org-a')}/labels`, body: { name: 'a-label' } }, t.token)
    // B: repos in two workspaces, labels with settings and an association, all made by B's token.
    const bRepo = await ok(
      { method: 'POST', url: repos('org-b'), body: { slug: 'b-web', description: 'secret', visibility: 'private' } },
      tokenB,
    )
    await ok({ method: 'POST', url: repos('org-b'), body: { slug: 'b-api', workspace: 'b-ws' } }, tokenB)
    const bLabel = await ok({ method: 'POST', url: `${repos('org-b')}/labels`, body: { name: 'b-label' } }, tokenB)
    await ok({ method: 'POST', url: `${repos('org-b')}/labels`, body: { name: 'b-label-2' } }, tokenB)
    await ok(
      { method: 'POST', url: `${label('org-b', bLabel.id)}/associate`, body: { repository_id: bRepo.id } },
      tokenB,
    )
    await ok(
      {
        method: 'PUT',
        url: `${label('org-b', bLabel.id)}/label-setting`,
        body: {
          issueRulesPolicyDefault: 'high',
          issueRules: { malware: { action: 'error' } },
          licensePolicy: { allow: ['MIT'] },
          recentlyPublishedThresholdMs: 1000,
        },
      },
      tokenB,
    )
    const [bToken] = await t.services.tokens.list('org-b')
    world = {
      a: { labelId: aLabel.id, repoId: aRepo.id },
      b: {
        tokenId: bToken?.id ?? '',
        tokenUuid: bToken?.groupUuid ?? '',
        token: tokenB,
        repoSlug: 'b-web',
        wsRepoSlug: 'b-api',
        workspace: 'b-ws',
        repoId: bRepo.id,
        labelId: bLabel.id,
        labelName: 'b-label',
      },
    }
    // Ids that name nothing must really name nothing.
    for (const id of [NONE.labelId, NONE.repoId, NONE.tokenId]) expect(Number(id)).toBeGreaterThan(100)
  })

  it('covers every operation under /orgs/{org_slug} of the spec but the full-scan, diff-scan and supported-files ones', () => {
    expect(Object.keys(againstBsSlug).sort()).toEqual(orgOperationIds())
    expect(orgOperationIds()).toHaveLength(31)
  })

  /** Sends both requests of each comparison; they must answer the same, and B must be untouched. */
  async function compare(comparisons: Comparison[]) {
    const before = stateOfB()
    for (const { real, fake, swap, status } of comparisons) {
      const realResponse = await send(real)
      const fakeResponse = await send(fake)
      const label = `${real.method} ${real.url} ${JSON.stringify(real.body ?? null)}`
      expect(realResponse.statusCode, `${label}: ${realResponse.body}`).toBe(status)
      expect(fakeResponse.statusCode, label).toBe(status)
      const normalise = (text: string, pick: 0 | 1) =>
        swap.reduce((out, values, i) => out.split(JSON.stringify(values[pick])).join(`"<value ${i}>"`), text)
      expect(normalise(realResponse.body, 0), label).toBe(normalise(fakeResponse.body, 1))
      if (status === 403)
        expect(realResponse.json()).toEqual({ error: { message: 'Organization not allowed', details: null } })
    }
    expect(stateOfB()).toEqual(before)
  }

  describe("A's token against B's slug", () => {
    it.each(Object.keys(againstBsSlug))(
      '%s: 403 as for an org that does not exist; B unchanged',
      async (operationId) => {
        const build = againstBsSlug[operationId] as Case
        await compare(build(world))
      },
    )
  })

  describe("A's token under A's slug with B's ids, slugs and workspaces", () => {
    it.each(Object.keys(underAsSlugWithBsIds))(
      '%s: answered as for a resource that does not exist; B unchanged',
      async (operationId) => {
        const build = underAsSlugWithBsIds[operationId] as Case
        await compare(build(world))
      },
    )

    it("getOrgRepoList and getOrgRepoLabelList: A's lists hold nothing of B's", async () => {
      const before = stateOfB()
      const texts: string[] = []
      for (const query of ['', '?include_archived=true&per_page=100', '?workspace=', '?sort=name&direction=asc']) {
        const response = await send({ method: 'GET', url: `${repos('org-a')}${query}` })
        expect(response.statusCode).toBe(200)
        const ids = (response.json() as { results: { id: string }[] }).results.map((r) => r.id)
        expect(ids).toEqual([world.a.repoId])
        texts.push(response.body)
      }
      const labels = await send({ method: 'GET', url: `${repos('org-a')}/labels?per_page=100` })
      expect(labels.statusCode).toBe(200)
      expect((labels.json() as { results: { id: string }[] }).results.map((l) => l.id)).toEqual([world.a.labelId])
      texts.push(labels.body)
      for (const text of texts) {
        for (const secret of ['b-web', 'b-api', 'b-ws', 'b-label', 'secret', 'org-b'])
          expect(text).not.toContain(secret)
      }
      expect(stateOfB()).toEqual(before)
    })

    it("createOrgRepo / createOrgRepoLabel with B's slug and name: created in A (201), no 409 or 302 that would reveal B's", async () => {
      const before = stateOfB()
      for (const url of [repos('org-a'), `${repos('org-a')}?on_duplicate=redirect`]) {
        for (const body of [{ slug: world.b.repoSlug }, { slug: world.b.wsRepoSlug, workspace: world.b.workspace }]) {
          const response = await send({ method: 'POST', url, body })
          expect(response.statusCode, response.body).toBe(201)
          const created = response.json() as { id: string; description: string }
          expect(created.id).not.toBe(world.b.repoId)
          expect(created.description).toBe('')
          // Delete it again so the second round also meets only B's.
          expect(
            (await send({ method: 'DELETE', url: `${repos('org-a')}/${body.slug}?workspace=${body.workspace ?? ''}` }))
              .statusCode,
          ).toBe(200)
        }
      }
      const labelResponse = await send({ method: 'POST', url: `${repos('org-a')}/labels`, body: { name: 'B-LABEL' } })
      expect(labelResponse.statusCode, labelResponse.body).toBe(201)
      expect((labelResponse.json() as { repository_ids: string[] }).repository_ids).toEqual([])
      // Renaming A's label to B's label name is no conflict either.
      const renamed = await send({ method: 'PUT', url: label('org-a', world.a.labelId), body: { name: 'b-label-2' } })
      expect(renamed.statusCode, renamed.body).toBe(200)
      expect(stateOfB()).toEqual(before)
    })

    it('getOrganizations and getQuota describe A and its token only', async () => {
      const before = stateOfB()
      const orgs = await send({ method: 'GET', url: '/v0/organizations' })
      expect(orgs.statusCode).toBe(200)
      const organizations = (orgs.json() as { organizations: Record<string, { slug: string }> }).organizations
      expect(Object.values(organizations).map((o) => o.slug)).toEqual(['org-a'])
      expect(orgs.body).not.toContain('org-b')
      const quota = await send({ method: 'GET', url: '/v0/quota' })
      expect(quota.statusCode).toBe(200)
      expect(quota.json()).toMatchObject({ maxQuota: 100_000 })
      expect(stateOfB()).toEqual(before)
    })
  })

  it("B still sees exactly its own data after all of A's attempts", async () => {
    const before = stateOfB()
    for (const build of [...Object.values(againstBsSlug), ...Object.values(underAsSlugWithBsIds)]) {
      for (const { real } of build(world)) await send(real)
    }
    const after = stateOfB()
    expect(after).toEqual(before)
    const bLabel = await send({ method: 'GET', url: label('org-b', world.b.labelId) }, tokenB)
    expect(bLabel.json()).toEqual({
      id: world.b.labelId,
      name: 'b-label',
      repository_ids: [world.b.repoId],
      has_security_policy: true,
      has_license_policy: true,
    })
  })
})
