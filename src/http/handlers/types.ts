import type { FastifyInstance, FastifyRequest } from 'fastify'
import { UnauthorizedError } from '../../services/errors.js'
import type { Principal } from '../../services/principal.js'
import type { components, operations } from '../generated/api.js'
import { UNAUTHORIZED_MESSAGE } from '../plugins/auth.js'

export type OperationId = keyof operations
export type Schemas = components['schemas']

type Parameters<K extends OperationId> = operations[K]['parameters']
type Responses<K extends OperationId> = operations[K]['responses']
type SuccessStatus = 200 | 201 | 302

/** The body of a response of the spec in one media type; never when the operation has no such response. */
type ContentOf<K extends OperationId, S, M extends string> = S extends keyof Responses<K>
  ? Responses<K>[S] extends { content: { [P in M]: infer B } }
    ? B
    : never
  : never
type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never

/** The request of an operation, typed from the spec (path params, query, body). */
export interface OperationRequest<K extends OperationId> {
  Params: NonNullable<Parameters<K>['path']>
  Querystring: NonNullable<Parameters<K>['query']>
  Body: operations[K] extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> | undefined : undefined
}

/** The JSON body the spec gives an operation's response of status `S`. */
export type ResponseBody<K extends OperationId, S extends SuccessStatus> = ContentOf<K, S, 'application/json'>

/** NDJSON text whose lines are each a `T` (the type is only a compile-time tag on the string). */
export type NdjsonText<T> = string & { readonly __ndjsonLine?: T }

/**
 * A response other than a plain JSON 200: another status, headers, or a body that is not JSON. The
 * route wrapper (`routeHandler`) applies it; handlers build it with `created`, `redirect`, `ndjson`.
 */
export class Answer<S extends SuccessStatus, B> {
  constructor(
    readonly status: S,
    readonly body: B,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** 201 with the created resource. */
export function created<B>(body: B): Answer<201, B> {
  return new Answer(201, body)
}

/** 302 to `location`, with a body (Socket answers on_duplicate=redirect with the existing repo). */
export function redirect<B>(location: string, body: B): Answer<302, B> {
  return new Answer(302, body, { location })
}

/** 200 as NDJSON: one JSON line per item. */
export function ndjson<T>(items: readonly T[]): Answer<200, NdjsonText<T>> {
  const text = items.map((item) => `${JSON.stringify(item)}\n`).join('')
  return new Answer(200, text, { 'content-type': 'application/x-ndjson' })
}

/**
 * What an operation's handler gives back: data only. A plain value is the JSON body of a 200; an
 * `Answer` carries any other success status the spec declares, with its body of that status.
 */
export type HandlerResult<K extends OperationId> =
  | ResponseBody<K, 200>
  | { [S in SuccessStatus]: Answer<S, ResponseBody<K, S>> }[SuccessStatus]
  | Answer<200, NdjsonText<ContentOf<K, 200, 'application/x-ndjson'>>>

export type OperationHandler<K extends OperationId> = (
  this: FastifyInstance,
  request: FastifyRequest<OperationRequest<K>>,
) => Promise<HandlerResult<K>>

export type OperationHandlers = { [K in OperationId]: OperationHandler<K> }

/** The authenticated principal; the security hooks guarantee one on every operation route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError(UNAUTHORIZED_MESSAGE)
  return request.principal
}
