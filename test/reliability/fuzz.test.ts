import type Database from 'better-sqlite3'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { testConfig } from '../../src/config.js'
import type { SqliteDatabase } from '../../src/db/index.js'
import type { Services } from '../../src/services/index.js'
import { openTestDb } from '../helpers/app.js'
import { installContractCheck } from '../helpers/contract.js'
import { type JsonSchema, type SpecOperation, type SpecParameter, specOperations } from './operations.js'
import { changedTables, socketErrorProblem, stateSnapshot } from './support.js'

/**
 * Hostile-input fuzzing, generated from openapi/socket-repos-api.yml with fast-check. For every
 * operation of the spec it builds requests from the operation's path, query and body schemas —
 * and breaks them: wrong types, missing and extra fields, huge strings (up to ~100 KB, and now and
 * then a body over the 1 MiB limit), Unicode, NUL and control characters, lone surrogates, SQL and
 * path-traversal strings in path, query and body, deep nesting, malformed JSON and bytes that are
 * not UTF-8, wrong content types, broken Basic credentials and repeated query parameters — mixed
 * with valid requests, so the state they meet is not trivial.
 *
 * Every response must hold:
 * - no 5xx, ever;
 * - every 4xx carries Socket's error body `{"error":{"message":string,"details":object|null}}`
 *   (HEAD answers carry no body by definition and are exempt);
 * - a rejected request (any status ≥ 300) and any GET/HEAD leave the database as it was: every row
 *   of orgs, tokens, repos, labels, repo_labels and sqlite_sequence is compared, through SQL,
 *   before and after. Only the tokens' quota bookkeeping (quota_used, window_started_at,
 *   last_used_at) is left out: a request refused after the quota step spends quota, as on Socket
 *   (docs/auth-and-scopes.md).
 *
 * Besides, every operation that takes a body or an integer query parameter is sent valid requests
 * with one poisoned value (issue 10): a non-finite number (`1e309`) anywhere, a lone surrogate in
 * any string or key, a control character in a name, slug, workspace or description, or a query
 * integer beyond 2^53 − 1. Each must be refused with a 4xx and change nothing.
 *
 * Failures are collected per operation and kind, not thrown at the first one, so one run reports
 * every class of problem with a reproducing example. FUZZ_SEED reproduces a run, FUZZ_RUNS sets
 * the requests per operation (default 600: ≥ 10,000 requests in all).
 */

const SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2_147_483_647 : Number(process.env.FUZZ_SEED)
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 600)
const CHAOS_RUNS = Math.ceil(RUNS_PER_OPERATION * 1.5)
const RESEED_EVERY = 250
/** A few seconds each on an idle machine; some seeds generate many megabyte bodies, and the machine may be loaded. */
const FUZZ_TIMEOUT_MS = 180_000
/** One seed per operation, derived from the run's seed and the operationId. */
const seedOf = (name: string) => [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, SEED)
const BODY_LIMIT = 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Requests as plain data (what fast-check generates), resolved against the current state when sent

/** A reference to something that exists when the request is sent (the i-th of its kind, modulo). */
interface Ref {
  $ref: 'repoSlug' | 'repoId' | 'labelId' | 'labelName' | 'workspace' | 'otherRepoSlug' | 'otherRepoId' | 'otherLabelId'
  i: number
}
/** A nesting `depth` levels deep, rendered as text (JSON.stringify in the test would overflow too). */
interface Deep {
  $deep: number
  array: boolean
}
type Str = string | Ref

type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; hex: string }
  | { kind: 'oversize'; size: number; valid: boolean }

interface Draft {
  operationId: string
  method: string
  /** Path template under /v0, `{name}` placeholders. */
  path: string
  /** The path is not under /v0 (chaos only). */
  absolute?: boolean
  pathParams: Record<string, { value: Str; raw: boolean }>
  query: [string, Str | Str[]][]
  rawQuery: string | null
  auth: number
  contentType: string | null
  body: Body
}

const isRef = (value: unknown): value is Ref => typeof value === 'object' && value !== null && '$ref' in value
const isDeep = (value: unknown): value is Deep => typeof value === 'object' && value !== null && '$deep' in value
const ref = (kind: Ref['$ref']) => fc.nat(1000).map((i): Ref => ({ $ref: kind, i }))

// ---------------------------------------------------------------------------------------------
// Hostile values

const SQL = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '"; DROP TABLE repos; --',
  '1; DELETE FROM tokens',
  "x' UNION SELECT token_hash, 1, 1 FROM tokens --",
  "' || (SELECT group_concat(slug) FROM orgs) || '",
  "'); ATTACH DATABASE '/tmp/pwn.db' AS pwn; --",
  '1 AND 1=0',
  "x' COLLATE NOCASE --",
  '%',
  '_',
  '%_%',
  "\\'",
  ':slug',
  '?',
  '$1',
  '@org',
  'NULL',
  'CHAR(0)',
]
const TRAVERSAL = [
  '../',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  '....//....//',
  '%2e%2e%2f',
  '..%2f',
  '%252e%252e%252f',
  '/',
  '//',
  '\\',
  'C:\\',
  'file:///etc/passwd',
  '~/.ssh/id_rsa',
  '..;/',
  '/v0/orgs/other/repos',
  '.',
  '..',
]
const WEIRD = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uFEFF',
  '\u202E',
  '\u200B',
  '💥',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'é',
  'e\u0301',
  '\uD800',
  'a\uDFFFb',
  '\r\n',
  '\t',
  'null',
  'undefined',
  'NaN',
  '[object Object]',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '\u0024{7*7}', // a template placeholder
  '%s%s%s%n',
  '\\u0000',
  'true',
  '-0',
  '1e309',
  'labels',
  '__proto__',
  'constructor',
]
const hugeString = fc
  .record({
    length: fc.integer({ min: 1_000, max: 100_000 }),
    unit: fc.constantFrom('a', 'é', '💥', '\u0000', "'", '%', '/', 'ab', '\uD800'),
  })
  .map(({ length, unit }) => unit.repeat(Math.ceil(length / unit.length)))
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SQL, ...TRAVERSAL, ...WEIRD) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
  { weight: 1, arbitrary: hugeString },
)
const slugLike = fc.stringMatching(/^[A-Za-z0-9._-]{1,24}$/)
const numericStrings = fc.constantFrom(
  '0',
  '-1',
  '01',
  '1.0',
  '1e2',
  '101',
  '9999999999999999',
  '99999999999999999',
  '9007199254740993',
  '99999999999999999999999',
  ' 1',
  '1 ',
  '0x1',
  '+1',
  'NaN',
  'Infinity',
  '-0',
)
const deep = fc
  .record({
    $deep: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 20_000 })),
    array: fc.boolean(),
  })
  .map((d): Deep => d)
