import { SocketSdk } from '@socketsecurity/sdk'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from './helpers/app.js'

/** README's "A CI pipeline's walkthrough", SDK form, run as written (twice: a pipeline runs again). */
describe('README walkthrough', () => {
  const t = useTestApp({}, { shared: true })
  let base: string
  beforeAll(async () => {
    ;({ base } = await t.listen())
  })

  async function pipeline(token: string) {
    const sdk = new SocketSdk(token, { baseUrl: base, retries: 0 })
    const org = 'acme'
    let repo = await sdk.createRepository(org, 'payments-api', { description: 'Payments service' })
    if (!repo.success && repo.status === 409) repo = await sdk.getRepository(org, 'payments-api')
    if (!repo.success) throw new Error(repo.error)
    let label = await sdk.createRepositoryLabel(org, { name: 'pci' })
    if (!label.success && label.status === 409) {
      const labels = await sdk.listRepositoryLabels(org, { per_page: 100 })
      const found = labels.success ? labels.data.results.find((l) => l.name === 'pci') : undefined
      if (found) label = await sdk.getRepositoryLabel(org, found.id ?? '')
    }
    if (!label.success) throw new Error(label.error)
    const labelId = label.data.id
    const call = (path: string, method: string, body: unknown) =>
      fetch(new URL(`orgs/${org}/repos/labels/${labelId}/${path}`, base), {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await call('associate', 'POST', { repository_id: repo.data.id })).status).toBe(200)
    const setting = await call('label-setting', 'PUT', {
      issueRulesPolicyDefault: 'high',
      issueRules: { malware: { action: 'error' } },
    })
    expect(setting.status).toBe(200)
    return { repoId: repo.data.id, labelId }
  }

  it('creates a repo and a label, associates them and sets a policy, idempotently', async () => {
    const first = await pipeline(t.token)
    const second = await pipeline(t.token)
    expect(second).toEqual(first)
    const label = await t.app.inject({
      method: 'GET',
      url: `/v0/orgs/acme/repos/labels/${first.labelId}`,
      headers: t.auth(),
    })
    expect(label.json()).toEqual({
      id: first.labelId,
      name: 'pci',
      repository_ids: [first.repoId],
      has_security_policy: true,
      has_license_policy: false,
    })
  })
})
