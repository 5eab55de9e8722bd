import { describe, expect, it } from 'vitest'
import { issueToken } from './helpers/app.js'
import { useSdk } from './helpers/sdk.js'

/** Socket's official SDK (pinned devDependency) against a real listening server, unchanged but for its base URL. */
describe('@socketsecurity/sdk against a listening server', () => {
  const { t, sdk, client } = useSdk()

  it('creates, lists, reads, updates and deletes a repository', async () => {
    const created = await sdk.createRepository('acme', 'sdk-repo', {
      description: 'from the SDK',
      visibility: 'public',
    })
    expect(created).toMatchObject({ success: true, status: 200 })
    const repo = created.success ? created.data : undefined
    expect(repo).toMatchObject({
      slug: 'sdk-repo',
      name: 'sdk-repo',
      description: 'from the SDK',
      visibility: 'public',
    })

    const list = await sdk.listRepositories('acme', { per_page: 10, page: 1, sort: 'name', direction: 'asc' })
    expect(list.success).toBe(true)
    if (!list.success) return
    expect(list.data.results.map((r) => r.slug)).toEqual(['sdk-repo'])
    expect(list.data.nextPage).toBeNull()

    const read = await sdk.getRepository('acme', 'sdk-repo')
    expect(read.success && read.data).toMatchObject({ slug: 'sdk-repo', slig: 'sdk-repo', id: repo?.id })

    const updated = await sdk.updateRepository('acme', 'sdk-repo', { description: 'changed', archived: true })
    expect(updated.success && updated.data).toMatchObject({
      description: 'changed',
      archived: true,
      visibility: 'public',
    })

    const deleted = await sdk.deleteRepository('acme', 'sdk-repo')
    expect(deleted.success && deleted.data).toEqual({ status: 'ok' })
    const gone = await sdk.getRepository('acme', 'sdk-repo')
    expect(gone).toMatchObject({ success: false, status: 404 })
  })

  it('manages repository labels', async () => {
    const created = await sdk.createRepositoryLabel('acme', { name: 'production' })
    expect(created.success && created.data).toMatchObject({ name: 'production', repository_ids: [] })
    const id = created.success ? created.data.id : ''
    const list = await sdk.listRepositoryLabels('acme', { per_page: 50, page: 1 })
    expect(list.success && list.data.results.map((l) => l.name)).toEqual(['production'])
    const renamed = await sdk.updateRepositoryLabel('acme', id, { name: 'prod' })
    expect(renamed.success && renamed.data).toMatchObject({ id, name: 'prod' })
    const read = await sdk.getRepositoryLabel('acme', id)
    expect(read.success && read.data).toMatchObject({ id, name: 'prod', has_security_policy: false })
    const deleted = await sdk.deleteRepositoryLabel('acme', id)
    expect(deleted.success && deleted.data).toEqual({ status: 'ok' })
  })

  it('reads the quota and the organizations of its token', async () => {
    const quota = await sdk.getQuota()
    expect(quota.success).toBe(true)
    if (!quota.success) return
    expect(quota.data.maxQuota).toBe(100_000)
    expect(quota.data.quota).toBeLessThan(100_000)
    const orgs = await sdk.listOrganizations()
    expect(orgs.success && orgs.data).toEqual({
      organizations: { [t.org.id]: { id: t.org.id, name: 'Acme Inc.', image: null, plan: 'enterprise', slug: 'acme' } },
    })
  })

  it('surfaces Socket error texts for 401, 403 and 409', async () => {
    const anonymous = client('sktsec_not-a-real-token-at-all')
    const unauthorized = await anonymous.listRepositories('acme')
    expect(unauthorized).toMatchObject({ success: false, status: 401 })

    const readOnly = client(await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo:list'] }))
    const forbidden = await readOnly.createRepository('acme', 'nope')
    expect(forbidden).toMatchObject({ success: false, status: 403 })
    expect(JSON.stringify(forbidden)).toContain('Insufficient permissions for API method')

    await sdk.createRepository('acme', 'twice')
    const conflict = await sdk.createRepository('acme', 'twice')
    expect(conflict).toMatchObject({ success: false, status: 409 })
  })
})
