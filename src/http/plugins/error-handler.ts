import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  isOrgGone,
  isTemporarilyUnavailable,
  NotFoundError,
  QuotaExceededError,
  UnauthorizedError,
} from '../../services/errors.js'
import { UNAUTHORIZED_MESSAGE } from './auth.js'

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
            // An enum's message ("must be equal to one of the allowed values") does not say which they are.
            ...(v.keyword === 'enum' ? { allowedValues: v.params.allowedValues } : {}),
          })),
        }),
      )
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return sendError(reply, status, errorBody(error.message, error.code ? { code: error.code } : null))
    }
    // The org of the request's (cached) token was deleted meanwhile, and its tokens with it.
    if (request.principal && isOrgGone(error)) {
      return sendError(reply, 401, errorBody(UNAUTHORIZED_MESSAGE))
    }
    if (isTemporarilyUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable')
      reply.header('retry-after', '1')
      return sendError(reply, 503, errorBody('Service temporarily unavailable, retry shortly'))
    }
    request.log.error({ err: error }, 'unhandled error')
    return sendError(reply, 500, errorBody('Internal server error'))
  })

  fastify.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, errorBody(`Route ${request.method}:${request.url.split('?')[0]} not found`)),
  )
}

/**
 * Fastify's `frameworkErrors` option: what the router refuses before any route runs (a malformed
 * percent-encoding in the path, a path parameter over `maxParamLength`), in Socket's body.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  return sendError(reply, error.statusCode ?? 400, errorBody(error.message, { code: error.code }))
}

const clientErrors: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Client Timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Exceeded maximum allowed HTTP header size'],
}

/**
 * Fastify's `clientErrorHandler` option: what Node's HTTP parser refuses (headers over the size
 * limit, bytes not allowed in a header, a request too slow), answered raw on the socket as Fastify
 * does by default, but in Socket's body.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, message] = clientErrors[error.code ?? ''] ?? [400, 'Bad Request']
  if (socket.writable) {
    const body = JSON.stringify(errorBody(message, error.code ? { code: error.code } : null))
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}

export default fp(errorHandlerPlugin, { name: 'error-handler', fastify: '5.x' })
