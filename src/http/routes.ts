import multipart from '@fastify/multipart'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { ConfigError } from '../config.js'
import { type OperationId, operationHandlers } from './handlers/index.js'
import { routeHandler } from './route-handler.js'
import type { LoadedSpec, OperationSpec } from './spec-loader.js'
import type { SchemaCompilers } from './validators.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The spec's operationId of the route (logs, metrics, contract checks). */
    operationId?: string
  }
}

function hasQueryParameter(operation: OperationSpec, name: string): boolean {
  const query = operation.schema.querystring as { properties?: Record<string, unknown> } | undefined
  return query?.properties?.[name] !== undefined
}

// The preValidation steps below are callback-style: no promise per step.
type Step = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

/** An optional body that was not sent reads as `{}`: the operation then sees "no fields given". */
const absentBodyIsEmpty: Step = (request, _reply, done) => {
  if (request.body === undefined) request.body = {}
  done()
}

/**
 * Socket's CLI asks for `page=0` on its first request; Socket answers it as page 1. The spec's
 * `minimum: 1` stays as published, and the value is read as 1 before validation.
 */
const pageZeroIsPageOne: Step = (request, _reply, done) => {
  const query = request.query as Record<string, unknown>
  if (query.page === '0') query.page = '1'
  done()
}

/** The query parameters of an operation whose schema is a boolean. */
function booleanQueryParameters(operation: OperationSpec): string[] {
  const query = operation.schema.querystring as { properties?: Record<string, { type?: unknown }> } | undefined
  return Object.entries(query?.properties ?? {})
    .filter(([, schema]) => schema.type === 'boolean')
    .map(([name]) => name)
}

/** Socket's Python scanner spells query booleans as Python prints them: `True` and `False`. */
function pythonBooleans(names: string[]): Step {
  return (request, _reply, done) => {
    const query = request.query as Record<string, unknown>
    for (const name of names) {
      if (query[name] === 'True') query[name] = 'true'
      else if (query[name] === 'False') query[name] = 'false'
    }
    done()
  }
}

/**
 * `committers` may be set more than once (the spec says so of a string parameter): validation sees
 * the first value and the handler reads every one from the URL.
 */
const repeatedCommitters: Step = (request, _reply, done) => {
  const query = request.query as Record<string, unknown>
  if (Array.isArray(query.committers)) query.committers = query.committers[0]
  done()
}

export interface OperationRoutesOptions {
  spec: LoadedSpec
  compilers: SchemaCompilers
}

/**
 * One route per operation of the spec, each with the handler of its operationId. Each route's
 * onRequest steps are its security (auth) and then its quota; the app's own hooks (request id,
 * injected faults) run before them. `QUOTA_COSTS` overrides the spec's per-operation costs; an unknown
 * operationId there is an error.
 */
async function operationRoutes(fastify: FastifyInstance, { spec, compilers }: OperationRoutesOptions) {
  const specIds = new Set(spec.operations.map((op) => op.operationId))
  const missing = Object.keys(operationHandlers).filter((id) => !specIds.has(id))
  if (missing.length > 0) throw new Error(`handlers without an operation in the spec: ${missing.join(', ')}`)
  const costs = fastify.config.quota.costs
  const unknownCosts = Object.keys(costs).filter((id) => !specIds.has(id))
  if (unknownCosts.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  QUOTA_COSTS: unknown operationId ${unknownCosts.join(', ')}`)
  }

  function addRoute(scope: FastifyInstance, specOperation: OperationSpec) {
    const operation = { ...specOperation, quotaCost: costs[specOperation.operationId] ?? specOperation.quotaCost }
    const booleans = booleanQueryParameters(operation)
    const handler = operationHandlers[operation.operationId as OperationId]
    if (!handler) throw new Error(`the spec's operation ${operation.operationId} has no handler`)
    const onRequest = [fastify.securityHook(operation), fastify.quotaHook(operation)].filter(
      (hook): hook is onRequestHookHandler => hook !== undefined,
    )
    scope.route({
      method: operation.method,
      url: operation.url,
      schema: operation.schema,
      config: { operationId: operation.operationId },
      onRequest,
      preValidation: [
        ...(hasQueryParameter(operation, 'page') ? [pageZeroIsPageOne] : []),
        ...(operation.bodyOptional ? [absentBodyIsEmpty] : []),
        ...(booleans.length > 0 ? [pythonBooleans(booleans)] : []),
        ...(hasQueryParameter(operation, 'committers') ? [repeatedCommitters] : []),
      ],
      ...(operation.strictBody ? { validatorCompiler: compilers.strictValidatorCompiler } : {}),
      handler: routeHandler(handler),
    })
  }

  for (const operation of spec.operations) if (!operation.multipartBody) addRoute(fastify, operation)

  // Full-scan uploads: each part a manifest named by its relative path. Socket's limit of 10,000 files;
  // the sizes are ours (config). Beyond any of them: 413 in Socket's error body. In a context of their
  // own, because @fastify/multipart hooks every request of its context (a listener per request).
  const { scans } = fastify.config
  await fastify.register(async (uploads) => {
    uploads.removeContentTypeParser('multipart/form-data')
    await uploads.register(multipart, {
      limits: {
        fileSize: scans.maxFileBytes,
        files: 10_000,
        fields: 10_000,
        parts: 10_000,
        fieldNameSize: 1024,
        fieldSize: scans.maxFileBytes,
      },
    })
    for (const operation of spec.operations) if (operation.multipartBody) addRoute(uploads, operation)
  })
}

export default fp(operationRoutes, {
  name: 'operation-routes',
  fastify: '5.x',
  // list-cache and observability hook route registration (onRoute): they must be there first.
  dependencies: ['services', 'error-handler', 'auth', 'quota', 'list-cache', 'observability'],
  decorators: { fastify: ['config', 'securityHook', 'quotaHook'] },
})
