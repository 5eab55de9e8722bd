/**
 * Checks that openapi/socket-repos-api.yml is wire-identical to Socket's published spec: every
 * operation's path, method, operationId, tags, summary, parameters, request body, status codes,
 * response descriptions, headers and schemas (types, enums, nullability, defaults, bounds,
 * required lists, closed objects, property names and order) and security. Differences must be one
 * of the deliberate deviations listed below (docs/spec-deviations.md), or the check fails.
 *
 *   npx tsx scripts/check-spec-parity.ts [--upstream-dir ../shared/upstream]
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { dereference } from '@apidevtools/json-schema-ref-parser'
import { parse } from 'yaml'

type Json = Record<string, unknown>

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const argIndex = process.argv.indexOf('--upstream-dir')
const upstreamDir = resolve(root, argIndex > 0 ? (process.argv[argIndex + 1] ?? '') : '../shared/upstream')
const reposSpecPath = join(upstreamDir, 'socket-repos-api-openapi.yml')
const fullSpecPath = join(upstreamDir, 'socket-openapi-full.json')

/** Deliberate deviations: where a difference may appear, and why. */
const deviations: { where: RegExp; why: string }[] = [
  {
    where: /\.integration_meta(\.|$)/,
    why: 'anyOf[object]+nullable without type is written as a nullable object (same values; serializable)',
  },
  {
    where: /\.(licensePolicy|details)\.additionalProperties$/,
    why: 'free-form objects say additionalProperties: true, or fast-json-stringify would emit {}',
  },
  {
    where: /requestBody\.licensePolicy\.additionalProperties$/,
    why: 'LicenseAllowListRequest is free-form: additionalProperties: true',
  },
  { where: /parameters\.query\.(sort|direction)\.enum$/, why: "the enums of Socket's current spec" },
  {
    where: /\.issueRules\.properties$/,
    why: "138 alert types of Socket's current spec (missingLockfile, oversizedManifest added)",
  },
  {
    where: /label-setting.*\.properties$/,
    why: "recentlyPublishedThresholdMs, the fourth setting key of Socket's current spec",
  },
]

interface Difference {
  where: string
  what: string
}