const extraKey = fc.oneof(
  fc.constantFrom(
    'orgSlug',
    'id',
    'created_at',
    'slug',
    'org_id',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '',
    ' ',
    'name ',
    'NAME',
    '\u0000',
    '💥',
    '$where',
    'name[0]',
    '../x',
    'a'.repeat(1000),
  ),
  fc.string({ maxLength: 12 }),
)
const scalarJunk = fc.oneof(
  fc.constantFrom<unknown>(0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, true, false, null, '', [], {}, [null], { a: 1 }),
  fc.integer(),
  fc.double(),
  hostileString,
)
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: scalarJunk },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deep },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      { constructor: { prototype: { polluted: true } } },
      Object.fromEntries([['__proto__', { polluted: true }]]),
    ),
  },
)

// ---------------------------------------------------------------------------------------------
// Values from the spec's schemas

function schemaType(schema: JsonSchema): string | undefined {
  return typeof schema.type === 'string' ? schema.type : undefined
}

function validValue(schema: JsonSchema, name: string): fc.Arbitrary<unknown> {
  let base: fc.Arbitrary<unknown>
  if (Array.isArray(schema.enum)) base = fc.constantFrom(...(schema.enum as unknown[]))
  else if (schemaType(schema) === 'string') {
    if (name === 'repository_id')
      base = fc.oneof({ weight: 6, arbitrary: ref('repoId') }, ref('otherRepoId'), numericStrings)
    else if (name === 'slug') base = fc.oneof({ weight: 3, arbitrary: slugLike }, ref('repoSlug'))
    else if (name === 'name')
      base = fc.oneof(
        { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
        ref('labelName'),
        ref('repoSlug'),
      )
    else if (name === 'workspace') base = fc.oneof(fc.constantFrom('', 'team', 'ops'), ref('workspace'), slugLike)
    else base = fc.string({ maxLength: 40 })
  } else if (schemaType(schema) === 'integer') {
    const min = typeof schema.minimum === 'number' ? schema.minimum : 0
    const max = typeof schema.maximum === 'number' ? schema.maximum : 10_000_000
    base = fc.integer({ min, max })
  } else if (schemaType(schema) === 'boolean') base = fc.boolean()
  else if (schemaType(schema) === 'object' && schema.properties && Object.keys(schema.properties).length > 0) {
    base = objectValue(schema, 'valid')
  } else if (schemaType(schema) === 'object' || schema.additionalProperties === true) {
    // Free-form (licensePolicy): any object is valid, a deeply nested one too.
    base = fc.oneof(
      {
        weight: 2,
        arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
      },
      { weight: 1, arbitrary: deep.map((d): Deep => ({ ...d, array: false })) },
    )
  } else base = fc.jsonValue({ maxDepth: 2 })
  return schema.nullable === true ? fc.oneof({ weight: 5, arbitrary: base }, fc.constant(null)) : base
}

function hostileValue(schema: JsonSchema, name: string): fc.Arbitrary<unknown> {
  const type = schemaType(schema)
  const specific: fc.Arbitrary<unknown>[] = [scalarJunk]
  if (type === 'string') {
    specific.push(hostileString, numericStrings, hugeString)
    if (Array.isArray(schema.enum)) {
      const values = schema.enum as string[]
      specific.push(fc.constantFrom(...values.flatMap((v) => [v.toUpperCase(), ` ${v}`, `${v}\u0000`, `${v}x`])))
    }
    if (name === 'repository_id' || name === 'slug') specific.push(ref('otherRepoId'), ref('otherRepoSlug'))
  } else if (type === 'integer') {
    specific.push(
      fc.constantFrom<unknown>(-1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 1e21, -0, '5', '0x10', Number.MAX_SAFE_INTEGER, 0),
    )
  } else if (type === 'boolean') specific.push(fc.constantFrom<unknown>('true', 'false', 0, 1, 'yes', 'null'))
  else if (type === 'object') {
    specific.push(deep, fc.array(anyJson, { maxLength: 3 }), anyJson, hugeString)
    if (schema.properties) specific.push(objectValue(schema, 'hostile'))
  }
  return fc.oneof(...specific)
}

/** An object for a schema: a random subset of its properties, valid or broken, plus stray ones. */
function objectValue(schema: JsonSchema, mode: 'valid' | 'mixed' | 'hostile'): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const names = Object.keys(properties)
  const field = (name: string): fc.Arbitrary<unknown> => {
    const property = properties[name] as JsonSchema
    if (mode === 'valid') return validValue(property, name)
    if (mode === 'hostile') return hostileValue(property, name)
    return fc.oneof(
      { weight: 3, arbitrary: validValue(property, name) },
      { weight: 2, arbitrary: hostileValue(property, name) },
    )
  }
  const extras =
    mode === 'valid'
      ? fc.constant<[string, unknown][]>([])
      : fc.oneof(
          { weight: 3, arbitrary: fc.constant<[string, unknown][]>([]) },
          { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, anyJson), { maxLength: 3 }) },
        )
  return fc
    .record({ chosen: fc.subarray(names, { maxLength: Math.min(names.length, 6) }), extras })
    .chain(({ chosen, extras }) =>
      fc
        .tuple(...chosen.map(field))
        .map((values) => Object.fromEntries([...chosen.map((name, i) => [name, values[i]]), ...extras])),
    )
}

