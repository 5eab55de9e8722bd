import { readFileSync } from 'node:fs'
import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { specPath } from '../src/http/spec-loader.js'
import { alertTypes } from '../src/services/alert-types.js'
import { issueToken, request, useTestApp } from './helpers/app.js'
import { createLabel } from './helpers/labels.js'

/** The org's security and license policy, and the effective-policy extension (docs/org-policies.md). */

const SECURITY = '/v0/orgs/acme/settings/security-policy'
const LICENSE = '/v0/orgs/acme/settings/license-policy'

function expectError(response: LightMyRequestResponse, status: number, message?: string | RegExp) {
  expect(response.statusCode, response.body).toBe(status)
  if (message !== undefined) expect((response.json() as { error: { message: string } }).error.message).toMatch(message)
}

function ok(response: LightMyRequestResponse) {
  expect(response.statusCode, response.body).toBe(200)
  return response.json() as Record<string, unknown>
}

it("alert-types.ts is openapi/'s IssueRules, in order", () => {
  const spec = parse(readFileSync(specPath, 'utf8'), { merge: true }) as {
    components: { schemas: { IssueRules: { properties: Record<string, unknown> } } }
  }
  expect([...alertTypes]).toEqual(Object.keys(spec.components.schemas.IssueRules.properties))
})

describe('org security policy', () => {
  const t = useTestApp()

  it('a new org: default policy, every alert type deferring to it, none customized', async () => {
    const policy = ok(await request(t, 'GET', SECURITY)) as {
      securityPolicyRules: Record<string, unknown>
      securityPolicyDefault: string
    }
    expect(policy.securityPolicyDefault).toBe('default')
    expect(Object.keys(policy.securityPolicyRules)).toEqual([...alertTypes])
    expect(new Set(Object.values(policy.securityPolicyRules).map((rule) => JSON.stringify(rule)))).toEqual(
      new Set(['{"action":"defer"}']),
    )
    expect(ok(await request(t, 'GET', `${SECURITY}?custom_rules_only=true`))).toEqual({
      securityPolicyRules: {},
      securityPolicyDefault: 'default',
    })
  })

  it('updates the default and merges rules; resetPolicyRules drops the customized rules', async () => {
    const first = ok(
      await request(t, 'POST', `${SECURITY}?custom_rules_only=true`, {
        payload: { policyDefault: 'high', policyRules: { malware: { action: 'error' }, cve: { action: 'warn' } } },
      }),
    )
    expect(first).toEqual({
      securityPolicyRules: { malware: { action: 'error' }, cve: { action: 'warn' } },
      securityPolicyDefault: 'high',
    })
    ok(await request(t, 'POST', SECURITY, { payload: { policyRules: { cve: { action: 'ignore' } } } }))
    const full = ok(await request(t, 'GET', SECURITY)) as {
      securityPolicyRules: Record<string, { action: string }>
      securityPolicyDefault: string
    }
    expect(full.securityPolicyRules.malware).toEqual({ action: 'error' })
    expect(full.securityPolicyRules.cve).toEqual({ action: 'ignore' })
    expect(full.securityPolicyRules.telemetry).toEqual({ action: 'defer' })
    expect(full.securityPolicyDefault).toBe('high')

    const reset = ok(
      await request(t, 'POST', `${SECURITY}?custom_rules_only=true`, { payload: { resetPolicyRules: true } }),
    )
    expect(reset).toEqual({ securityPolicyRules: {}, securityPolicyDefault: 'high' })
    // No body: nothing changes.
    expect(ok(await request(t, 'POST', `${SECURITY}?custom_rules_only=true`))).toEqual(reset)
  })

  it('400: an unknown alert type, action or policy default; nothing is stored', async () => {
    for (const payload of [
      { policyRules: { notAnAlert: { action: 'error' } } },
      { policyRules: { malware: { action: 'explode' } } },
      { policyRules: { malware: { action: 'error', extra: 1 } } },
      { policyDefault: 'extreme' },
      { somethingElse: true },
    ]) {
      expectError(await request(t, 'POST', SECURITY, { payload }), 400)
    }
    expectError(await request(t, 'GET', `${SECURITY}?custom_rules_only=maybe`), 400)
    expect(ok(await request(t, 'GET', `${SECURITY}?custom_rules_only=true`)).securityPolicyRules).toEqual({})
  })

  it('409: resetPolicyRules together with policyRules', async () => {
    const response = await request(t, 'POST', SECURITY, {
      payload: { resetPolicyRules: true, policyRules: { malware: { action: 'error' } } },
    })
    expectError(response, 409, 'resetPolicyRules cannot be combined with policyRules updates')
  })

  it('401, 403 (scope, other org), 429', async () => {
    expectError(await request(t, 'GET', SECURITY, { token: null }), 401)
    const reader = await issueToken(t.services, { orgSlug: 'acme', scopes: ['security-policy:read'], maxQuota: 1 })
    expectError(await request(t, 'POST', SECURITY, { token: reader, payload: {} }), 403, 'Insufficient permissions')
    ok(await request(t, 'GET', SECURITY, { token: reader }))
    const spent = await request(t, 'GET', SECURITY, { token: reader })
    expectError(spent, 429, 'Insufficient quota for API route')
    await t.services.orgs.create({ slug: 'other' })
    expectError(await request(t, 'GET', '/v0/orgs/other/settings/security-policy'), 403, 'Organization not allowed')
  })
})

