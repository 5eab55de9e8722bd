/**
 * Checks that openapi/socket-repos-api.yml is wire-identical to Socket's published spec.
 *
 *   npx tsx scripts/check-spec-parity.ts [--upstream-dir <dir>]
 *
 * <dir> holds Socket's `socket-repos-api-openapi.yml` (the contract for the 15 Repos and Repo Labels operations)
 * and `socket-openapi-full.json` (Socket's full, newer spec: the contract of GET /quota, GET /organizations, the org
 * security and license policy, the audit log, the API-token operations, the supported-files, full-scan and diff-scan
 * operations, and the source of the compatible
 * additions we serve). Default: ../shared/upstream from the repository root; a given relative path is read from
 * the current directory.
 *
 * Operations marked `x-socket-repos-extension: true` are ours, not Socket's (SDK 4.0.1's token paths, the
 * effective policy): they are not compared, but their paths must not exist in Socket's full spec, where they
 * could shadow or change a Socket operation.
 *
 * Both documents are dereferenced, then compared operation by operation: path and method, operationId, tags,
 * summary, deprecated, description, security, vendor extensions, parameters (name, in, order, required, description, schema),
 * request body (required, media types, schema), status codes, and per response its description, headers and
 * schema; plus the eight Socket* response components and the security schemes. Schemas are compared recursively
 * on every keyword except prose (description, title, examples): type, enum, nullable, default, bounds, format,
 * required (as a set), additionalProperties, property names and their order, items, anyOf/oneOf/allOf.
 *
 * A difference is accepted only where `deviations` below says so. Each entry names the locations it covers and
 * gives Socket's node as we deliberately serve it; ours is then compared against that, so a deviation covers
 * exactly its documented change and nothing else. An entry that covers nothing is itself reported.
 * Exit status: 0 when no difference is left, 1 otherwise (or when an upstream file is missing).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { dereference } from '@apidevtools/json-schema-ref-parser'
import { parse } from 'yaml'

type Json = { [key: string]: unknown }

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)))
const ourSpecPath = join(repoRoot, 'openapi/socket-repos-api.yml')

function upstreamDirectory(argv: string[]): string {
  const flag = argv.findIndex((arg) => arg === '--upstream-dir' || arg.startsWith('--upstream-dir='))
  if (flag < 0) return resolve(repoRoot, '../shared/upstream')
  const arg = argv[flag] ?? ''
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[flag + 1]
  if (!value) {
    console.error('--upstream-dir needs a directory')
    process.exit(1)
  }
  return resolve(process.cwd(), value)
}

// ---------------------------------------------------------------------------------------------------------------
// Deliberate deviations
// ---------------------------------------------------------------------------------------------------------------

interface Deviation {
  /**
   * Locations covered, as a pattern over the location strings this script prints: `*` is any run of characters
   * within one `/` segment, `**` any run of segments, `{a,b}` either alternative.
   */
  at: string
  reason: string
  /**
   * Socket's node as we deliberately serve it, from the published contract's node (`upstream`), the same node in
   * Socket's current full spec (`head`, undefined for the operations whose contract is that spec), and
   * the contract's operation. Throws when the deviation does not fit the node it is applied to.
   */
  expect: (upstream: unknown, head: unknown, operation: Json | undefined) => unknown
}

const LABEL_SETTING_GET = 'getOrgRepoLabelSetting/responses/200/schema'
const LABEL_SETTING_PUT = 'updateOrgRepoLabelSetting/requestBody/schema'
const TOKEN_OPERATIONS = 'postAPIToken,getAPITokens,postAPITokenUpdate,postAPITokensRotate,postAPITokensRevoke'

/** Socket's full spec, dereferenced (set by main before any comparison). */
let fullSpec: Json = {}

