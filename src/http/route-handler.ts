import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify'
import { Answer, type OperationHandlers, type OperationId } from './handlers/types.js'

/**
 * The route handler of an operation: runs the operation's handler, which returns data only, and
 * applies what it returned to the reply — a plain value is the body of a 200, an `Answer` sets the
 * status and headers it carries. The route's serializer (from the spec's schema of that status)
 * writes the body.
 */
export function routeHandler(handler: OperationHandlers[OperationId]): RouteHandlerMethod {
  // The table binds each handler to its operation's types; the spec's schemas enforce them at run time.
  const run = handler as (this: FastifyInstance, request: FastifyRequest) => Promise<unknown>
  return async function (request, reply) {
    const result = await run.call(this, request)
    if (!(result instanceof Answer)) return result
    reply.code(result.status)
    for (const [name, value] of Object.entries(result.headers)) reply.header(name, value)
    return result.body
  }
}
