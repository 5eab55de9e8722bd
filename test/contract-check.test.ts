import { describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { installContractCheck, violations } from './helpers/contract.js'
import { useFixture } from './helpers/fixtures.js'

/** The contract check must be able to fail, or every suite relying on it proves nothing. */
describe('contract check', () => {
  const app = useFixture(
    async () => {
      const app = await buildApp({ config: testConfig() })
      installContractCheck(app)
      // Routes posing as getQuota, answering what getQuota must never answer.
      app.get('/fake/bad-body', { config: { operationId: 'getQuota' } }, async () => ({ quota: -1, maxQuota: 'x' }))
      app.get('/fake/bad-status', { config: { operationId: 'getQuota' } }, async (_request, reply) =>
        reply.code(418).send({ quota: 0, maxQuota: 0, nextWindowRefresh: null }),
      )
      app.get('/fake/good', { config: { operationId: 'getQuota' } }, async () => ({
        quota: 1,
        maxQuota: 2,
        nextWindowRefresh: null,
      }))
      await app.ready()
      return app
    },
    { shared: true },
  )

  it('flags a body that breaks the response schema', async () => {
    await app.inject({ method: 'GET', url: '/fake/bad-body' })
    const found = violations.splice(0)
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ operationId: 'getQuota', status: 200 })
    expect(found[0]?.problem).toContain('nextWindowRefresh')
  })

  it('flags a status the operation does not declare', async () => {
    await app.inject({ method: 'GET', url: '/fake/bad-status' })
    expect(violations.splice(0)).toEqual([expect.objectContaining({ problem: 'status 418 is not declared' })])
  })

  it('passes a conforming response', async () => {
    await app.inject({ method: 'GET', url: '/fake/good' })
    expect(violations).toEqual([])
  })
})