const MALFORMED = [
  '{',
  '}',
  '{"name":',
  '{"name":"x"',
  '{"name":"x",}',
  "{'name':'x'}",
  '{name:"x"}',
  '{"name":"x"} trailing',
  '{"name":"x"}{"name":"y"}',
  '{"name":NaN}',
  '{"name":Infinity}',
  '{"name":undefined}',
  '{"name":"\u0000"}',
  '{"name":"a\\x41"}',
  '{"name":"\\ud800"}',
  '{"repository_id":"1","repository_id":"2"}',
  '/* comment */ {}',
  '[',
  '"unterminated',
  'nul',
  'tru',
  '01',
  '-',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '\uFEFF{}',
  '{"name":"x"}\u0000',
  '{"a":1e999999}',
  `{"name":"${'\\'.repeat(9999)}"}`,
  ' '.repeat(5000),
  '\n\t\r ',
]

/** A body for an operation, from its request-body schema. */
function bodyValue(op: SpecOperation): fc.Arbitrary<Body> {
  const json = (value: fc.Arbitrary<unknown>) => value.map((v): Body => ({ kind: 'json', value: v }))
  const truncated = objectValue(op.body?.schema ?? { type: 'object', properties: {} }, 'valid').chain((value) => {
    const text = JSON.stringify(value)
    return fc.nat(Math.max(0, text.length - 1)).map((cut): Body => ({ kind: 'text', text: text.slice(0, cut) }))
  })
  const broken = fc.oneof(
    fc.constantFrom(...MALFORMED).map((text): Body => ({ kind: 'text', text })),
    fc.string({ unit: 'binary', maxLength: 60 }).map((text): Body => ({ kind: 'text', text })),
    truncated,
    fc
      .constantFrom(
        '7b226e616d65223a22fffe227d', // {"name":"<ff fe>"}: not UTF-8
        '7b226e616d65223a22c0af227d', // overlong "/"
        '7b226e616d65223a22eda080227d', // a surrogate in UTF-8
        'fffe7b0022006e0061006d00650022003a0022007800220007d00', // UTF-16LE with a BOM
        '7b226e616d65223a22e9227d', // Latin-1 "é"
        '00000000',
      )
      .map((hex): Body => ({ kind: 'bytes', hex })),
  )
  const oversize = fc
    .record({ size: fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT + 200_000 }), valid: fc.boolean() })
    .map((o): Body => ({ kind: 'oversize', ...o }))
  if (!op.body) {
    return fc.oneof(
      { weight: 40, arbitrary: fc.constant<Body>({ kind: 'none' }) },
      { weight: 3, arbitrary: json(fc.oneof(anyJson, objectValue({ type: 'object', properties: {} }, 'mixed'))) },
      { weight: 3, arbitrary: broken },
      { weight: 1, arbitrary: oversize },
    )
  }
  return fc.oneof(
    { weight: 40, arbitrary: json(objectValue(op.body.schema, 'mixed')) },
    { weight: 20, arbitrary: json(objectValue(op.body.schema, 'valid')) },
    { weight: 6, arbitrary: json(fc.oneof(scalarJunk, fc.array(anyJson, { maxLength: 3 }), deep)) },
    { weight: 10, arbitrary: broken },
    { weight: 4, arbitrary: fc.constantFrom<Body>({ kind: 'none' }, { kind: 'text', text: '' }) },
    { weight: 1, arbitrary: oversize },
  )
}

/** Stands for a number literal JSON.stringify cannot write (it writes null for Infinity); `render` puts the literal back. */
const NON_FINITE = (literal: string) => `\ue000literal:${literal}\ue000`
const nonFinite = fc.constantFrom('1e309', '-1e309', '1e999', '-123e4567').map(NON_FINITE)
const loneSurrogate = fc.constantFrom('s\ud800', 's\ud801', '\udc00', 'a\udfffb', '\ud83d')
/** Control characters no name, slug or workspace — nor a description, tab and line breaks aside — may hold. */
const controlText = fc.constantFrom('\u0000', 'x\u0000a', 'a\u0007', '\u001b[31m', 'x\u007f', 'a\u0008b', 'a\u000bb')
/** …and those a description may hold, but no name, slug or workspace. */
const lineBreaks = fc.constantFrom('x\r\nSet-Cookie: a=b', 'a\tb', 'a\nb')
const ONE_LINE_FIELDS = new Set(['name', 'slug', 'workspace', 'homepage', 'default_branch'])

/**
 * A request an operation would take, but for one value no field may hold (issue 10): a non-finite
 * number anywhere, a lone surrogate in any string or key, a control character in a name, slug,
 * workspace or description. It must be refused (4xx) and change nothing. Query parameters: an
 * integer that is not finite or beyond 2^53 − 1.
 */
