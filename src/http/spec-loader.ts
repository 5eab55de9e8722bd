import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dereference } from '@apidevtools/json-schema-ref-parser'
import type { FastifySchema } from 'fastify'
import { parse } from 'yaml'

/**
 * Reads `openapi/socket-repos-api.yml` and turns each operation into what Fastify needs to
 * register it: method, URL, JSON schemas for params/query/body/responses, and the operation's
 * security and quota cost. Everything the router validates or serializes comes from here.
 */

export const specPath = fileURLToPath(new URL('../../openapi/socket-repos-api.yml', import.meta.url))

/** Every route of the spec lives under the server URL `/v0`. */
export const API_PREFIX = '/v0'

type JsonObject = { [key: string]: unknown }
type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface SecurityRequirement {
  scheme: 'bearerAuth' | 'basicAuth'
  scopes: string[]
}

export interface OperationSpec {
  operationId: string
  method: HttpMethod
  /** The OpenAPI path, e.g. `/orgs/{org_slug}/repos`. */
  path: string
  /** The Fastify URL, e.g. `/v0/orgs/:org_slug/repos`. */
  url: string
  /** Alternatives: a request is allowed when it satisfies any one entry. */
  security: SecurityRequirement[]
  /** Units of quota one call spends (`x-quota-cost`). */
  quotaCost: number
  /** Validate the body without dropping unknown properties (`x-strict-body`). */
  strictBody: boolean
  /** Whether the operation has a request body and the spec marks it optional. */
  bodyOptional: boolean
  /** Status codes the operation declares. */
  statuses: number[]
  /** The operation's body is `multipart/form-data` (a full-scan upload); every other one refuses it (415). */
  multipartBody: boolean
  /** Per status, the schema of each line of an `application/x-ndjson` answer (a streamed full scan). */
  ndjsonResponses: Record<string, JsonObject>
  schema: FastifySchema & { response: Record<string, unknown> }
}

export interface LoadedSpec {
  /** The document as written (with its `$ref`s), served at /openapi.json. */
  document: JsonObject
  operations: OperationSpec[]
}

const methods = ['get', 'post', 'put', 'delete'] as const

export async function loadSpec(path: string = specPath): Promise<LoadedSpec> {
  const document = parse(readFileSync(path, 'utf8'), { merge: true }) as JsonObject
  const resolved = (await dereference(structuredClone(document))) as JsonObject
  const operations: OperationSpec[] = []
  for (const [openapiPath, item] of Object.entries(resolved.paths as Record<string, JsonObject>)) {
    for (const method of methods) {
      const op = item[method] as JsonObject | undefined
      if (op) operations.push(toOperation(openapiPath, method, op))
    }
  }
  return { document, operations }
}

function toOperation(path: string, method: (typeof methods)[number], op: JsonObject): OperationSpec {
  const parameters = (op.parameters ?? []) as JsonObject[]
  const responses = (op.responses ?? {}) as Record<string, JsonObject>
  const response: Record<string, unknown> = {}
  const ndjsonResponses: Record<string, JsonObject> = {}
  for (const [status, res] of Object.entries(responses)) {
    const lines = (res.content as Record<string, JsonObject> | undefined)?.['application/x-ndjson']?.schema
    if (lines) ndjsonResponses[status] = toJsonSchema(lines as JsonObject, { dropDefaults: true })
    const schema = jsonContent(res)
    // Response defaults document values; they must never be serialized in place of a missing one.
    if (schema) response[status] = toJsonSchema(schema, { dropDefaults: true })
  }
  const requestBody = op.requestBody as JsonObject | undefined
  const bodySchema = requestBody ? jsonContent(requestBody) : undefined
  const schema: OperationSpec['schema'] = {
    operationId: op.operationId as string,
    response,
  }
  const params = parameterSchema(parameters, 'path')
  if (params) schema.params = params
  const querystring = parameterSchema(parameters, 'query')
  if (querystring) schema.querystring = querystring
  // Body defaults are dropped too: Ajv would otherwise write them into a partial update.
  if (bodySchema) schema.body = toJsonSchema(bodySchema, { dropDefaults: true, exactNumbers: true })
  return {
    operationId: op.operationId as string,
    method: method.toUpperCase() as HttpMethod,
    path,
    url: API_PREFIX + path.replace(/\{([^}]+)\}/g, ':$1'),
    security: ((op.security ?? []) as Record<string, string[]>[]).flatMap((entry) =>
      Object.entries(entry).map(([scheme, scopes]) => ({ scheme: scheme as SecurityRequirement['scheme'], scopes })),
    ),
    quotaCost: typeof op['x-quota-cost'] === 'number' ? op['x-quota-cost'] : 1,
    strictBody: op['x-strict-body'] === true,
    bodyOptional: bodySchema !== undefined && requestBody?.required !== true,
    statuses: Object.keys(responses).map(Number),
    multipartBody: (requestBody?.content as Record<string, unknown> | undefined)?.['multipart/form-data'] !== undefined,
    ndjsonResponses,
    schema,
  }
}

