import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { specPath } from '../../src/http/spec-loader.js'

/**
 * The spec's operations, walked from openapi/socket-repos-api.yml (YAML merge keys on, `$ref`s
 * resolved), for the suites that must cover every operation.
 */

export type JsonSchema = { [key: string]: unknown }

export interface SpecParameter {
  name: string
  in: 'path' | 'query'
  required: boolean
  schema: JsonSchema
}

export interface SpecOperation {
  operationId: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** The OpenAPI path under /v0, e.g. `/orgs/{org_slug}/repos`. */
  path: string
  parameters: SpecParameter[]
  body: { schema: JsonSchema; required: boolean } | undefined
  /** The scopes any one security requirement asks for (the spec lists the same ones for Bearer and Basic). */
  scopes: string[]
  /** The statuses the operation declares. */
  statuses: number[]
  /** Whether the operation needs a token at all (`GET /report/supported` has `security: []`). */
  authenticated: boolean
}

type Node = { [key: string]: unknown }

function resolver(document: Node) {
  const lookup = (ref: string): unknown => {
    if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`)
    return ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, part) => (node as Node)[part.replace(/~1/g, '/').replace(/~0/g, '~')], document)
  }
  const resolve = (node: unknown, seen: string[] = []): unknown => {
    if (Array.isArray(node)) return node.map((item) => resolve(item, seen))
    if (!node || typeof node !== 'object') return node
    const ref = (node as Node).$ref
    if (typeof ref === 'string') {
      if (seen.includes(ref)) throw new Error(`cyclic $ref ${ref}`)
      return resolve(lookup(ref), [...seen, ref])
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolve(value, seen)]))
  }
  return resolve
}

let cached: SpecOperation[] | undefined

export function specOperations(): SpecOperation[] {
  if (cached) return cached
  const document = parse(readFileSync(specPath, 'utf8'), { merge: true }) as Node
  const resolve = resolver(document)
  const operations: SpecOperation[] = []
  for (const [path, item] of Object.entries(document.paths as Node)) {
    for (const method of ['get', 'post', 'put', 'delete'] as const) {
      const raw = (item as Node)[method]
      if (!raw) continue
      const op = resolve(raw) as Node
      const parameters = ((op.parameters ?? []) as Node[]).map((p) => ({
        name: p.name as string,
        in: p.in as 'path' | 'query',
        required: p.required === true,
        schema: (p.schema ?? {}) as JsonSchema,
      }))
      const requestBody = op.requestBody as Node | undefined
      const content = requestBody?.content as Record<string, Node> | undefined
      const bodySchema = content?.['application/json']?.schema as JsonSchema | undefined
      const security = (op.security ?? []) as Record<string, string[]>[]
      operations.push({
        operationId: op.operationId as string,
        method: method.toUpperCase() as SpecOperation['method'],
        path,
        parameters,
        body: bodySchema ? { schema: bodySchema, required: requestBody?.required === true } : undefined,
        scopes: [...new Set(security.flatMap((entry) => Object.values(entry).flat()))],
        statuses: Object.keys((op.responses ?? {}) as Node).map(Number),
        authenticated: security.length > 0,
      })
    }
  }
  cached = operations
  return operations
}

/** Fills an operation's path: `{org_slug}` etc. from `values` (URL-encoded). */
export function fillPath(path: string, values: Record<string, string>): string {
  return `/v0${path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`no value for {${name}}`)
    return encodeURIComponent(value)
  })}`
}