function poisonedDraft(op: SpecOperation): fc.Arbitrary<Draft> {
  const properties = (op.body?.schema.properties ?? {}) as Record<string, JsonSchema>
  const strings = Object.keys(properties).filter((name) => schemaType(properties[name] as JsonSchema) === 'string')
  const textPoison = (name: string) =>
    ONE_LINE_FIELDS.has(name) ? fc.oneof(loneSurrogate, controlText, lineBreaks) : fc.oneof(loneSurrogate, controlText)
  const target = fc.oneof(
    // any property, or one the schema does not know: a non-finite number
    fc.tuple(fc.constantFrom(...Object.keys(properties), 'extra'), nonFinite),
    // a string property: bad text
    ...(strings.length > 0
      ? [fc.constantFrom(...strings).chain((name) => fc.tuple(fc.constant(name), textPoison(name)))]
      : []),
    // deep in a free-form value, or as a key
    fc.tuple(
      fc.constant(Object.keys(properties).includes('licensePolicy') ? 'licensePolicy' : 'extra'),
      fc.oneof(
        fc
          .oneof(nonFinite, loneSurrogate)
          .chain((bad) => fc.constantFrom<unknown>({ allow: [bad] }, { nested: { deeper: bad } })),
        loneSurrogate.map((bad) => ({ [bad]: 1 })),
      ),
    ),
  )
  const integerQuery = op.parameters.filter((p) => p.in === 'query' && schemaType(p.schema) === 'integer')
  const badQuery = integerQuery.length
    ? fc.tuple(
        fc.constantFrom(...integerQuery.map((p) => p.name)),
        fc.constantFrom('1e309', '-1e309', 'Infinity', '1e300', '9007199254740992', '9007199254740993'),
      )
    : fc.constant(undefined)
  return (
    fc
      .record({
        draft: draftFor(op),
        body: objectValue(op.body?.schema ?? { type: 'object', properties: {} }, 'valid'),
        target,
        badQuery,
        inQuery: integerQuery.length && op.body ? fc.boolean() : fc.constant(integerQuery.length > 0),
      })
      .map(({ draft, body, target: [name, bad], badQuery, inQuery }): Draft => {
        const valid = {
          ...draft,
          method: op.method,
          auth: 0,
          rawQuery: null,
          contentType: 'application/json',
          query: draft.query.filter(([key]) => !integerQuery.some((p) => p.name === key)),
        }
        if (inQuery && badQuery) return { ...valid, query: [...valid.query, badQuery], body: { kind: 'none' } }
        return { ...valid, body: { kind: 'json', value: { ...body, [name]: bad } } }
      })
      // `POST …/repos/labels` is createOrgRepoLabel, not updateOrgRepo of a repo slugged "labels"
      // (a reserved slug): that route drops the repo fields the poison was put in.
      .filter((draft) => draft.pathParams.repo_slug?.value !== 'labels')
  )
}

const CONTENT_TYPES_ODD = [
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json;;;',
  'application/json; boundary=x',
]
const CONTENT_TYPES_WRONG = [
  null,
  '',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/json-patch+json',
  'application/vnd.api+json',
  '*/*',
  'application/*',
  'application',
  '/',
  ';',
  'application/jsonx',
  'json',
  'application/octet-stream',
  'application/yaml',
  'text/yaml',
]
const contentType = fc.oneof(
  { weight: 16, arbitrary: fc.constant<string | null>('application/json') },
  { weight: 3, arbitrary: fc.constantFrom<string | null>(...CONTENT_TYPES_ODD) },
  { weight: 3, arbitrary: fc.constantFrom<string | null>(...CONTENT_TYPES_WRONG) },
)

/** Percent-encodings and segments a URL builder would never produce, sent as they are. */
const RAW_SEGMENTS = [
  '%zz',
  '%E0%A4%A',
  '%',
  '..',
  '.',
  '%2e%2e',
  '..%2f..%2fetc%2fpasswd',
  'a%2Fb',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%25',
  'a%20b',
  '%3Bdrop',
  '%FF',
]

function pathValue(param: SpecParameter): fc.Arbitrary<{ value: Str; raw: boolean }> {
  const encoded = (value: fc.Arbitrary<Str>) => value.map((v) => ({ value: v, raw: false }))
  const raw = fc.constantFrom(...RAW_SEGMENTS).map((v) => ({ value: v, raw: true }))
  if (param.name === 'org_slug') {
    return fc.oneof(
      { weight: 40, arbitrary: encoded(fc.constant('acme')) },
      { weight: 2, arbitrary: encoded(fc.constantFrom('other', 'ACME', 'acme ', 'nobody')) },
      { weight: 2, arbitrary: encoded(hostileString) },
      { weight: 1, arbitrary: raw },
    )
  }
  if (param.name === 'diff_scan_id') {
    return fc.oneof(
      { weight: 10, arbitrary: encoded(fc.uuid()) },
      { weight: 3, arbitrary: encoded(numericStrings) },
      { weight: 4, arbitrary: encoded(hostileString) },
      { weight: 1, arbitrary: raw },
    )
  }
  if (param.name === 'label_id') {
    return fc.oneof(
      { weight: 20, arbitrary: encoded(ref('labelId')) },
      { weight: 2, arbitrary: encoded(ref('otherLabelId')) },
      { weight: 3, arbitrary: encoded(numericStrings) },
      { weight: 4, arbitrary: encoded(hostileString) },
      { weight: 1, arbitrary: raw },
    )
  }
  return fc.oneof(
    { weight: 20, arbitrary: encoded(ref('repoSlug')) },
    { weight: 3, arbitrary: encoded(slugLike) },
    { weight: 2, arbitrary: encoded(ref('otherRepoSlug')) },
    { weight: 4, arbitrary: encoded(hostileString) },
    { weight: 1, arbitrary: encoded(fc.constantFrom('labels', 'a'.repeat(100), 'a'.repeat(101))) },
    { weight: 1, arbitrary: raw },
  )
}

function validQueryValue(param: SpecParameter): fc.Arbitrary<Str> {
  const schema = param.schema
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as string[]))
  if (param.name === 'setting_key')
    return fc.constantFrom('issueRules', 'issueRulesPolicyDefault', 'licensePolicy', 'recentlyPublishedThresholdMs')
  if (param.name === 'on_duplicate') return fc.constantFrom('redirect', 'error', 'REDIRECT')
  if (param.name === 'workspace') return fc.oneof(fc.constantFrom('', 'team', 'ops'), ref('workspace'))
  if (schemaType(schema) === 'boolean') return fc.constantFrom('true', 'false')
  if (schemaType(schema) === 'integer') {
    const min = typeof schema.minimum === 'number' ? schema.minimum : 0
    const max = typeof schema.maximum === 'number' ? schema.maximum : 50
    return fc.integer({ min: Math.max(0, min - 1), max: Math.min(max, 50) }).map(String)
  }
  return fc.string({ maxLength: 20 })
}

function queryValue(param: SpecParameter): fc.Arbitrary<Str | Str[]> {
  return fc.oneof(
    { weight: 12, arbitrary: validQueryValue(param) },
    { weight: 2, arbitrary: hostileString },
    { weight: 2, arbitrary: numericStrings },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '[]', '{}', 'null', 'true') },
    { weight: 1, arbitrary: fc.array(validQueryValue(param), { minLength: 2, maxLength: 3 }) },
  )
}