function jsonContent(holder: JsonObject): JsonObject | undefined {
  const content = holder.content as Record<string, JsonObject> | undefined
  return content?.['application/json']?.schema as JsonObject | undefined
}

function parameterSchema(parameters: JsonObject[], location: 'path' | 'query'): JsonObject | undefined {
  const selected = parameters.filter((p) => p.in === location)
  if (selected.length === 0) return undefined
  return {
    type: 'object',
    properties: Object.fromEntries(
      selected.map((p) => [p.name, toJsonSchema(p.schema as JsonObject, { exactNumbers: true })]),
    ),
    required: selected.filter((p) => p.required).map((p) => p.name),
  }
}

/** Keywords of OpenAPI's schema object that are documentation, not validation. */
const annotationKeys = new Set(['example', 'examples', 'xml', 'externalDocs', 'deprecated', 'discriminator'])

export interface JsonSchemaOptions {
  /** Leave out `default`s. */
  dropDefaults?: boolean
  /**
   * Bound every number to what is stored and served exactly: an `integer` to ±(2^53 − 1), a
   * `number` to ±Number.MAX_VALUE (so never ±Infinity, which `?page=1e309` coerces to), each
   * within the bounds the spec declares. The spec stays Socket's; these are ours
   * (docs/ids-and-timestamps.md).
   */
  exactNumbers?: boolean
}

/**
 * An OpenAPI 3.0 schema as plain JSON Schema for Ajv and fast-json-stringify: a deep copy without
 * annotations and vendor extensions, optionally without `default`s. `nullable` stays; both
 * understand it.
 */
export function toJsonSchema(schema: JsonObject, options: JsonSchemaOptions = {}): JsonObject {
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(schema)) {
    if (annotationKeys.has(key) || key.startsWith('x-')) continue
    if (key === 'default' && options.dropDefaults) continue
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, JsonObject>).map(([name, sub]) => [name, toJsonSchema(sub, options)]),
      )
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isObject(value)) {
      out[key] = toJsonSchema(value, options)
    } else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
      out[key] = value.map((sub: JsonObject) => toJsonSchema(sub, options))
    } else {
      out[key] = value
    }
  }
  // In OpenAPI 3.0 `nullable` admits null even beside an `enum`; for Ajv the enum must say so too.
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null]
  if (Array.isArray(out.allOf)) return mergeClosedObjects(out)
  if (options.exactNumbers && (out.type === 'integer' || out.type === 'number')) boundNumber(out)
  return out
}

/**
 * Socket composes objects as `allOf` of closed objects (a package URL, then what a diff adds to it),
 * each with `additionalProperties: false`. Read literally by Ajv no value could pass both; meant (and
 * serialized by fast-json-stringify) as one object with the properties of all. That one object is
 * what is validated and serialized. Any other `allOf` is left as written.
 */
function mergeClosedObjects(schema: JsonObject): JsonObject {
  const { allOf, ...rest } = schema
  const parts = allOf as unknown[]
  const mergeable = parts.every(
    (part) =>
      isObject(part) &&
      part.type === 'object' &&
      isObject(part.properties) &&
      Object.keys(part).every((key) =>
        ['type', 'properties', 'required', 'additionalProperties', 'description'].includes(key),
      ),
  )
  if (!mergeable || Object.keys(rest).some((key) => key !== 'nullable' && key !== 'description')) return schema
  const objects = parts as JsonObject[]
  const properties = Object.assign({}, ...objects.map((part) => part.properties as JsonObject)) as JsonObject
  const required = [...new Set(objects.flatMap((part) => (part.required ?? []) as string[]))]
  return {
    ...rest,
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(objects.every((part) => part.additionalProperties === false) ? { additionalProperties: false } : {}),
  }
}

function boundNumber(schema: JsonObject): void {
  const limit = schema.type === 'integer' ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE
  const { minimum, maximum } = schema
  schema.minimum = typeof minimum === 'number' ? Math.max(minimum, -limit) : -limit
  schema.maximum = typeof maximum === 'number' ? Math.min(maximum, limit) : limit
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
