import { describe, expect, it } from 'vitest'
import { useTestApp } from './helpers/app.js'

describe('smoke', () => {
  const t = useTestApp({}, { shared: true })

  it('creates and reads a repo', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: t.auth(),
      payload: { name: 'a' },
    })
    expect(created.statusCode).toBe(201)
    const read = await t.app.inject({
      method: 'GET',
      url: '/v0/orgs/acme/repos/a',
      headers: t.auth(undefined, 'basic'),
    })
    expect(read.json()).toMatchObject({ slug: 'a', slig: 'a', name: 'a' })
  })
})
