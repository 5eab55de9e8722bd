import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { UnauthorizedError } from '../../services/errors.js'
import type { Principal } from '../../services/token-service.js'
import type { components, operations } from '../generated/api.js'
import { UNAUTHORIZED_MESSAGE } from '../plugins/auth.js'

export type OperationId = keyof operations
export type Schemas = components['schemas']

type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never
type Parameters<K extends OperationId> = operations[K]['parameters']
type SuccessStatus = 200 | 201 | 302

/** The request of an operation, typed from the spec (path params, query, body). */
export interface OperationRequest<K extends OperationId> {
  Params: NonNullable<Parameters<K>['path']>
  Querystring: NonNullable<Parameters<K>['query']>
  Body: operations[K] extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> | undefined : undefined
}

/** What an operation answers on success, by the spec's response schemas. */
export type SuccessBody<K extends OperationId> = {
  [S in keyof operations[K]['responses']]: S extends SuccessStatus ? JsonOf<operations[K]['responses'][S]> : never
}[keyof operations[K]['responses']]

export type OperationHandler<K extends OperationId> = (
  this: FastifyInstance,
  request: FastifyRequest<OperationRequest<K>>,
  reply: FastifyReply,
) => Promise<SuccessBody<K> | FastifyReply> // the reply itself when it was sent already (a cached body)

export type OperationHandlers = { [K in OperationId]: OperationHandler<K> }

/** The authenticated principal; the security hooks guarantee one on every operation route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError(UNAUTHORIZED_MESSAGE)
  return request.principal
}