describe('org license policy', () => {
  const t = useTestApp()

  it('a new org has none; merge_update adds to the lists, merge_update=false replaces the policy', async () => {
    expect(ok(await request(t, 'GET', LICENSE))).toEqual({})
    expect(
      ok(await request(t, 'POST', `${LICENSE}?merge_update=true`, { payload: { allow: ['MIT'], warn: ['GPL-3.0'] } })),
    ).toEqual({ allow: ['MIT'], warn: ['GPL-3.0'] })
    expect(
      ok(
        await request(t, 'POST', `${LICENSE}?merge_update=true`, {
          payload: { allow: ['Apache-2.0', 'MIT'], options: ['toplevelOnly'] },
        }),
      ),
    ).toEqual({ allow: ['MIT', 'Apache-2.0'], warn: ['GPL-3.0'], options: ['toplevelOnly'] })
    expect(
      ok(await request(t, 'POST', `${LICENSE}?merge_update=false`, { payload: { allow: ['permissive'] } })),
    ).toEqual({
      allow: ['permissive'],
    })
    expect(ok(await request(t, 'GET', LICENSE))).toEqual({ allow: ['permissive'] })
  })

  it('merge_update missing reads as its schema default, false: the body replaces the policy', async () => {
    ok(await request(t, 'POST', `${LICENSE}?merge_update=true`, { payload: { allow: ['MIT'], warn: ['GPL-3.0'] } }))
    expect(ok(await request(t, 'POST', LICENSE, { payload: { allow: ['ISC'] } }))).toEqual({ allow: ['ISC'] })
  })

  it('400: an unknown key or option, a list of non-strings, a merge_update that is no boolean', async () => {
    expectError(await request(t, 'POST', `${LICENSE}?merge_update=perhaps`, { payload: {} }), 400)
    for (const payload of [{ deny: ['MIT'] }, { options: ['everything'] }, { allow: [1] }, { allow: 'MIT' }]) {
      expectError(await request(t, 'POST', `${LICENSE}?merge_update=true`, { payload }), 400)
    }
    expect(ok(await request(t, 'GET', LICENSE))).toEqual({})
  })

  it('401, 403 (scope, other org), 429', async () => {
    expectError(await request(t, 'GET', LICENSE, { token: null }), 401)
    const reader = await issueToken(t.services, { orgSlug: 'acme', scopes: ['license-policy:read'], maxQuota: 1 })
    expectError(await request(t, 'POST', `${LICENSE}?merge_update=true`, { token: reader, payload: {} }), 403)
    ok(await request(t, 'GET', LICENSE, { token: reader }))
    expectError(await request(t, 'GET', LICENSE, { token: reader }), 429)
    await t.services.orgs.create({ slug: 'other' })
    expectError(await request(t, 'GET', '/v0/orgs/other/settings/license-policy'), 403)
  })
})

