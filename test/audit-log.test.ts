import type { LightMyRequestResponse } from 'fastify'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { SqliteDatabase } from '../src/db/index.js'
import { createTestApp, createTestDb, issueToken, request, type TestApp, useTestApp } from './helpers/app.js'
import { createLabel } from './helpers/labels.js'

/** The audit log (docs/audit-log.md): what changed in the org, by which token, in the change's transaction. */

const LOG = '/v0/orgs/acme/audit-log'

interface Event {
  event_id: string
  type: string
  created_at: string
  organization_id: string
  organization_name: string
  payload: Record<string, unknown> & { actor: { type: string; token_id: string; token_name: string } }
}

async function events(t: TestApp, query = ''): Promise<{ results: Event[]; nextPage: string | null }> {
  const response = await request(t, 'GET', `${LOG}${query}`)
  expect(response.statusCode, response.body).toBe(200)
  return response.json() as { results: Event[]; nextPage: string | null }
}

function expectError(response: LightMyRequestResponse, status: number) {
  expect(response.statusCode, response.body).toBe(status)
}

async function tokenId(t: TestApp, name: string): Promise<string> {
  return String((await t.services.tokens.list('acme')).find((token) => token.name === name)?.id)
}

describe('audit log', () => {
  let clock: number
  const t = useTestApp(() => {
    clock = Date.parse('2030-06-01T12:00:00Z')
    return { now: () => clock }
  })

  it('records every change this server can cause, newest first, with the token as actor', async () => {
    const tick = () => {
      clock += 1000
    }
    const repo = await request(t, 'POST', '/v0/orgs/acme/repos', { payload: { slug: 'svc' } })
    const repoId = (repo.json() as { id: string }).id
    tick()
    const label = await createLabel(t, 'pci')
    tick()
    await request(t, 'PUT', `/v0/orgs/acme/repos/labels/${label.id}`, { payload: { name: 'PCI' } })
    tick()
    await request(t, 'POST', `/v0/orgs/acme/repos/labels/${label.id}/associate`, { payload: { repository_id: repoId } })
    tick()
    await request(t, 'PUT', `/v0/orgs/acme/repos/labels/${label.id}/label-setting`, {
      payload: { issueRulesPolicyDefault: 'high' },
    })
    tick()
    await request(
      t,
      'DELETE',
      `/v0/orgs/acme/repos/labels/${label.id}/label-setting?setting_key=issueRulesPolicyDefault`,
    )
    tick()
    await request(t, 'POST', `/v0/orgs/acme/repos/labels/${label.id}/disassociate`, {
      payload: { repository_id: repoId },
    })
    tick()
    await request(t, 'DELETE', `/v0/orgs/acme/repos/labels/${label.id}`)
    tick()
    await request(t, 'DELETE', '/v0/orgs/acme/repos/svc')
    tick()
    await request(t, 'POST', '/v0/orgs/acme/settings/security-policy', { payload: { policyDefault: 'low' } })
    tick()
    await request(t, 'POST', '/v0/orgs/acme/settings/license-policy?merge_update=true', { payload: { allow: ['MIT'] } })
    tick()
    const committer = { email: 'a@b.c' }
    const minted = await request(t, 'POST', '/v0/orgs/acme/api-tokens', {
      payload: { name: 'bot', scopes: ['repo:list'], max_quota: 5, visibility: 'organization', committer },
    })
    const value = (minted.json() as { token: string; group_uuid: string }).token
    tick()
    await request(t, 'POST', '/v0/orgs/acme/api-tokens/update', {
      payload: { token: value, name: 'bot2', scopes: ['repo'], max_quota: 5, visibility: 'organization', committer },
    })
    tick()
    const rotated = await request(t, 'POST', '/v0/orgs/acme/api-tokens/rotate', { payload: { token: value } })
    const newValue = (rotated.json() as { token: string }).token
    tick()
    await request(t, 'POST', '/v0/orgs/acme/api-tokens/revoke', { payload: { token: newValue } })

    const log = await events(t, '?per_page=100')
    expect(log.results.map((event) => event.type)).toEqual([
      'RevokeApiToken',
      'RotateApiToken',
      'UpdateApiTokenScopes',
      'UpdateApiTokenName',
      'CreateApiToken',
      'UpdateOrganizationSetting',
      'UpdateOrganizationSetting',
      'DeleteRepository',
      'DeleteLabel',
      'DisassociateLabel',
      'DeleteLabelSetting',
      'UpdateLabelSetting',
      'AssociateLabel',
      'UpdateLabel',
      'CreateLabel',
    ])
    const actorId = await tokenId(t, 'test')
    for (const event of log.results) {
      expect(event.payload.actor).toEqual({ type: 'api-token', token_id: actorId, token_name: 'test' })
      expect(event.organization_id).toBe(t.org.id)
      expect(event.organization_name).toBe('Acme Inc.')
    }
    const byType = Object.fromEntries(log.results.map((event) => [event.type, event]))
    expect(byType.CreateLabel?.payload.label).toEqual({ id: label.id, name: 'pci' })
    expect(byType.UpdateLabel?.payload).toMatchObject({ before: { name: 'pci' }, after: { name: 'PCI' } })
    expect(byType.AssociateLabel?.payload).toMatchObject({ label_id: label.id, repository_id: repoId })
    expect(byType.UpdateLabelSetting?.payload).toMatchObject({
      before: { issueRulesPolicyDefault: null },
      after: { issueRulesPolicyDefault: 'high' },
    })
    expect(byType.DeleteRepository?.payload.repository).toMatchObject({ id: repoId, slug: 'svc' })
    expect(byType.UpdateApiTokenScopes?.payload).toMatchObject({ before: ['repo:list'], after: ['repo'] })
    expect(byType.CreateLabel?.created_at).toBe('2030-06-01T12:00:01.000Z')
    // A token's value (or its digest) is never in the log.
    const text = JSON.stringify(log)
    expect(text).not.toContain(value)
    expect(text).not.toContain(newValue)
    expect(text).not.toContain(t.token)
    expect(text).not.toMatch(/sktsec_/)
  })

  it('a rejected request, or one that changes nothing, records nothing', async () => {
    const label = await createLabel(t, 'pci')
    const before = (await events(t)).results.length
    const reader = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label:list'] })
    const refused = [
      await request(t, 'POST', '/v0/orgs/acme/repos/labels', { payload: { name: 'PCI' } }), // 409
      await request(t, 'DELETE', '/v0/orgs/acme/repos/labels/999'), // 404
      await request(t, 'DELETE', `/v0/orgs/acme/repos/labels/${label.id}`, { token: reader }), // 403
      await request(t, 'PUT', `/v0/orgs/acme/repos/labels/${label.id}/label-setting`, {
        payload: { issueRules: { nope: { action: 'error' } } },
      }), // 400
      await request(t, 'POST', '/v0/orgs/acme/settings/security-policy', {
        payload: { resetPolicyRules: true, policyRules: { malware: { action: 'error' } } },
      }), // 409
      await request(t, 'POST', '/v0/orgs/acme/api-tokens', {
        payload: { scopes: ['*'], max_quota: 1, visibility: 'admin', committer: {} },
        token: reader,
      }), // 403
    ]
    expect(refused.map((response) => response.statusCode)).toEqual([409, 404, 403, 400, 409, 403])
    // No-ops: disassociating a pair that is not associated, deleting an unset setting key.
    const repoId = (
      (await request(t, 'POST', '/v0/orgs/acme/repos', { payload: { slug: 'r' } })).json() as { id: string }
    ).id
    await request(t, 'POST', `/v0/orgs/acme/repos/labels/${label.id}/disassociate`, {
      payload: { repository_id: repoId },
    })
    await request(t, 'DELETE', `/v0/orgs/acme/repos/labels/${label.id}/label-setting?setting_key=licensePolicy`)
    expect((await events(t)).results.length).toBe(before)
  })

  it('filters by type and by time (from), and pages with a nextPage token', async () => {
    for (const name of ['a', 'b', 'c']) {
      clock += 1000
      await createLabel(t, name)
    }
    clock += 1000
    await request(t, 'POST', '/v0/orgs/acme/settings/security-policy', { payload: { policyDefault: 'low' } })
    const labels = await events(t, '?type=CreateLabel')
    expect(labels.results.map((event) => event.payload.label)).toEqual([
      expect.objectContaining({ name: 'c' }),
      expect.objectContaining({ name: 'b' }),
      expect.objectContaining({ name: 'a' }),
    ])
    const page1 = await events(t, '?per_page=2')
    expect(page1.nextPage).toBe('2')
    const page2 = await events(t, `?per_page=2&page=${page1.nextPage}`)
    expect(page2.nextPage).toBeNull()
    expect([...page1.results, ...page2.results].map((event) => event.type)).toEqual([
      'UpdateOrganizationSetting',
      'CreateLabel',
      'CreateLabel',
      'CreateLabel',
    ])
    // Before the third label: the first two.
    const from = Math.floor(Date.parse('2030-06-01T12:00:03Z') / 1000)
    expect((await events(t, `?from=${from}`)).results.map((event) => event.payload.label)).toEqual([
      expect.objectContaining({ name: 'b' }),
      expect.objectContaining({ name: 'a' }),
    ])
    expect((await events(t, '?type=DeleteWebhook')).results).toEqual([])
  })

  it('400 on a bad type, page or from; 401; 403 without audit-log:list or for another org; 429', async () => {
    for (const query of ['?type=Nope', '?page=abc', '?from=yesterday', '?per_page=0']) {
      expectError(await request(t, 'GET', `${LOG}${query}`), 400)
    }
    expectError(await request(t, 'GET', LOG, { token: null }), 401)
    const other = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo', 'repo-label'] })
    expectError(await request(t, 'GET', LOG, { token: other }), 403)
    await t.services.orgs.create({ slug: 'other' })
    expectError(await request(t, 'GET', '/v0/orgs/other/audit-log'), 403)
    const once = await issueToken(t.services, { orgSlug: 'acme', scopes: ['audit-log'], maxQuota: 1 })
    expect((await request(t, 'GET', LOG, { token: once })).statusCode).toBe(200)
    expectError(await request(t, 'GET', LOG, { token: once }), 429)
  })
})