const RAW_QUERIES = [
  '%zz',
  '%',
  '&&&',
  '==',
  'a=%E0%A4%A',
  '%00=%00',
  '+=+',
  ';',
  'a[b]=c',
  'page[]=1',
  'per_page=1&per_page=2',
  'page=1&page=2',
  'setting_key=issueRules&setting_key=licensePolicy',
  '__proto__[polluted]=1',
  'constructor[prototype][polluted]=1',
  `x=${'y'.repeat(50_000)}`,
]

/** Authorization headers: mostly valid, sometimes broken in every way docs/auth-and-scopes.md lists. */
const AUTH_VARIANTS = [
  'bearer',
  'basic',
  'bearer-lower',
  'basic-password',
  'none',
  'scheme-only',
  'basic-broken',
  'basic-empty-user',
  'basic-token-as-password',
  'other-org',
  'limited-scope',
  'zero-quota',
  'revoked',
  'garbage',
  'basic-not-utf8',
  'basic-bad-length',
  'basic-unpadded',
] as const
const auth = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(0, 0, 0, 1, 2, 3) },
  { weight: 4, arbitrary: fc.integer({ min: 4, max: AUTH_VARIANTS.length - 1 }) },
)

function draftFor(op: SpecOperation): fc.Arbitrary<Draft> {
  const pathParams = op.parameters.filter((p) => p.in === 'path')
  const queryParams = op.parameters.filter((p) => p.in === 'query')
  return fc
    .record({
      method: fc.oneof(
        { weight: 40, arbitrary: fc.constant(op.method as string) },
        { weight: 1, arbitrary: fc.constantFrom('PATCH', 'OPTIONS', 'HEAD', 'PUT', 'DELETE', 'POST', 'GET') },
      ),
      pathValues: fc.tuple(...pathParams.map(pathValue)),
      queryValues: fc.tuple(...queryParams.map((p) => fc.option(queryValue(p), { nil: undefined, freq: 2 }))),
      extraQuery: fc.oneof(
        { weight: 4, arbitrary: fc.constant<[string, Str][]>([]) },
        { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, hostileString), { maxLength: 3 }) },
      ),
      rawQuery: fc.option(fc.constantFrom(...RAW_QUERIES), { nil: null, freq: 10 }),
      auth,
      contentType,
      body: bodyValue(op),
    })
    .map(
      ({ method, pathValues, queryValues, extraQuery, rawQuery, auth, contentType, body }): Draft => ({
        operationId: op.operationId,
        method,
        path: op.path,
        pathParams: Object.fromEntries(
          pathParams.map((p, i) => [p.name, pathValues[i] as { value: Str; raw: boolean }]),
        ),
        query: [
          ...queryParams.flatMap((p, i): [string, Str | Str[]][] => {
            const value = queryValues[i]
            return value === undefined ? [] : [[p.name, value]]
          }),
          ...extraQuery,
        ],
        rawQuery,
        auth,
        // A body-less request mostly goes without a content type; one with a body mostly with JSON's.
        contentType: body.kind === 'none' && contentType === 'application/json' ? null : contentType,
        body,
      }),
    )
}

// ---------------------------------------------------------------------------------------------
// The app under test and its state

interface World {
  repos: { slug: string; id: string; workspace: string }[]
  labels: { id: string; name: string }[]
  otherRepos: { slug: string; id: string }[]
  otherLabels: { id: string }[]
}

interface Problem {
  count: number
  example: string
}