describe('effective policy (extension: GET /orgs/{org}/repos/{slug}/x-effective-policy)', () => {
  const t = useTestApp()

  async function repo(slug: string): Promise<string> {
    const response = await request(t, 'POST', '/v0/orgs/acme/repos', { payload: { slug } })
    expect(response.statusCode, response.body).toBe(201)
    return (response.json() as { id: string }).id
  }

  async function label(name: string, repoId: string, settings: Record<string, unknown>): Promise<string> {
    const { id } = await createLabel(t, name)
    ok(await request(t, 'POST', `/v0/orgs/acme/repos/labels/${id}/associate`, { payload: { repository_id: repoId } }))
    const put = await request(t, 'PUT', `/v0/orgs/acme/repos/labels/${id}/label-setting`, { payload: settings })
    expect(put.statusCode, put.body).toBe(200)
    return id
  }

  const org = { kind: 'org' }

  it('a repo without labels gets the org policy', async () => {
    await repo('plain')
    ok(
      await request(t, 'POST', SECURITY, {
        payload: { policyDefault: 'medium', policyRules: { malware: { action: 'error' } } },
      }),
    )
    ok(await request(t, 'POST', `${LICENSE}?merge_update=true`, { payload: { allow: ['MIT'] } }))
    expect(ok(await request(t, 'GET', '/v0/orgs/acme/repos/plain/x-effective-policy'))).toEqual({
      repository: { id: expect.any(String), slug: 'plain', workspace: '' },
      labels: [],
      securityPolicyDefault: { value: 'medium', source: org },
      securityPolicyRules: { malware: { action: 'error', source: org } },
      licensePolicy: { value: { allow: ['MIT'] }, source: org },
      recentlyPublishedThresholdMs: null,
    })
  })

  it("one label overrides the org's keys it sets; several labels: the strictest wins, the license of the lowest id", async () => {
    const repoId = await repo('svc')
    ok(
      await request(t, 'POST', SECURITY, {
        payload: { policyDefault: 'high', policyRules: { malware: { action: 'error' }, cve: { action: 'warn' } } },
      }),
    )
    ok(await request(t, 'POST', `${LICENSE}?merge_update=true`, { payload: { allow: ['MIT'] } }))
    const a = await label('a', repoId, {
      issueRulesPolicyDefault: 'low',
      issueRules: { cve: { action: 'ignore' }, telemetry: { action: 'monitor' } },
      licensePolicy: { allow: ['Apache-2.0'] },
    })
    const one = ok(await request(t, 'GET', '/v0/orgs/acme/repos/svc/x-effective-policy'))
    const fromA = { kind: 'label', label_id: a, label_name: 'a' }
    expect(one).toMatchObject({
      labels: [{ id: a, name: 'a' }],
      securityPolicyDefault: { value: 'low', source: fromA },
      securityPolicyRules: {
        cve: { action: 'ignore', source: fromA },
        malware: { action: 'error', source: org },
        telemetry: { action: 'monitor', source: fromA },
      },
      licensePolicy: { value: { allow: ['Apache-2.0'] }, source: fromA },
    })

    const b = await label('b', repoId, {
      issueRulesPolicyDefault: 'medium',
      issueRules: { cve: { action: 'error' }, telemetry: { action: 'ignore' } },
      licensePolicy: { allow: ['BSD-3-Clause'] },
      recentlyPublishedThresholdMs: 3_600_000,
    })
    const fromB = { kind: 'label', label_id: b, label_name: 'b' }
    const two = ok(await request(t, 'GET', '/v0/orgs/acme/repos/svc/x-effective-policy'))
    expect(two).toMatchObject({
      labels: [
        { id: a, name: 'a' },
        { id: b, name: 'b' },
      ],
      securityPolicyDefault: { value: 'medium', source: fromB },
      securityPolicyRules: {
        cve: { action: 'error', source: fromB },
        malware: { action: 'error', source: org },
        telemetry: { action: 'monitor', source: fromA },
      },
      licensePolicy: { value: { allow: ['Apache-2.0'] }, source: fromA },
      recentlyPublishedThresholdMs: { value: 3_600_000, source: fromB },
    })
    // Socket's label-setting response is unchanged by any of this.
    const setting = ok(await request(t, 'GET', `/v0/orgs/acme/repos/labels/${a}/label-setting?setting_key=issueRules`))
    expect(setting).toEqual({ issueRules: { cve: { action: 'ignore' }, telemetry: { action: 'monitor' } } })
  })

  it('400 ambiguous slug, 401, 403 without every scope it needs, 404 unknown repo, 429', async () => {
    expectError(await request(t, 'GET', '/v0/orgs/acme/repos/nope/x-effective-policy'), 404, 'Repository not found')
    await request(t, 'POST', '/v0/orgs/acme/repos', { payload: { slug: 'twin', workspace: 'a' } })
    await request(t, 'POST', '/v0/orgs/acme/repos', { payload: { slug: 'twin', workspace: 'b' } })
    expectError(await request(t, 'GET', '/v0/orgs/acme/repos/twin/x-effective-policy'), 400, /several workspaces/)
    ok(await request(t, 'GET', '/v0/orgs/acme/repos/twin/x-effective-policy?workspace=a'))
    expectError(await request(t, 'GET', '/v0/orgs/acme/repos/twin/x-effective-policy', { token: null }), 401)
    const partial = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo:list', 'security-policy:read'] })
    expectError(
      await request(t, 'GET', '/v0/orgs/acme/repos/twin/x-effective-policy?workspace=a', { token: partial }),
      403,
    )
    const once = await issueToken(t.services, {
      orgSlug: 'acme',
      scopes: ['repo:list', 'security-policy:read', 'license-policy:read'],
      maxQuota: 1,
    })
    ok(await request(t, 'GET', '/v0/orgs/acme/repos/twin/x-effective-policy?workspace=a', { token: once }))
    expectError(
      await request(t, 'GET', '/v0/orgs/acme/repos/twin/x-effective-policy?workspace=a', { token: once }),
      429,
    )
  })
})