const deviations: Deviation[] = [
  {
    at: '/servers',
    reason: 'served from our own host: every path sits under /v0, as under https://api.socket.dev/v0',
    expect: () => [{ url: '/v0' }],
  },
  {
    at: '/**/properties/integration_meta',
    reason: 'anyOf:[object] + nullable without a type is written as that object, nullable (fast-json-stringify)',
    expect: (upstream) => {
      const { anyOf, ...rest } = asObject(upstream, 'integration_meta')
      if (!Array.isArray(anyOf) || anyOf.length !== 1) throw new Error('expected anyOf with exactly one schema')
      return { ...asObject(anyOf[0], 'integration_meta.anyOf[0]'), ...rest }
    },
  },
  {
    at: `/${LABEL_SETTING_GET}/properties/licensePolicy`,
    reason: 'free-form object: additionalProperties: true, or fast-json-stringify serializes it as {}',
    expect: (upstream) => freeForm(upstream),
  },
  {
    at: `/${LABEL_SETTING_PUT}/properties/licensePolicy`,
    reason: 'free-form object (LicenseAllowListRequest): additionalProperties: true, said for Ajv',
    expect: (upstream) => freeForm(upstream),
  },
  {
    at: '/**/schema/properties/error/properties/details',
    reason: 'free-form error details: additionalProperties: true, or fast-json-stringify serializes them as {}',
    expect: (upstream) => freeForm(upstream),
  },
  {
    at: '/getOrgRepoList/parameters/query/{sort,direction}/schema',
    reason: "the enum of Socket's current spec (the published one accepts any string)",
    expect: (upstream, head) => ({ ...asObject(upstream, 'schema'), enum: asObject(head, 'current schema').enum }),
  },
  {
    at: `/{${LABEL_SETTING_GET},${LABEL_SETTING_PUT}}/properties/issueRules`,
    reason: "138 alert types of Socket's current spec: missingLockfile and oversizedManifest added after noREADME",
    expect: (upstream, head) => ({
      ...asObject(upstream, 'issueRules'),
      properties: asObject(asObject(head, 'current issueRules').properties, 'current issueRules.properties'),
    }),
  },
  {
    at: `/{${LABEL_SETTING_GET},${LABEL_SETTING_PUT}}`,
    reason: "recentlyPublishedThresholdMs, the fourth setting key of Socket's current spec, as that spec has it",
    expect: (upstream, head) => withPropertyFrom(upstream, head, 'recentlyPublishedThresholdMs'),
  },
  {
    at: '/getSupportedFiles/responses',
    reason: 'an authenticated operation also answers 401 (no or a bad token) and 403 (another org), as Socket does',
    expect: (upstream) => {
      const responses = asObject(upstream, 'responses')
      if ('401' in responses || '403' in responses)
        throw new Error('Socket declares a 401 or 403 here now: remove the deviation')
      const components = objectOrEmpty(objectOrEmpty(fullSpec.components).responses)
      return {
        ...responses,
        '401': asObject(components.SocketUnauthorized, "Socket's SocketUnauthorized"),
        '403': asObject(components.SocketForbidden, "Socket's SocketForbidden"),
      }
    },
  },
  {
    at: '/getOrgFullScan/parameters/query/{include_scores,include_license_details}/required',
    reason: "optional: Socket's spec marks these two booleans (default false) required, yet its own clients omit them",
    expect: () => false,
  },
  {
    at: '/*/x-quota-cost',
    reason: 'extension: the units of quota the operation consumes, as its description states',
    expect: (_upstream, _head, operation) => quotaUnitsOf(operation),
  },
  {
    at: '/{updateOrgRepoLabelSetting,updateOrgSecurityPolicy}/x-strict-body',
    reason: 'extension: the body is validated without dropping unknown properties (unknown alert type → 400)',
    expect: () => true,
  },
  {
    at: '/{getOrgLicensePolicy/responses/200,updateOrgLicensePolicy/responses/200,updateOrgLicensePolicy/requestBody}/schema',
    reason: 'free-form license policy object: additionalProperties: true, or fast-json-stringify serializes it as {}',
    expect: (upstream) => freeForm(upstream),
  },
  {
    at: '/getAuditLogEvents/responses/200/schema/properties/results/items/properties/payload',
    reason: 'free-form event payload: additionalProperties: true, or fast-json-stringify serializes it as {}',
    expect: (upstream) => freeForm(upstream),
  },
  {
    at: `/{${TOKEN_OPERATIONS}}/responses`,
    reason:
      "Socket's token operations list no 400, yet a body or query that breaks their schema must be refused: " +
      "the SocketBadRequest response Socket's other operations declare",
    expect: (upstream) => {
      const responses = asObject(upstream, 'responses')
      if ('400' in responses) throw new Error('Socket declares a 400 here now: remove the deviation')
      const badRequest = objectOrEmpty(objectOrEmpty(fullSpec.components).responses).SocketBadRequest
      return { ...responses, '400': asObject(badRequest, "Socket's SocketBadRequest") }
    },
  },
]