const differences: Difference[] = []
function differ(where: string, what: string) {
  differences.push({ where, what })
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** Compares two schemas on every keyword that changes what travels on the wire. */
function compareSchema(where: string, ours: Json | undefined, theirs: Json | undefined) {
  if (!ours || !theirs) {
    if (ours !== theirs) differ(where, `schema ${ours ? 'extra' : 'missing'}`)
    return
  }
  for (const key of ['type', 'enum', 'nullable', 'default', 'minimum', 'maximum', 'format']) {
    if (!same(ours[key], theirs[key]))
      differ(`${where}.${key}`, `${JSON.stringify(ours[key])} ≠ ${JSON.stringify(theirs[key])}`)
  }
  const required = (s: Json) => [...((s.required as string[] | undefined) ?? [])].sort()
  if (!same(required(ours), required(theirs))) differ(`${where}.required`, 'required lists differ')
  const ap = (s: Json) => s.additionalProperties
  if (typeof ap(ours) === 'object' && typeof ap(theirs) === 'object') {
    compareSchema(`${where}.additionalProperties`, ap(ours) as Json, ap(theirs) as Json)
  } else if (!same(ap(ours), ap(theirs))) {
    differ(`${where}.additionalProperties`, `${JSON.stringify(ap(ours))} ≠ ${JSON.stringify(ap(theirs))}`)
  }
  const ourProps = (ours.properties ?? {}) as Record<string, Json>
  const theirProps = (theirs.properties ?? {}) as Record<string, Json>
  if (!same(Object.keys(ourProps), Object.keys(theirProps))) {
    differ(
      `${where}.properties`,
      `names/order differ: +[${Object.keys(ourProps).filter((k) => !(k in theirProps))}] -[${Object.keys(theirProps).filter((k) => !(k in ourProps))}]`,
    )
  }
  for (const name of Object.keys(theirProps)) {
    if (ourProps[name]) compareSchema(`${where}.${name}`, ourProps[name], theirProps[name])
  }
  if (ours.items || theirs.items) compareSchema(`${where}.items`, ours.items as Json, theirs.items as Json)
  if (ours.anyOf || theirs.anyOf) {
    if (!same(ours.anyOf, theirs.anyOf)) differ(`${where}.anyOf`, 'anyOf differs')
  }
}

function jsonSchemaOf(holder: Json | undefined): Json | undefined {
  return ((holder?.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema as Json | undefined
}

function compareOperation(where: string, ours: Json, theirs: Json) {
  for (const key of ['operationId', 'tags', 'summary', 'security']) {
    if (!same(ours[key], theirs[key]))
      differ(`${where}.${key}`, `${JSON.stringify(ours[key])} ≠ ${JSON.stringify(theirs[key])}`)
  }
  const params = (op: Json) =>
    new Map(((op.parameters ?? []) as Json[]).map((p) => [`${String(p.in)}.${String(p.name)}`, p]))
  const ourParams = params(ours)
  const theirParams = params(theirs)
  if (!same([...ourParams.keys()].sort(), [...theirParams.keys()].sort())) {
    differ(`${where}.parameters`, `${[...ourParams.keys()]} ≠ ${[...theirParams.keys()]}`)
  }
  for (const [key, theirParam] of theirParams) {
    const ourParam = ourParams.get(key)
    if (!ourParam) continue
    if (ourParam.required !== theirParam.required) differ(`${where}.parameters.${key}.required`, 'differs')
    compareSchema(`${where}.parameters.${key}`, ourParam.schema as Json, theirParam.schema as Json)
  }
  const ourBody = ours.requestBody as Json | undefined
  const theirBody = theirs.requestBody as Json | undefined
  if (Boolean(ourBody) !== Boolean(theirBody)) differ(`${where}.requestBody`, 'presence differs')
  if (ourBody && theirBody) {
    if (Boolean(ourBody.required) !== Boolean(theirBody.required)) differ(`${where}.requestBody.required`, 'differs')
    compareSchema(`${where}.requestBody`, jsonSchemaOf(ourBody), jsonSchemaOf(theirBody))
  }
  const ourResponses = (ours.responses ?? {}) as Record<string, Json>
  const theirResponses = (theirs.responses ?? {}) as Record<string, Json>
  if (!same(Object.keys(ourResponses).sort(), Object.keys(theirResponses).sort())) {
    differ(`${where}.responses`, `${Object.keys(ourResponses)} ≠ ${Object.keys(theirResponses)}`)
  }
  for (const [status, theirResponse] of Object.entries(theirResponses)) {
    const ourResponse = ourResponses[status]
    if (!ourResponse) continue
    if (ourResponse.description !== theirResponse.description) differ(`${where}.${status}.description`, 'differs')
    if (!same(Object.keys((ourResponse.headers ?? {}) as Json), Object.keys((theirResponse.headers ?? {}) as Json))) {
      differ(`${where}.${status}.headers`, 'differ')
    }
    compareSchema(`${where}.${status}`, jsonSchemaOf(ourResponse), jsonSchemaOf(theirResponse))
  }
}

async function main() {
  if (!existsSync(reposSpecPath) || !existsSync(fullSpecPath)) {
    console.error(`upstream spec not found in ${upstreamDir}`)
    process.exit(1)
  }
  const ours = (await dereference(
    parse(readFileSync(join(root, 'openapi/socket-repos-api.yml'), 'utf8'), { merge: true }),
  )) as Json
  const repos = (await dereference(parse(readFileSync(reposSpecPath, 'utf8')))) as Json
  const full = (await dereference(JSON.parse(readFileSync(fullSpecPath, 'utf8')))) as Json
  const ourPaths = ours.paths as Record<string, Json>

  const targets: [string, string, Json][] = []
  for (const [path, item] of Object.entries(repos.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) targets.push([path, method, op as Json])
  }
  for (const path of ['/quota', '/organizations']) {
    targets.push([path, 'get', (full.paths as Record<string, Json>)[path]?.get as Json])
  }
  for (const [path, method, theirs] of targets) {
    const mine = ourPaths[path]?.[method] as Json | undefined
    if (!mine) {
      differ(`${method.toUpperCase()} ${path}`, 'operation missing')
      continue
    }
    compareOperation(`${method.toUpperCase()} ${path}`, mine, theirs)
  }
  const ourOperations = Object.values(ourPaths).reduce((n, item) => n + Object.keys(item).length, 0)
  if (ourOperations !== targets.length) differ('paths', `${ourOperations} operations ≠ ${targets.length}`)

  const unexplained = differences.filter((d) => !deviations.some((dev) => dev.where.test(d.where)))
  const explained = differences.length - unexplained.length
  const usedDeviations = deviations.filter((dev) => differences.some((d) => dev.where.test(d.where)))
  for (const dev of usedDeviations) console.log(`deviation (documented): ${dev.why}`)
  for (const d of unexplained) console.log(`DIFFERENCE ${d.where}: ${d.what}`)
  console.log(
    `${targets.length} operations compared, ${explained} differences covered by ${usedDeviations.length} documented deviations, ${unexplained.length} unexplained`,
  )
  process.exit(unexplained.length > 0 ? 1 : 0)
}

await main()