describe('fixtures: export and import keep the org policy and the tokens’ group, visibility and committers', () => {
  const t = useTestApp()

  it('round-trips through export → import, and a seeded policy is served', async () => {
    ok(
      await request(t, 'POST', SECURITY, {
        payload: { policyDefault: 'high', policyRules: { malware: { action: 'error' } } },
      }),
    )
    ok(await request(t, 'POST', `${LICENSE}?merge_update=true`, { payload: { allow: ['MIT'] } }))
    const minted = await request(t, 'POST', '/v0/orgs/acme/api-tokens', {
      payload: { scopes: ['repo:list'], max_quota: 5, visibility: 'admin', committer: { email: 'x@y.z' } },
    })
    const groupUuid = (minted.json() as { group_uuid: string }).group_uuid
    const exported = await t.services.state.export()
    const acme = exported.orgs[0] as Record<string, unknown> & { tokens: Record<string, unknown>[] }
    expect(acme.security_policy).toEqual({ default: 'high', rules: { malware: { action: 'error' } } })
    expect(acme.license_policy).toEqual({ allow: ['MIT'] })
    expect(acme.tokens.find((token) => token.group_uuid === groupUuid)).toMatchObject({
      visibility: 'admin',
      committers: [{ email: 'x@y.z' }],
    })
    await t.services.state.import(exported)
    expect(await t.services.state.export()).toEqual(exported)
    expect(ok(await request(t, 'GET', `${SECURITY}?custom_rules_only=true`))).toEqual({
      securityPolicyRules: { malware: { action: 'error' } },
      securityPolicyDefault: 'high',
    })

    await t.services.state.seed({
      orgs: [{ slug: 'seeded', security_policy: { default: 'low' }, license_policy: { warn: ['GPL-3.0'] } }],
    })
    const seeded = (await t.services.state.export()).orgs.find((org) => org.slug === 'seeded')
    expect(seeded).toMatchObject({
      security_policy: { default: 'low', rules: {} },
      license_policy: { warn: ['GPL-3.0'] },
    })
    await expect(
      t.services.state.seed({ orgs: [{ slug: 'bad', security_policy: { rules: { nope: { action: 'error' } } } }] }),
    ).rejects.toThrow()
  })
})