function freeForm(upstream: unknown): Json {
  const schema = asObject(upstream, 'free-form object')
  if (schema.type !== 'object' || schema.properties !== undefined || schema.additionalProperties !== undefined) {
    throw new Error('expected an object schema without properties or additionalProperties')
  }
  return { ...schema, additionalProperties: true }
}

function withPropertyFrom(upstream: unknown, head: unknown, name: string): Json {
  const schema = asObject(upstream, 'schema')
  const ours = asObject(schema.properties, 'properties')
  const current = asObject(asObject(head, 'current schema').properties, 'current properties')
  if (!(name in current) || name in ours) throw new Error(`expected ${name} only in Socket's current spec`)
  // The current spec's order, for the published keys plus this one.
  const names = Object.keys(current).filter((key) => key === name || key in ours)
  if (names.length !== Object.keys(ours).length + 1) throw new Error('published keys missing from the current spec')
  return {
    ...schema,
    properties: Object.fromEntries(names.map((key) => [key, key === name ? current[key] : ours[key]])),
  }
}

function quotaUnitsOf(operation: Json | undefined): number {
  const match = /consumes (\d+) units? of your quota/.exec(String(operation?.description ?? ''))
  if (!match) throw new Error('the description states no quota cost')
  return Number(match[1])
}

