import { describe, expect, it } from 'vitest'
import { useSdk } from './helpers/sdk.js'

/**
 * Socket's SDK 4.0.1, unchanged, on the org around the repos: policies, the audit log and its token
 * methods (which call /orgs/{org}/tokens…, served as an extension: docs/api-tokens.md).
 */
describe('@socketsecurity/sdk 4.0.1: org policies, audit log, API tokens', () => {
  const { sdk, client } = useSdk()

  it('getOrgSecurityPolicy / updateOrgSecurityPolicy', async () => {
    const updated = await sdk.updateOrgSecurityPolicy('acme', {
      policyDefault: 'medium',
      policyRules: { malware: { action: 'error' } },
    })
    expect(updated.success, JSON.stringify(updated)).toBe(true)
    const read = await sdk.getOrgSecurityPolicy('acme')
    expect(read.success).toBe(true)
    if (!read.success) return
    expect(read.data.securityPolicyDefault).toBe('medium')
    expect(read.data.securityPolicyRules?.malware).toEqual({ action: 'error' })
    expect(read.data.securityPolicyRules?.cve).toEqual({ action: 'defer' })
  })

  it('getOrgLicensePolicy / updateOrgLicensePolicy', async () => {
    const updated = await sdk.updateOrgLicensePolicy('acme', { allow: ['MIT'] }, { merge_update: true })
    expect(updated.success, JSON.stringify(updated)).toBe(true)
    const merged = await sdk.updateOrgLicensePolicy(
      'acme',
      { allow: ['ISC'], warn: ['GPL-3.0'] },
      { merge_update: true },
    )
    expect(merged.success && merged.data).toEqual({ allow: ['MIT', 'ISC'], warn: ['GPL-3.0'] })
    const read = await sdk.getOrgLicensePolicy('acme')
    expect(read.success && read.data).toEqual({ allow: ['MIT', 'ISC'], warn: ['GPL-3.0'] })
  })

  it('getAuditLogEvents', async () => {
    await sdk.createRepositoryLabel('acme', { name: 'audited' })
    const log = await sdk.getAuditLogEvents('acme', { type: 'CreateLabel', per_page: 10 })
    expect(log.success, JSON.stringify(log)).toBe(true)
    if (!log.success) return
    expect(log.data.results.map((event) => event.type)).toEqual(['CreateLabel'])
    expect(log.data.nextPage).toBeNull()
    const all = await sdk.getAuditLogEvents('acme')
    expect(all.success && all.data.results.map((event) => event.type)).toContain('UpdateOrganizationSetting')
  })

  it('postAPIToken, getAPITokens, postAPITokenUpdate, postAPITokensRotate, postAPITokensRevoke', async () => {
    const created = await sdk.postAPIToken('acme', {
      name: 'from-sdk',
      scopes: ['repo:list'],
      max_quota: 100,
      visibility: 'organization',
      committer: { email: 'sdk@example.com', provider: 'api' },
    })
    expect(created.success, JSON.stringify(created)).toBe(true)
    if (!created.success) return
    const minted = client(created.data.token ?? '')
    expect((await minted.listRepositories('acme')).success).toBe(true)
    expect(await minted.createRepositoryLabel('acme', { name: 'nope' })).toMatchObject({ success: false, status: 403 })

    const listed = await sdk.getAPITokens('acme')
    expect(listed.success).toBe(true)
    if (!listed.success) return
    const entry = listed.data.tokens.find((token) => token.group_uuid === created.data.group_uuid)
    expect(entry).toMatchObject({ name: 'from-sdk', scopes: ['repo:list'], token: null })
    const id = entry?.id ?? ''

    const updated = await sdk.postAPITokenUpdate('acme', id, {
      name: 'from-sdk',
      scopes: ['repo:list', 'repo-label:create'],
      max_quota: 100,
      visibility: 'organization',
      committer: {},
    })
    expect(updated.success && updated.data).toEqual({ hash: created.data.hash })
    expect(await minted.createRepositoryLabel('acme', { name: 'now-allowed' })).toMatchObject({ success: true })

    const rotated = await sdk.postAPITokensRotate('acme', id)
    expect(rotated.success, JSON.stringify(rotated)).toBe(true)
    if (!rotated.success) return
    expect(rotated.data.group_uuid).toBe(created.data.group_uuid)
    expect(await minted.listRepositories('acme')).toMatchObject({ success: false, status: 401 })
    const replacement = client(rotated.data.token ?? '')
    expect((await replacement.listRepositories('acme')).success).toBe(true)

    const revoked = await sdk.postAPITokensRevoke('acme', rotated.data.id ?? '')
    expect(revoked.success && revoked.data).toEqual({ status: 'revoked' })
    expect(await replacement.listRepositories('acme')).toMatchObject({ success: false, status: 401 })
    expect(await sdk.postAPITokensRevoke('acme', rotated.data.id ?? '')).toMatchObject({ success: false, status: 404 })
  })
})
