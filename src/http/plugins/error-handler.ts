import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  QuotaExceededError,
  UnauthorizedError,
} from '../../services/errors.js'

/** Socket's error body: every 4xx/5xx carries `{"error":{"message","details"}}`, details null or an object. */
export interface ErrorBody {
  error: { message: string; details: Record<string, unknown> | null }
}

export function errorBody(message: string, details: Record<string, unknown> | null = null): ErrorBody {
  return { error: { message, details } }
}

const statusOf = new Map<abstract new (...args: never[]) => DomainError, number>([
  [InvalidInputError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [QuotaExceededError, 429],
])

function domainStatus(error: DomainError): number {
  for (const [type, status] of statusOf) if (error instanceof type) return status
  return 500
}

function sendError(reply: FastifyReply, status: number, body: ErrorBody) {
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}

/**
 * The one place errors become HTTP: domain errors by class, Fastify's own (validation, bad JSON,
 * oversized or unsupported bodies, unknown routes) by their status, anything else a 500 that
 * says nothing of its cause.
 */
async function errorHandlerPlugin(fastify: FastifyInstance) {
  fastify.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      if (error instanceof QuotaExceededError) reply.header('retry-after', String(error.retryAfterSeconds))
      return sendError(reply, domainStatus(error), errorBody(error.message, error.details))
    }
    if (error.validation) {
      return sendError(
        reply,
        400,
        errorBody(error.message, {
          validation: error.validation.map((v) => ({
            location: error.validationContext ?? null,
            path: v.instancePath,
            message: v.message ?? null,
          })),
        }),
      )
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return sendError(reply, status, errorBody(error.message, error.code ? { code: error.code } : null))
    }
    request.log.error({ err: error }, 'unhandled error')
    return sendError(reply, 500, errorBody('Internal server error'))
  })

  fastify.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, errorBody(`Route ${request.method}:${request.url.split('?')[0]} not found`)),
  )
}

export default fp(errorHandlerPlugin, { name: 'error-handler', fastify: '5.x' })
