import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { z } from 'zod'
import { bootstrap } from '../../services/bootstrap-service.js'
import { NotFoundError, UnauthorizedError } from '../../services/errors.js'
import type { ResetOptions } from '../../services/state-service.js'
import { parseOrThrow } from '../../services/validation.js'
import { operationHandlers } from '../handlers/index.js'
import { faultRuleInput } from './faults.js'
import { journalFilter } from './request-journal.js'

export const ADMIN_PREFIX = '/_admin'

/**
 * Compares a presented secret with the configured one in time that depends on neither: both are
 * reduced to HMAC-SHA-256 digests under a key drawn at start (fixed length, unpredictable), and
 * the digests compared with `timingSafeEqual`. Nothing returns early on a length mismatch.
 */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const key = randomBytes(32)
  const digest = (value: string) => createHmac('sha256', key).update(value, 'utf8').digest()
  const wanted = digest(expected)
  return (presented) => timingSafeEqual(digest(presented), wanted)
}

// Admin bodies are validated as the API's are: unknown keys and wrong types are a 400 and change
// nothing. A reset's options are checked by the state service itself, for the CLI too.
/** No body is an empty one; anything sent, `null` included, is validated as it is. */
const bodyOf = (request: FastifyRequest): unknown => (request.body === undefined ? {} : request.body)
const exportQuery = z.strictObject({ format: z.enum(['json', 'yaml']).optional() })
const faultRule = faultRuleInput(Object.keys(operationHandlers))

/**
 * The control plane under /_admin: reset, seed, import, export, the request journal and fault injection. It exists only
 * when ADMIN_SECRET is configured, answers only requests carrying it in `X-Admin-Secret` (never an
 * org token), and is not part of the Socket API (no quota, not in openapi/).
 */
async function adminRoutes(fastify: FastifyInstance) {
  const secret = fastify.config.adminSecret
  if (!secret) return
  const { state, orgs, tokens } = fastify.services
  const sameSecret = secretMatcher(secret)

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
    if (typeof presented !== 'string' || !sameSecret(presented)) {
      throw new UnauthorizedError('Invalid admin secret')
    }
  })

  fastify.post('/reset', async (request) => {
    const options = bodyOf(request) as ResetOptions
    await state.reset(options)
    // An empty database gets its first-run org and token again, so configured tokens keep working.
    if (options.everything === true) await bootstrap({ orgs, tokens }, fastify.config.bootstrap)
    return { status: 'ok' }
  })

  fastify.post('/seed', async (request, reply) => {
    const counts = await state.seed(bodyOf(request))
    reply.code(201)
    return { status: 'ok', created: counts }
  })

  fastify.post('/import', async (request) => {
    const counts = await state.import(bodyOf(request))
    return { status: 'ok', imported: counts }
  })

  fastify.get('/export', async (request, reply) => {
    const { format } = parseOrThrow(exportQuery, request.query ?? {})
    const fixture = await state.export()
    if (format === 'yaml') {
      return reply.type('application/yaml; charset=utf-8').send(stringifyYaml(fixture))
    }
    return fixture
  })

  fastify.get('/requests', async (request) => {
    const journal = fastify.requestJournal
    const filter = parseOrThrow(journalFilter, request.query ?? {})
    return { capacity: journal.capacity, recorded: journal.recorded, requests: journal.list(filter) }
  })
  fastify.delete('/requests', async () => {
    fastify.requestJournal.clear()
    return { status: 'ok' }
  })

  fastify.get('/faults', async () => ({ faults: fastify.faults.list() }))
  fastify.post('/faults', async (request, reply) => {
    const rule = fastify.faults.add(parseOrThrow(faultRule, bodyOf(request)))
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
  { name: 'admin', fastify: '5.x', dependencies: ['services', 'error-handler', 'faults', 'request-journal'] },
)
