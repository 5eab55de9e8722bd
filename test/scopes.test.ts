import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { specPath } from '../src/http/spec-loader.js'
import { allScopes, grants, knownScopes } from '../src/services/scopes.js'
import { issueToken, request, useTestApp } from './helpers/app.js'
import { tempDir } from './helpers/fixtures.js'
import { runCli } from './helpers/process.js'
import { fillPath, specOperations } from './reliability/operations.js'

/** Socket's scope vocabulary (docs/auth-and-scopes.md): any scope Socket's token endpoint accepts. */

describe('the scope vocabulary', () => {
  // scripts/check-spec-parity.ts holds openapi/'s enum to Socket's; this holds scopes.ts to openapi/.
  it("is Socket's: the scopes enum of POST /orgs/{org_slug}/api-tokens in openapi/", () => {
    const ours = parse(readFileSync(specPath, 'utf8'), { merge: true }) as {
      components: { schemas: { ApiTokenScopes: { items: { enum: string[] } } } }
    }
    expect([...knownScopes]).toEqual(ours.components.schemas.ApiTokenScopes.items.enum)
    expect(knownScopes).toHaveLength(98)
  })

  it('umbrellas grant their actions, * grants everything, a leaf grants only itself', () => {
    expect(grants(['repo'], 'repo:delete')).toBe(true)
    expect(grants(['repo'], 'repo-label:list')).toBe(false)
    expect(grants(['*'], 'audit-log:list')).toBe(true)
    expect(grants(['report:read'], 'report')).toBe(false)
    expect(grants(['api-tokens:list'], 'api-tokens:create')).toBe(false)
  })

  it('what a token gets when none are named covers every operation this server serves', () => {
    for (const operation of specOperations()) {
      for (const scope of operation.scopes) expect(grants(allScopes, scope), scope).toBe(true)
    }
  })
})

describe('a token without any repo or label scope (only report:read)', () => {
  const t = useTestApp({}, { shared: true })
  let token: string
  beforeAll(async () => {
    token = await issueToken(t.services, { orgSlug: 'acme', scopes: ['report:read'] })
  })

  const repoAndLabelOperations = specOperations().filter((op) =>
    op.scopes.some((scope) => scope.startsWith('repo:') || scope.startsWith('repo-label:')),
  )

  it('covers the 15 repo and label operations (and the effective-policy extension)', () => {
    expect(repoAndLabelOperations.length).toBe(16)
  })

  it.each(repoAndLabelOperations.map((op) => [op.operationId, op] as const))(
    '%s answers 403 "Insufficient permissions for API method"',
    async (_id, op) => {
      const url = fillPath(op.path, { org_slug: 'acme', repo_slug: 'web', label_id: '1' })
      const query = op.parameters.some((p) => p.name === 'setting_key') ? '?setting_key=issueRules' : ''
      const response = await request(t, op.method, `${url}${query}`, {
        token,
        ...(op.body ? { payload: {} } : {}),
      })
      expect(response.statusCode, response.body).toBe(403)
      const body = response.json() as { error: { message: string; details: { requiredScopes: string[] } } }
      expect(body.error.message).toBe('Insufficient permissions for API method')
      expect(body.error.details.requiredScopes).toEqual(op.scopes)
    },
  )

  it('reads its quota and its organization (200)', async () => {
    expect((await request(t, 'GET', '/v0/quota', { token })).statusCode).toBe(200)
    expect((await request(t, 'GET', '/v0/organizations', { token })).statusCode).toBe(200)
  })
})

describe('every way to make a token accepts the same vocabulary and names an unknown scope', () => {
  const t = useTestApp({}, { shared: true })

  it('the token service (admin CLI and admin API underneath)', async () => {
    const { token } = await t.services.tokens.issue({ orgSlug: 'acme', scopes: ['report:read', 'webhooks', '*'] })
    expect(token.scopes).toEqual(['report:read', 'webhooks', '*'])
    await expect(t.services.tokens.issue({ orgSlug: 'acme', scopes: ['report:fly'] })).rejects.toThrow(
      'unknown scope "report:fly"',
    )
  })

  it('fixtures', async () => {
    const fixture = (scopes: string[]) => ({
      version: 1,
      orgs: [
        { slug: `f${scopes.length}`, tokens: [{ token: `sktsec_fixture_scope_token_${scopes.length}x`, scopes }] },
      ],
    })
    await t.services.state.seed(fixture(['threat-feed:list', 'openid']))
    await expect(t.services.state.seed(fixture(['threat-feed:list', 'openid', 'nope']))).rejects.toThrow(
      'unknown scope "nope"',
    )
  })

  it('the admin CLI', async () => {
    const env = { DATABASE_PATH: tempDir('scopes').file('cli.db') }
    expect((await runCli(['orgs', 'create', 'acme'], env)).code).toBe(0)
    const created = await runCli(['tokens', 'create', '--org', 'acme', '--scopes', 'report:read,alerts', '--json'], env)
    expect(created.code, created.stderr).toBe(0)
    expect(JSON.parse(created.stdout).scopes).toEqual(['report:read', 'alerts'])
    const refused = await runCli(['tokens', 'create', '--org', 'acme', '--scopes', 'alerts:fly'], env)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('unknown scope "alerts:fly"')
  })
})
