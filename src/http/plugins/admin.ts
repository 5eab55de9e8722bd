import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { bootstrap } from '../../services/bootstrap-service.js'
import { NotFoundError, UnauthorizedError } from '../../services/errors.js'
import { parseOrThrow } from '../../services/validation.js'
import { type FaultRegistry, faultRuleInput } from '../faults.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Injected faults, consulted by every operation route; managed through /_admin/faults. */
    faults: FaultRegistry
  }
}

export const ADMIN_PREFIX = '/_admin'

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The control plane under /_admin: reset, seed, import, export and fault injection. It exists only
 * when ADMIN_SECRET is configured, answers only requests carrying it in `X-Admin-Secret` (never an
 * org token), and is not part of the Socket API (no quota, not in openapi/).
 */
async function adminRoutes(fastify: FastifyInstance) {
  const secret = fastify.config.adminSecret
  if (!secret) return
  const { state, orgs, tokens } = fastify.services

  // Fixtures may be posted as YAML as well as JSON, here only.
  fastify.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml'],
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, parseYaml(body.toString(), { merge: true }))
      } catch (error) {
        const failure = error as Error & { statusCode?: number }
        failure.statusCode = 400
        done(failure, undefined)
      }
    },
  )

  fastify.addHook('onRequest', async (request: FastifyRequest) => {
    const presented = request.headers['x-admin-secret']
    if (typeof presented !== 'string' || !sameSecret(presented, secret)) {
      throw new UnauthorizedError('Invalid admin secret')
    }
  })

  fastify.post('/reset', async (request) => {
    const body = (request.body ?? {}) as { org?: unknown; everything?: unknown }
    const options = {
      ...(typeof body.org === 'string' ? { org: body.org } : {}),
      everything: body.everything === true,
    }
    await state.reset(options)
    // An empty database gets its first-run org and token again, so configured tokens keep working.
    if (options.everything) await bootstrap({ orgs, tokens }, fastify.config.bootstrap)
    return { status: 'ok' }
  })

  fastify.post('/seed', async (request, reply) => {
    const counts = await state.seed(request.body ?? {})
    reply.code(201)
    return { status: 'ok', created: counts }
  })

  fastify.post('/import', async (request) => {
    const counts = await state.import(request.body ?? {})
    return { status: 'ok', imported: counts }
  })

  fastify.get('/export', async (request, reply) => {
    const fixture = await state.export()
    if ((request.query as { format?: string }).format === 'yaml') {
      return reply.type('application/yaml; charset=utf-8').send(stringifyYaml(fixture))
    }
    return fixture
  })

  fastify.get('/faults', async () => ({ faults: fastify.faults.list() }))
  fastify.post('/faults', async (request, reply) => {
    const rule = fastify.faults.add(parseOrThrow(faultRuleInput, request.body ?? {}))
    reply.code(201)
    return rule
  })
  fastify.delete('/faults', async () => {
    fastify.faults.clear()
    return { status: 'ok' }
  })
  fastify.delete('/faults/:id', async (request) => {
    const { id } = request.params as { id: string }
    if (!fastify.faults.remove(id)) throw new NotFoundError(`No fault with id "${id}"`)
    return { status: 'ok' }
  })
}

export default fp(
  async (fastify: FastifyInstance) => {
    await fastify.register(adminRoutes, { prefix: ADMIN_PREFIX })
  },
  { name: 'admin', fastify: '5.x', dependencies: ['services', 'error-handler', 'operations'] },
)