describe('fuzzing every operation of the spec', () => {
  let db: SqliteDatabase
  let app: FastifyInstance
  let services: Services
  const logs: string[] = []
  const tokens: Record<(typeof AUTH_VARIANTS)[number], string> = {} as never
  let acmeId = 0
  let otherId = 0
  let sent = 0
  let sinceReseed = 0
  let snapshot: Record<string, string> = {}
  let changesAtSnapshot = 0
  let changesQuery: Database.Statement | undefined
  /** Rows inserted, updated or deleted through the app's connection so far. */
  const totalChanges = () => {
    changesQuery ??= db.db.$client.prepare('SELECT total_changes()').pluck()
    return changesQuery.get() as number
  }
  /** Which test's world this is: each test builds its own. */
  let generation = 0
  const problems = new Map<string, Problem>()
  const statuses = new Map<string, Record<number, number>>()

  // Each test fuzzes a world of its own: a fresh database and app, both orgs seeded, nothing counted yet.
  beforeEach(async () => {
    db = openTestDb({ path: ':memory:' })
    generation++
    worldQueries = undefined
    changesQuery = undefined
    logs.length = 0
    sent = 0
    problems.clear()
    statuses.clear()
    app = await buildApp({
      config: testConfig({ logLevel: 'error', bodyLimit: BODY_LIMIT }),
      db,
      logStream: { write: (line: string) => void logs.push(line) },
    })
    installContractCheck(app)
    await app.ready()
    services = app.services
    const changesBefore = totalChanges()
    acmeId = Number((await services.orgs.create({ slug: 'acme' })).id)
    otherId = Number((await services.orgs.create({ slug: 'other' })).id)
    // The app writes through this one connection: fire() relies on it to skip unchanged snapshots.
    expect(totalChanges()).toBeGreaterThan(changesBefore)
    await reseed()
    return async () => {
      await app.close()
      db.db.$client.close()
    }
  })

  /** Puts both orgs back in a known, non-trivial state (fuzzed deletes and renames wear it down). */
  async function reseed() {
    const sqlite = db.db.$client
    // Fresh tokens each time: a fuzzed rotate or revoke (api-tokens, or the SDK's /tokens/{id} paths)
    // may have hit one of these by its id, and every later request would then be a 401.
    const issue = async (orgSlug: string, maxQuota = 1_000_000_000, scopes?: string[]) =>
      (await services.tokens.issue({ orgSlug, maxQuota, ...(scopes ? { scopes } : {}) })).secret
    tokens.bearer = await issue('acme')
    tokens['other-org'] = await issue('other')
    tokens['limited-scope'] = await issue('acme', 1_000_000_000, ['repo:list', 'repo-label:list'])
    tokens['zero-quota'] = await issue('acme', 0)
    const revoked = await services.tokens.issue({ orgSlug: 'acme' })
    await services.tokens.revoke(revoked.token.id)
    tokens.revoked = revoked.secret
    sqlite.prepare('DELETE FROM repos').run()
    sqlite.prepare('DELETE FROM labels').run()
    const repo = async (org: number, slug: string, extra: Record<string, unknown> = {}) =>
      (await services.repos.create(String(org), { slug, ...extra }, { returnExisting: false })).repo
    const web = await repo(acmeId, 'web', { description: 'Storefront', homepage: 'https://example.com' })
    await repo(acmeId, 'api', { workspace: 'team' })
    await repo(acmeId, 'api', { workspace: 'ops' }) // the same slug in two workspaces: ambiguous without one
    await repo(acmeId, 'old', { archived: true, visibility: 'public' })
    const prod = await services.labels.create(String(acmeId), 'prod')
    await services.labels.create(String(acmeId), 'dev')
    await services.labels.associate(String(acmeId), prod.id, web.id)
    await services.labels.updateSettings(String(acmeId), prod.id, {
      issueRulesPolicyDefault: 'high',
      issueRules: { malware: { action: 'error' } },
      licensePolicy: { allow: ['MIT'] },
    })
    const theirs = await repo(otherId, 'their-repo')
    const theirLabel = await services.labels.create(String(otherId), 'their-label')
    await services.labels.associate(String(otherId), theirLabel.id, theirs.id)
    sinceReseed = 0
    snapshot = stateSnapshot(db.db.$client)
    changesAtSnapshot = totalChanges()
  }

  /** What the generated references can point at now (the statements are prepared once per database). */
  let worldQueries: Record<keyof World, Database.Statement> | undefined
  function world(): World {
    const sqlite = db.db.$client
    worldQueries ??= {
      repos: sqlite.prepare('SELECT slug, CAST(id AS TEXT) AS id, workspace FROM repos WHERE org_id = ? ORDER BY id'),
      labels: sqlite.prepare('SELECT CAST(id AS TEXT) AS id, name FROM labels WHERE org_id = ? ORDER BY id'),
      otherRepos: sqlite.prepare('SELECT slug, CAST(id AS TEXT) AS id FROM repos WHERE org_id = ? ORDER BY id'),
      otherLabels: sqlite.prepare('SELECT CAST(id AS TEXT) AS id FROM labels WHERE org_id = ? ORDER BY id'),
    }
    return {
      repos: worldQueries.repos.all(acmeId) as World['repos'],
      labels: worldQueries.labels.all(acmeId) as World['labels'],
      otherRepos: worldQueries.otherRepos.all(otherId) as World['otherRepos'],
      otherLabels: worldQueries.otherLabels.all(otherId) as World['otherLabels'],
    }
  }

  function resolve(value: Str, w: World): string {
    if (typeof value === 'string') return value
    const pick = <T>(list: T[], fallback: T): T => (list.length === 0 ? fallback : (list[value.i % list.length] as T))
    switch (value.$ref) {
      case 'repoSlug':
        return pick(w.repos, { slug: 'gone', id: '0', workspace: '' }).slug
      case 'repoId':
        return pick(w.repos, { slug: 'gone', id: '999999', workspace: '' }).id
      case 'workspace':
        return pick(w.repos, { slug: 'gone', id: '0', workspace: 'gone' }).workspace
      case 'labelId':
        return pick(w.labels, { id: '999999', name: 'gone' }).id
      case 'labelName':
        return pick(w.labels, { id: '0', name: 'gone' }).name
      case 'otherRepoSlug':
        return pick(w.otherRepos, { slug: 'gone', id: '0' }).slug
      case 'otherRepoId':
        return pick(w.otherRepos, { slug: 'gone', id: '999998' }).id
      case 'otherLabelId':
        return pick(w.otherLabels, { id: '999997' }).id
    }
  }

  /** JSON text of a generated value: references resolved, deep nestings written out. */
  function render(value: unknown, w: World): string {
    if (isRef(value)) return JSON.stringify(resolve(value, w))
    if (isDeep(value)) {
      const [open, close] = value.array ? ['[', ']'] : ['{"a":', '}']
      return `${open.repeat(value.$deep)}1${close.repeat(value.$deep)}`
    }
    if (Array.isArray(value)) return `[${value.map((item) => render(item, w)).join(',')}]`
    if (value && typeof value === 'object') {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined)
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${render(v, w)}`).join(',')}}`
    }
    const literal = typeof value === 'string' ? /^\ue000literal:(.*)\ue000$/.exec(value)?.[1] : undefined
    if (literal !== undefined) return literal
    return JSON.stringify(value) ?? 'null'
  }

  function authorization(variant: (typeof AUTH_VARIANTS)[number]): string | undefined {
    const main = tokens.bearer
    const b64 = (text: string) => Buffer.from(text).toString('base64')
    switch (variant) {
      case 'bearer':
        return `Bearer ${main}`
      case 'basic':
        return `Basic ${b64(`${main}:`)}`
      case 'bearer-lower':
        return `bearer ${main}`
      case 'basic-password':
        return `Basic ${b64(`${main}:password`)}`
      case 'none':
        return undefined
      case 'scheme-only':
        return 'Bearer'
      case 'basic-broken':
        return 'Basic %%%=='
      case 'basic-empty-user':
        return `Basic ${b64(':password')}`
      case 'basic-token-as-password':
        return `Basic ${b64(`:${main}`)}`
      case 'garbage':
        return `Bearer ${'\u00ff'.repeat(40)}`
      case 'basic-not-utf8':
        return `Basic ${Buffer.from([0xc3, 0x28, 0xff, 0x3a]).toString('base64')}`
      case 'basic-bad-length':
        return `Basic ${b64(`${main}:`)}A`
      case 'basic-unpadded':
        return `Basic ${b64(`${main}:x`).replace(/=+$/, '')}`
      default:
        return `Bearer ${tokens[variant]}`
    }
  }

  /**
   * Percent-encodes the UTF-8 of a string, every byte but the unreserved characters of RFC 3986
   * (encodeURIComponent throws on a lone surrogate; a client that sends one anyway sends the UTF-8 of U+FFFD).
   */
  function encode(text: string): string {
    try {
      return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    } catch {
      // a lone surrogate: byte by byte below
    }
    let out = ''
    for (const byte of Buffer.from(text, 'utf8')) {
      const char = String.fromCharCode(byte)
      out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    }
    return out
  }

  function materialize(draft: Draft, w: World) {
    const url = `${draft.absolute ? '' : '/v0'}${draft.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      const param = draft.pathParams[name] ?? { value: '', raw: false }
      return param.raw ? String(param.value) : encode(resolve(param.value, w))
    })}`
    const pairs = draft.query.flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => `${encode(key)}=${encode(resolve(v, w))}`),
    )
    if (draft.rawQuery !== null) pairs.push(draft.rawQuery)
    const headers: Record<string, string> = {}
    const header = authorization(AUTH_VARIANTS[draft.auth] ?? 'bearer')
    if (header !== undefined) headers.authorization = header
    if (draft.contentType !== null) headers['content-type'] = draft.contentType
    let payload: string | Buffer | undefined
    const body = draft.body
    if (body.kind === 'json') payload = render(body.value, w)
    else if (body.kind === 'text') payload = body.text
    else if (body.kind === 'bytes') payload = Buffer.from(body.hex, 'hex')
    else if (body.kind === 'oversize') {
      payload = body.valid ? `{"name":"${'x'.repeat(body.size)}"}` : 'x'.repeat(body.size)
    }
    return {
      method: draft.method as 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS',
      url: pairs.length > 0 ? `${url}?${pairs.join('&')}` : url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    }
  }

  function describeRequest(request: ReturnType<typeof materialize>): string {
    const cut = (text: string, n: number) => (text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text)
    const payload =
      request.payload === undefined
        ? ''
        : Buffer.isBuffer(request.payload)
          ? ` bytes ${request.payload.toString('hex').slice(0, 120)}`
          : ` body ${JSON.stringify(cut(request.payload, 300))}`
    return `${request.method} ${cut(request.url, 300)} headers ${cut(JSON.stringify(request.headers), 300)}${payload}`
  }

  function record(kind: string, example: string) {
    const problem = problems.get(kind)
    if (problem) problem.count++
    else problems.set(kind, { count: 1, example })
  }

  /** The error the app logged while answering a 5xx, in one line. */
  function loggedCause(from: number): string {
    for (const line of logs.slice(from)) {
      try {
        const entry = JSON.parse(line) as { err?: { type?: string; message?: string; stack?: string } }
        if (entry.err) {
          const frame = entry.err.stack?.split('\n').find((l) => l.includes('/src/'))
          return `${entry.err.type}: ${entry.err.message}${frame ? ` ${frame.trim()}` : ''}`
        }
      } catch {
        // not JSON: ignore
      }
    }
    return 'nothing logged'
  }

  async function fire(draft: Draft, label: string): Promise<number> {
    // A property still running after its test timed out must not fire into the next test's world.
    const mine = generation
    const stillMine = () => {
      if (mine !== generation) throw new Error('the test of this request has ended')
    }
    let current = world()
    // Fuzzed deletes wear the state down; keep something to hit.
    if (sinceReseed >= RESEED_EVERY || current.repos.length < 3 || current.labels.length < 2) {
      await reseed()
      stillMine()
      current = world()
    }
    const request = materialize(draft, current)
    const logsBefore = logs.length
    const response = await app.inject(request)
    stillMine()
    sent++
    sinceReseed++
    const status = response.statusCode
    const counts = statuses.get(label) ?? {}
    counts[status] = (counts[status] ?? 0) + 1
    statuses.set(label, counts)
    // No row inserted, updated or deleted on the app's one connection since the last snapshot: nothing changed.
    const changes = totalChanges()
    const after = changes === changesAtSnapshot ? snapshot : stateSnapshot(db.db.$client)
    changesAtSnapshot = changes
    const message = (() => {
      try {
        return String((JSON.parse(response.body) as { error?: { message?: unknown } }).error?.message ?? '')
      } catch {
        return ''
      }
    })()
    // Variable parts (quoted values, numbers) out, so one kind of failure is one entry.
    const shape = message
      .replace(/"[^"]*"|'[^']*'/g, '"…"')
      .replace(/\d+/g, 'N')
      .slice(0, 120)
    if (status >= 500) {
      record(`${label}: ${status} — ${loggedCause(logsBefore).slice(0, 300)}`, describeRequest(request))
    }
    if (status >= 400 && status < 500 && request.method !== 'HEAD') {
      const problem = socketErrorProblem(response.body)
      if (problem) {
        record(`${label}: ${status} without Socket's error body — ${problem.slice(0, 120)}`, describeRequest(request))
      }
    }
    const changed = changedTables(snapshot, after)
    if (changed.length > 0 && (status >= 300 || request.method === 'GET' || request.method === 'HEAD')) {
      record(
        `${label}: ${request.method} answered ${status} (${shape}) yet changed ${changed.join(', ')}`,
        describeRequest(request),
      )
    }
    snapshot = after
    return status
  }

  function report(filter: (kind: string) => boolean): string[] {
    return [...problems]
      .filter(([kind]) => filter(kind))
      .map(([kind, { count, example }]) => `${kind}\n    ${count}× e.g. ${example}`)
  }

  const operations = specOperations()

  it('walks every operation of the spec: the 42 org operations (6 of them extensions), /quota, /organizations and /report/supported', () => {
    expect(operations).toHaveLength(45)
    expect(operations.filter((op) => op.path.startsWith('/orgs/{org_slug}'))).toHaveLength(42)
    // One scope each, except the effective-policy extension, which reads a repo and both policies, and a diff
    // scan from two scan ids, which creates a diff scan and reads the scans (Socket's two scopes).
    const scopeCounts: Record<string, number> = { getRepoEffectivePolicy: 3, createOrgDiffScanFromIds: 2 }
    for (const op of operations) {
      expect(op.scopes.length <= (scopeCounts[op.operationId] ?? 1), op.operationId).toBe(true)
    }
  })

  it.each(operations.map((op) => [op.operationId, op] as const))(
    '%s: no 5xx, only Socket error bodies, no change from a rejected request',
    async (operationId, op) => {
      await fc.assert(
        fc.asyncProperty(draftFor(op), async (draft) => {
          await fire(draft, operationId)
        }),
        { numRuns: RUNS_PER_OPERATION, seed: seedOf(operationId), endOnFailure: true },
      )
      const found = report((kind) => kind.startsWith(`${operationId}:`))
      expect(found, `FUZZ_SEED=${SEED} — ${operationId}: ${JSON.stringify(statuses.get(operationId))}`).toEqual([])
      expect(sent).toBe(RUNS_PER_OPERATION)
    },
    FUZZ_TIMEOUT_MS,
  )

  const poisonable = operations.filter(
    (op) => op.body || op.parameters.some((p) => p.in === 'query' && schemaType(p.schema) === 'integer'),
  )

  it.each(poisonable.map((op) => [op.operationId, op] as const))(
    '%s: a non-finite number, a lone surrogate or a control character is refused (4xx) and changes nothing',
    async (operationId, op) => {
      const label = `poisoned ${operationId}`
      await fc.assert(
        fc.asyncProperty(poisonedDraft(op), async (draft) => {
          const status = await fire(draft, label)
          if (status < 400 || status >= 500) {
            record(`${label}: answered ${status}`, describeRequest(materialize(draft, world())))
          }
        }),
        { numRuns: Math.ceil(RUNS_PER_OPERATION / 3), seed: seedOf(label), endOnFailure: true },
      )
      const found = report((kind) => kind.startsWith(`${label}:`))
      expect(found, `FUZZ_SEED=${SEED} — ${label}: ${JSON.stringify(statuses.get(label))}`).toEqual([])
      // The poison was tried, not lost on the way: most answers are the 400 of a refused value.
      expect(statuses.get(label)?.[400] ?? 0).toBeGreaterThan(Math.ceil(RUNS_PER_OPERATION / 3) / 4)
      expect(sent).toBe(Math.ceil(RUNS_PER_OPERATION / 3))
    },
    FUZZ_TIMEOUT_MS,
  )

  it(
    'chaos: any method on any path, a route or not — the same three rules',
    async () => {
      const junkPaths = [
        '/v0',
        '/v0/',
        '/v0/orgs',
        '/v0/orgs/{org_slug}',
        '/v0/orgs/{org_slug}/repos/labels/{label_id}/associate/extra',
        '/v0/../v0/orgs/{org_slug}/repos',
        '//v0/orgs/{org_slug}/repos',
        '/v0/orgs/{org_slug}/repos/labels/{label_id}/label-setting/x',
        '/v1/orgs/{org_slug}/repos',
        '/V0/orgs/{org_slug}/repos',
        '/v0/ORGS/{org_slug}/repos',
        '/v0/orgs/{org_slug}/repos/{repo_slug}/labels',
        '/v0/orgs/{org_slug}/repos/',
        '/v0/orgs/{org_slug}/repos/labels/',
        '/v0/quota/x',
        '/v0/organizations/{org_slug}',
        '/openapi.json',
        '/health',
        '/ready',
        '/docs/{repo_slug}',
        '/_admin/reset',
      ]
      const chaos = fc
        .record({
          op: fc.constantFrom(...operations),
          path: fc.option(fc.constantFrom(...junkPaths), { nil: undefined, freq: 2 }),
          method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
        })
        .chain(({ op, path, method }) =>
          draftFor(op).map((draft): Draft => {
            const pathParams = { ...draft.pathParams }
            pathParams.org_slug ??= { value: 'acme', raw: false }
            pathParams.repo_slug ??= { value: 'web', raw: false }
            pathParams.label_id ??= { value: { $ref: 'labelId', i: 0 }, raw: false }
            return path === undefined
              ? { ...draft, method, pathParams }
              : { ...draft, method, pathParams, path, absolute: true }
          }),
        )
      await fc.assert(
        fc.asyncProperty(chaos, async (draft) => {
          await fire(draft, 'chaos')
        }),
        { numRuns: CHAOS_RUNS, seed: SEED, endOnFailure: true },
      )
      expect(
        report((kind) => kind.startsWith('chaos:')),
        `FUZZ_SEED=${SEED}`,
      ).toEqual([])
      expect(sent).toBe(CHAOS_RUNS)
    },
    FUZZ_TIMEOUT_MS,
  )

  it('poisons every operation that takes a body or an integer query parameter', () => {
    expect(poisonable.map((op) => op.operationId).sort()).toEqual([
      'CreateOrgFullScan',
      'associateOrgRepoLabel',
      'createOrgRepo',
      'createOrgRepoLabel',
      'disassociateOrgRepoLabel',
      'getAPITokens',
      'getAPITokensSdkPath',
      'getAuditLogEvents',
      'getOrgFullScanList',
      'getOrgRepoLabelList',
      'getOrgRepoList',
      'listOrgDiffScans',
      'postAPIToken',
      'postAPITokenSdkPath',
      'postAPITokenUpdate',
      'postAPITokenUpdateSdkPath',
      'postAPITokensRevoke',
      'postAPITokensRotate',
      'updateOrgLicensePolicy',
      'updateOrgRepo',
      'updateOrgRepoLabel',
      'updateOrgRepoLabelSetting',
      'updateOrgSecurityPolicy',
    ])
  })

  it('sends at least 10,000 requests in all (with the default FUZZ_RUNS): each test above checks its own count', () => {
    const planned =
      operations.length * RUNS_PER_OPERATION + CHAOS_RUNS + poisonable.length * Math.ceil(RUNS_PER_OPERATION / 3)
    expect(planned).toBeGreaterThanOrEqual(operations.length * RUNS_PER_OPERATION + CHAOS_RUNS)
    if (process.env.FUZZ_RUNS === undefined) expect(planned).toBeGreaterThanOrEqual(10_000)
  })
})
