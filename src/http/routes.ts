import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ConfigError } from '../config.js'
import { type OperationId, operationHandlers } from './handlers/index.js'
import { errorBody } from './plugins/error-handler.js'
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

/** An optional body that was not sent reads as `{}`: the operation then sees "no fields given". */
async function absentBodyIsEmpty(request: FastifyRequest) {
  if (request.body === undefined) request.body = {}
}

/**
 * Socket's CLI asks for `page=0` on its first request; Socket answers it as page 1. The spec's
 * `minimum: 1` stays as published, and the value is read as 1 before validation.
 */
async function pageZeroIsPageOne(request: FastifyRequest) {
  const query = request.query as Record<string, unknown>
  if (query.page === '0') query.page = '1'
}

/** The query parameters of an operation whose schema is a boolean. */
function booleanQueryParameters(operation: OperationSpec): string[] {
  const query = operation.schema.querystring as { properties?: Record<string, { type?: unknown }> } | undefined
  return Object.entries(query?.properties ?? {})
    .filter(([, schema]) => schema.type === 'boolean')
    .map(([name]) => name)
}

/** Socket's Python scanner spells query booleans as Python prints them: `True` and `False`. */
function pythonBooleans(names: string[]) {
  return async (request: FastifyRequest) => {
    const query = request.query as Record<string, unknown>
    for (const name of names) {
      if (query[name] === 'True') query[name] = 'true'
      else if (query[name] === 'False') query[name] = 'false'
    }
  }
}

/**
 * `committers` may be set more than once (the spec says so of a string parameter): validation sees
 * the first value and the handler reads every one from the URL.
 */
async function repeatedCommitters(request: FastifyRequest) {
  const query = request.query as Record<string, unknown>
  if (Array.isArray(query.committers)) query.committers = query.committers[0]
}

/** An injected fault (admin API) delays the request, or answers it with a forced status. */
function injectedFaults(fastify: FastifyInstance, operationId: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (fastify.faults.size === 0) return
    const fault = fastify.faults.take(operationId, (request.params as { org_slug?: string }).org_slug)
    if (!fault) return
    if (fault.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
    if (fault.status === undefined) return
    reply.header('x-injected-fault', fault.id)
    if (fault.status === 429 || fault.status === 503) reply.header('retry-after', '1')
    return reply.code(fault.status).send(errorBody(fault.message ?? 'Injected fault'))
  }
}

/**
 * Registers one route per operation of the spec, each with the handler of its operationId.
 * `QUOTA_COSTS` overrides the spec's per-operation costs; an unknown operationId there is an error.
 */
export async function registerOperations(fastify: FastifyInstance, spec: LoadedSpec, compilers: SchemaCompilers) {
  const specIds = new Set(spec.operations.map((op) => op.operationId))
  const missing = Object.keys(operationHandlers).filter((id) => !specIds.has(id))
  if (missing.length > 0) throw new Error(`handlers without an operation in the spec: ${missing.join(', ')}`)
  const costs = fastify.config.quota.costs
  const unknownCosts = Object.keys(costs).filter((id) => !specIds.has(id))
  if (unknownCosts.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  QUOTA_COSTS: unknown operationId ${unknownCosts.join(', ')}`)
  }

  for (const specOperation of spec.operations) {
    const operation = { ...specOperation, quotaCost: costs[specOperation.operationId] ?? specOperation.quotaCost }
    const booleans = booleanQueryParameters(operation)
    const handler = operationHandlers[operation.operationId as OperationId]
    if (!handler) throw new Error(`the spec's operation ${operation.operationId} has no handler`)
    fastify.route({
      method: operation.method,
      url: operation.url,
      schema: operation.schema,
      config: { operationId: operation.operationId },
      onRequest: [injectedFaults(fastify, operation.operationId), ...fastify.securityHooks(operation)],
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
}