function patternRegExp(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? ''
    if (pattern.startsWith('**', i)) {
      source += '.*'
      i++
    } else if (char === '*') source += '[^/]*'
    else if (char === '{') source += '(?:'
    else if (char === '}') source += ')'
    else if (char === ',') source += '|'
    else source += char.replace(/[.+?^$()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

const deviationPatterns = deviations.map((deviation) => ({ deviation, pattern: patternRegExp(deviation.at) }))
const applied = new Map<Deviation, string[]>()

// ---------------------------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------------------------

interface Difference {
  at: string
  what: string
}

const differences: Difference[] = []

function differ(at: string, what: string): void {
  differences.push({ at, what })
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function asObject(value: unknown, what: string): Json {
  if (!isObject(value)) throw new Error(`expected an object for ${what}`)
  return value
}

function objectOrEmpty(value: unknown): Json {
  return isObject(value) ? value : {}
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)'
  const text = JSON.stringify(value)
  return text.length > 100 ? `${text.slice(0, 97)}...` : text
}

/** Socket's node at `at`, after the deviation that covers `at`, if any. */
function expected(at: string, upstream: unknown, head: unknown, operation?: Json): unknown {
  const match = deviationPatterns.find(({ pattern }) => pattern.test(at))
  if (!match) return upstream
  try {
    const value = match.deviation.expect(upstream, head, operation)
    applied.set(match.deviation, [...(applied.get(match.deviation) ?? []), at])
    return value
  } catch (error) {
    differ(at, `deviation "${match.deviation.reason}" does not apply: ${(error as Error).message}`)
    return upstream
  }
}

/** Compares a value that has no inner structure worth walking (after its deviation, if any). */
function compareValue(at: string, ours: unknown, upstream: unknown, head?: unknown, operation?: Json): void {
  const theirs = expected(at, upstream, head, operation)
  if (!same(ours, theirs)) differ(at, `ours ${show(ours)}, expected ${show(theirs)}`)
}

/** Prose: not compared inside schemas (Socket's per-rule action descriptions, for one, are not copied). */
const proseKeywords = new Set(['description', 'title', 'example', 'examples', 'externalDocs'])
/** Keywords compared by structure; any other keyword of either side is compared by value. */
const structuralKeywords = new Set(['properties', 'required', 'additionalProperties', 'items', 'not'])
const listKeywords = ['anyOf', 'oneOf', 'allOf'] as const

function compareSchema(at: string, ours: unknown, upstream: unknown, head: unknown): void {
  const theirs = expected(at, upstream, head)
  if (!isObject(ours) || !isObject(theirs)) {
    if (ours !== undefined || theirs !== undefined) {
      differ(
        at,
        ours === undefined ? 'schema missing from ours' : theirs === undefined ? 'schema only in ours' : 'not a schema',
      )
    }
    return
  }
  const currentHead = objectOrEmpty(head)
  const keywords = new Set([...Object.keys(ours), ...Object.keys(theirs)])
  for (const keyword of keywords) {
    if (proseKeywords.has(keyword) || structuralKeywords.has(keyword)) continue
    if ((listKeywords as readonly string[]).includes(keyword)) continue
    if (!same(ours[keyword], theirs[keyword])) {
      differ(`${at}/${keyword}`, `ours ${show(ours[keyword])}, expected ${show(theirs[keyword])}`)
    }
  }

  const requiredOf = (schema: Json) => (Array.isArray(schema.required) ? [...(schema.required as string[])].sort() : [])
  if (
    (ours.required === undefined) !== (theirs.required === undefined) ||
    !same(requiredOf(ours), requiredOf(theirs))
  ) {
    differ(`${at}/required`, `ours ${show(ours.required)}, expected ${show(theirs.required)}`)
  }

  if (isObject(ours.additionalProperties) && isObject(theirs.additionalProperties)) {
    compareSchema(
      `${at}/additionalProperties`,
      ours.additionalProperties,
      theirs.additionalProperties,
      currentHead.additionalProperties,
    )
  } else if (!same(ours.additionalProperties, theirs.additionalProperties)) {
    differ(
      `${at}/additionalProperties`,
      `ours ${show(ours.additionalProperties)}, expected ${show(theirs.additionalProperties)}`,
    )
  }

  if (ours.properties !== undefined || theirs.properties !== undefined) {
    const ourProperties = objectOrEmpty(ours.properties)
    const theirProperties = objectOrEmpty(theirs.properties)
    const ourNames = Object.keys(ourProperties)
    const theirNames = Object.keys(theirProperties)
    if ((ours.properties === undefined) !== (theirs.properties === undefined) || !same(ourNames, theirNames)) {
      const extra = ourNames.filter((name) => !(name in theirProperties))
      const missing = theirNames.filter((name) => !(name in ourProperties))
      differ(
        `${at}/properties`,
        ours.properties === undefined || theirs.properties === undefined
          ? `ours ${show(ours.properties && ourNames)}, expected ${show(theirs.properties && theirNames)}`
          : extra.length || missing.length
            ? `only in ours [${extra.join(', ')}], only expected [${missing.join(', ')}]`
            : `order: ours [${ourNames.join(', ')}]`,
      )
    }
    const headProperties = objectOrEmpty(currentHead.properties)
    for (const name of theirNames) {
      if (name in ourProperties) {
        compareSchema(`${at}/properties/${name}`, ourProperties[name], theirProperties[name], headProperties[name])
      }
    }
  }

  for (const keyword of ['items', 'not'] as const) {
    if (ours[keyword] !== undefined || theirs[keyword] !== undefined) {
      compareSchema(`${at}/${keyword}`, ours[keyword], theirs[keyword], currentHead[keyword])
    }
  }

  for (const keyword of listKeywords) {
    const ourList = ours[keyword]
    const theirList = theirs[keyword]
    if (ourList === undefined && theirList === undefined) continue
    if (!Array.isArray(ourList) || !Array.isArray(theirList) || ourList.length !== theirList.length) {
      differ(`${at}/${keyword}`, `ours ${show(ourList)}, expected ${show(theirList)}`)
      continue
    }
    const headList = Array.isArray(currentHead[keyword]) ? (currentHead[keyword] as unknown[]) : []
    ourList.forEach((schema, index) => {
      compareSchema(`${at}/${keyword}/${index}`, schema, theirList[index], headList[index])
    })
  }
}

/** The JSON body schema of a request body or response, and its media types. */
function contentOf(holder: Json): { mediaTypes: string[]; schema: unknown } {
  const content = objectOrEmpty(holder.content)
  return { mediaTypes: Object.keys(content).sort(), schema: objectOrEmpty(content['application/json']).schema }
}

/** Prose compared as text, with line breaks and runs of spaces read as one space (YAML folding). */
function compareProse(at: string, ours: unknown, theirs: unknown): void {
  const normal = (text: unknown) => (typeof text === 'string' ? text.replace(/\s+/g, ' ').trim() : text)
  if (normal(ours) !== normal(theirs)) differ(at, `ours ${show(ours)}, expected ${show(theirs)}`)
}

function compareResponse(at: string, ours: Json, theirs: Json, head: Json): void {
  compareProse(`${at}/description`, ours.description, theirs.description)
  const ourHeaders = objectOrEmpty(ours.headers)
  const theirHeaders = objectOrEmpty(theirs.headers)
  const headHeaders = objectOrEmpty(head.headers)
  if (!same(Object.keys(ourHeaders).sort(), Object.keys(theirHeaders).sort())) {
    differ(`${at}/headers`, `ours [${Object.keys(ourHeaders)}], Socket's [${Object.keys(theirHeaders)}]`)
  }
  for (const [name, theirHeader] of Object.entries(theirHeaders)) {
    const ourHeader = ourHeaders[name]
    if (!isObject(ourHeader) || !isObject(theirHeader)) continue
    compareProse(`${at}/headers/${name}/description`, ourHeader.description, theirHeader.description)
    compareValue(`${at}/headers/${name}/required`, ourHeader.required, theirHeader.required)
    compareSchema(
      `${at}/headers/${name}/schema`,
      ourHeader.schema,
      theirHeader.schema,
      objectOrEmpty(headHeaders[name]).schema,
    )
  }
  const ourContent = contentOf(ours)
  const theirContent = contentOf(theirs)
  compareValue(`${at}/content`, ourContent.mediaTypes, theirContent.mediaTypes)
  compareSchema(`${at}/schema`, ourContent.schema, theirContent.schema, contentOf(head).schema)
}

const operationKeys = new Set([
  'deprecated',
  'tags',
  'summary',
  'operationId',
  'parameters',
  'requestBody',
  'security',
  'description',
  'responses',
  'deprecated',
])

function compareOperation(name: string, ours: Json, theirs: Json, head: Json): void {
  const at = `/${name}`
  for (const key of ['operationId', 'tags', 'summary', 'security', 'deprecated'] as const) {
    compareValue(`${at}/${key}`, ours[key], theirs[key])
  }
  compareProse(`${at}/description`, ours.description, theirs.description)
  for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
    if (key.startsWith('x-')) compareValue(`${at}/${key}`, ours[key], theirs[key], head[key], theirs)
    else if (!operationKeys.has(key)) differ(`${at}/${key}`, 'a field this check does not compare')
  }

  // Parameters: the same ones, in the same order, each the same.
  const parametersOf = (operation: Json) =>
    new Map(
      (Array.isArray(operation.parameters) ? operation.parameters : []).filter(isObject).map((parameter) => {
        return [`${String(parameter.in)}/${String(parameter.name)}`, parameter] as const
      }),
    )
  const ourParameters = parametersOf(ours)
  const theirParameters = parametersOf(theirs)
  const headParameters = parametersOf(head)
  if (!same([...ourParameters.keys()], [...theirParameters.keys()])) {
    differ(`${at}/parameters`, `ours [${[...ourParameters.keys()]}], Socket's [${[...theirParameters.keys()]}]`)
  }
  for (const [key, theirParameter] of theirParameters) {
    const ourParameter = ourParameters.get(key)
    if (!ourParameter) continue
    const parameterAt = `${at}/parameters/${key}`
    for (const field of new Set([...Object.keys(ourParameter), ...Object.keys(theirParameter)])) {
      if (field === 'schema') continue
      if (field === 'description')
        compareProse(`${parameterAt}/description`, ourParameter.description, theirParameter.description)
      else compareValue(`${parameterAt}/${field}`, ourParameter[field], theirParameter[field])
    }
    compareSchema(`${parameterAt}/schema`, ourParameter.schema, theirParameter.schema, headParameters.get(key)?.schema)
  }

  // Request body.
  const ourBody = ours.requestBody
  const theirBody = theirs.requestBody
  if (isObject(ourBody) !== isObject(theirBody)) {
    differ(`${at}/requestBody`, isObject(ourBody) ? 'only in ours' : 'missing from ours')
  } else if (isObject(ourBody) && isObject(theirBody)) {
    compareValue(`${at}/requestBody/required`, ourBody.required === true, theirBody.required === true)
    const ourContent = contentOf(ourBody)
    const theirContent = contentOf(theirBody)
    compareValue(`${at}/requestBody/content`, ourContent.mediaTypes, theirContent.mediaTypes)
    const headBody = objectOrEmpty(head.requestBody)
    compareSchema(`${at}/requestBody/schema`, ourContent.schema, theirContent.schema, contentOf(headBody).schema)
  }

  // Responses: the same status codes, each the same.
  const ourResponses = objectOrEmpty(ours.responses)
  const theirResponses = objectOrEmpty(expected(`${at}/responses`, objectOrEmpty(theirs.responses), head.responses))
  const headResponses = objectOrEmpty(head.responses)
  if (!same(Object.keys(ourResponses).sort(), Object.keys(theirResponses).sort())) {
    differ(`${at}/responses`, `ours [${Object.keys(ourResponses)}], Socket's [${Object.keys(theirResponses)}]`)
  }
  for (const [status, theirResponse] of Object.entries(theirResponses)) {
    const ourResponse = ourResponses[status]
    if (isObject(ourResponse) && isObject(theirResponse)) {
      compareResponse(`${at}/responses/${status}`, ourResponse, theirResponse, objectOrEmpty(headResponses[status]))
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

/** The operations whose contract is Socket's full spec (every other one: the published Repos spec). */
const fullSpecOperations = [
  'GET /quota',
  'GET /organizations',
  'GET /orgs/{org_slug}/settings/security-policy',
  'POST /orgs/{org_slug}/settings/security-policy',
  'GET /orgs/{org_slug}/settings/license-policy',
  'POST /orgs/{org_slug}/settings/license-policy',
  'GET /orgs/{org_slug}/audit-log',
  'POST /orgs/{org_slug}/api-tokens',
  'GET /orgs/{org_slug}/api-tokens',
  'POST /orgs/{org_slug}/api-tokens/update',
  'POST /orgs/{org_slug}/api-tokens/rotate',
  'POST /orgs/{org_slug}/api-tokens/revoke',
  'GET /report/supported',
  'GET /orgs/{org_slug}/supported-files',
  'GET /orgs/{org_slug}/full-scans',
  'POST /orgs/{org_slug}/full-scans',
  'GET /orgs/{org_slug}/full-scans/{full_scan_id}',
  'DELETE /orgs/{org_slug}/full-scans/{full_scan_id}',
  'GET /orgs/{org_slug}/full-scans/{full_scan_id}/metadata',
  'GET /orgs/{org_slug}/full-scans/diff',
  'GET /orgs/{org_slug}/diff-scans',
  'POST /orgs/{org_slug}/diff-scans/from-ids',
  'GET /orgs/{org_slug}/diff-scans/{diff_scan_id}',
  'DELETE /orgs/{org_slug}/diff-scans/{diff_scan_id}',
]

interface Target {
  method: string
  path: string
  /** The contract's operation. */
  theirs: Json
  /** The same operation in Socket's current full spec (empty when that spec is the contract). */
  head: Json
}

function operationsOf(document: Json): Map<string, Json> {
  const operations = new Map<string, Json>()
  for (const [path, item] of Object.entries(objectOrEmpty(document.paths))) {
    for (const method of methods) {
      const operation = objectOrEmpty(item)[method]
      if (isObject(operation)) operations.set(`${method.toUpperCase()} ${path}`, operation)
    }
  }
  return operations
}

async function load(path: string, format: 'yaml' | 'json'): Promise<Json> {
  const text = readFileSync(path, 'utf8')
  // Our file uses YAML merge keys (`<<: *anchor`), read as the server reads it.
  const document: unknown = format === 'json' ? JSON.parse(text) : parse(text, { merge: true })
  return asObject(await dereference(asObject(document, path)), path)
}

async function main(): Promise<void> {
  const upstreamDir = upstreamDirectory(process.argv.slice(2))
  const reposSpecPath = join(upstreamDir, 'socket-repos-api-openapi.yml')
  const fullSpecPath = join(upstreamDir, 'socket-openapi-full.json')
  const missing = [reposSpecPath, fullSpecPath].filter((path) => !existsSync(path))
  if (missing.length > 0) {
    console.error(`Socket's spec not found: ${missing.join(', ')} (pass --upstream-dir <dir>)`)
    process.exit(1)
  }

  const ours = await load(ourSpecPath, 'yaml')
  const repos = await load(reposSpecPath, 'yaml')
  const full = await load(fullSpecPath, 'json')
  const ourOperations = operationsOf(ours)
  const fullOperations = operationsOf(full)

  const targets: Target[] = []
  for (const [key, theirs] of operationsOf(repos)) {
    const [method = '', path = ''] = key.split(' ')
    targets.push({ method, path, theirs, head: fullOperations.get(key) ?? {} })
  }
  fullSpec = full
  for (const key of fullSpecOperations) {
    const [method = '', path = ''] = key.split(' ')
    const theirs = fullOperations.get(key)
    if (theirs) targets.push({ method, path, theirs, head: {} })
    else differ(`/${key}`, "missing from Socket's full spec")
  }

  compareValue('/openapi', ours.openapi, repos.openapi)
  compareValue('/servers', ours.servers, repos.servers)
  compareValue(
    '/components/securitySchemes',
    objectOrEmpty(ours.components).securitySchemes,
    objectOrEmpty(repos.components).securitySchemes,
  )

  for (const target of targets) {
    const key = `${target.method} ${target.path}`
    const name = String(target.theirs.operationId ?? key)
    const mine = ourOperations.get(key)
    if (mine) compareOperation(name, mine, target.theirs, target.head)
    else differ(`/${name}`, `${key} missing from ours`)
  }
  const targetKeys = new Set(targets.map((target) => `${target.method} ${target.path}`))
  const fullPaths = new Set(Object.keys(objectOrEmpty(full.paths)))
  let extensions = 0
  for (const [key, operation] of ourOperations) {
    if (targetKeys.has(key)) continue
    const path = key.slice(key.indexOf(' ') + 1)
    if (operation['x-socket-repos-extension'] !== true) differ(`/paths`, `${key} only in ours`)
    else if (fullPaths.has(path)) differ(`/paths`, `${key}: an extension on a path of Socket's full spec`)
    else extensions++
  }

  // The response components, including the two no operation refers to (SocketInternalServerError, SocketGone).
  const ourResponses = objectOrEmpty(objectOrEmpty(ours.components).responses)
  const fullResponses = objectOrEmpty(objectOrEmpty(full.components).responses)
  for (const [name, theirResponse] of Object.entries(objectOrEmpty(objectOrEmpty(repos.components).responses))) {
    const ourResponse = ourResponses[name]
    if (!isObject(ourResponse)) differ(`/components/responses/${name}`, 'missing from ours')
    else if (isObject(theirResponse)) {
      compareResponse(`/components/responses/${name}`, ourResponse, theirResponse, objectOrEmpty(fullResponses[name]))
    }
  }

  for (const deviation of deviations) {
    if (!applied.has(deviation)) differ(deviation.at, `deviation "${deviation.reason}" covers nothing: remove it`)
  }

  const applications = [...applied.values()].reduce((sum, locations) => sum + locations.length, 0)
  for (const [deviation, locations] of applied) {
    console.log(`deviation ${deviation.at} (${locations.length}×): ${deviation.reason}`)
  }
  for (const difference of differences) console.log(`DIFFERENCE ${difference.at}: ${difference.what}`)
  console.log(
    `${targets.length} operations compared, ${extensions} extension operations on paths of their own, ` +
      `${applications} documented deviations applied ` +
      `(${applied.size} of ${deviations.length} allowlist entries), ${differences.length} differences`,
  )
  process.exit(differences.length > 0 ? 1 : 0)
}

await main()