describe('audit log retention', () => {
  let db: SqliteDatabase
  beforeEach(() => {
    db = createTestDb({ path: ':memory:' })
  })

  it('events older than AUDIT_LOG_RETENTION_DAYS are pruned when the server starts, newer ones stay', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z')
    const first = await createTestApp({ db, now: () => clock, config: { auditLogRetentionDays: 30 } })
    await createLabel(first, 'old')
    clock += 20 * 86_400_000
    await createLabel(first, 'recent')
    await first.close()

    clock += 15 * 86_400_000 // 'old' is 35 days old now, 'recent' 15
    const second = await createTestApp({ db, now: () => clock, config: { auditLogRetentionDays: 30 } })
    const names = async () =>
      (await second.services.audit.list(second.org.id, { perPage: 100, page: '1' })).events.map(
        (event) => (event.payload.label as { name: string }).name,
      )
    await vi.waitFor(async () => expect(await names()).toEqual(['recent']), { timeout: 5000, interval: 10 })
  })

  it('prunes in batches until nothing is left past the retention; 0 keeps everything', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z')
    const t = await createTestApp({ db, now: () => clock, config: { auditLogRetentionDays: 0 } })
    const insert = db.db.$client.prepare(
      "INSERT INTO audit_events (org_id, type, payload, created_at) VALUES (?, 'CreateLabel', '{}', ?)",
    )
    for (let i = 0; i < 1200; i++) insert.run(Number(t.org.id), clock)
    clock += 400 * 86_400_000
    expect(await t.services.audit.prune()).toBe(0)
    await t.close()
    await createTestApp({ db, now: () => clock, config: { auditLogRetentionDays: 365 } })
    const count = () => (db.db.$client.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n
    await vi.waitFor(() => expect(count()).toBe(0), { timeout: 5000, interval: 10 })
  })
})
