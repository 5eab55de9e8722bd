import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'

/** Shared pieces of the reliability suites (test/reliability/*.test.ts). */

export interface TempDir {
  path: string
  file(name: string): string
  remove(): void
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `srs-rel-${prefix}-`))
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Why a body is not Socket's error body `{"error":{"message":string,"details":object|null}}`
 * (exactly those keys), or null when it is.
 */
export function socketErrorProblem(body: string): string | null {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return `not JSON: ${JSON.stringify(body.slice(0, 200))}`
  }
  if (!isPlainObject(parsed)) return `not an object: ${body.slice(0, 200)}`
  const top = Object.keys(parsed)
  if (top.length !== 1 || top[0] !== 'error') return `top-level keys [${top.join(', ')}]: ${body.slice(0, 200)}`
  const error = parsed.error
  if (!isPlainObject(error)) return `error is not an object: ${body.slice(0, 200)}`
  const keys = Object.keys(error).sort()
  if (keys.join(',') !== 'details,message') return `error keys [${keys.join(', ')}]: ${body.slice(0, 200)}`
  if (typeof error.message !== 'string') return 'error.message is not a string'
  if (error.details !== null && !isPlainObject(error.details)) return 'error.details is neither an object nor null'
  return null
}

/**
 * The API-visible state of the database, table by table, as canonical JSON text. The tokens
 * table leaves out its quota bookkeeping (`quota_used`, `window_started_at`, `last_used_at`):
 * a request that is rejected after the quota step legitimately spends quota (docs/quota.md).
 * `sqlite_sequence` is included, so a rejected insert may not even burn an id.
 */
export function stateSnapshot(sqlite: Database.Database, orgId?: number): Record<string, string> {
  const where = orgId === undefined ? '' : ` WHERE org_id = ${Number(orgId)}`
  const orgWhere = orgId === undefined ? '' : ` WHERE id = ${Number(orgId)}`
  const labelWhere =
    orgId === undefined ? '' : ` WHERE label_id IN (SELECT id FROM labels WHERE org_id = ${Number(orgId)})`
  const queries: Record<string, string> = {
    orgs: `SELECT * FROM orgs${orgWhere} ORDER BY id`,
    tokens: `SELECT id, org_id, name, token_hash, token_prefix, scopes, max_quota, created_at, revoked_at FROM tokens${where} ORDER BY id`,
    repos: `SELECT * FROM repos${where} ORDER BY id`,
    labels: `SELECT * FROM labels${where} ORDER BY id`,
    repo_labels: `SELECT * FROM repo_labels${labelWhere} ORDER BY label_id, repo_id`,
  }
  if (orgId === undefined) queries.sqlite_sequence = 'SELECT * FROM sqlite_sequence ORDER BY name'
  const snapshot: Record<string, string> = {}
  for (const [table, query] of Object.entries(queries)) {
    snapshot[table] = JSON.stringify(sqlite.prepare(query).raw(true).all())
  }
  return snapshot
}

/** Tables whose content differs between two snapshots. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((table) => before[table] !== after[table])
}

/** Listens on a free port of 127.0.0.1; resolves to `http://127.0.0.1:<port>`. */
export async function listen(app: FastifyInstance): Promise<{ origin: string; port: number }> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('not listening on a TCP port')
  return { origin: `http://127.0.0.1:${address.port}`, port: address.port }
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Sends bytes as they are over a fresh TCP connection (so a request can carry what fetch refuses
 * to send: two Authorization headers, raw UTF-8 in a header) and reads the answer until the
 * server closes the connection (the request should say `Connection: close`).
 */
export function rawHttp(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('raw HTTP request timed out'))
    }, timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (error) => {
      // The server may reset the connection after answering (e.g. a 431); what arrived still counts.
      if (chunks.length === 0) {
        clearTimeout(timer)
        reject(error)
      }
    })
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const head = split === -1 ? text : text.slice(0, split)
      const [statusLine = '', ...headerLines] = head.split('\r\n')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      let body = split === -1 ? '' : text.slice(split + 4)
      if (headers['transfer-encoding'] === 'chunked') body = dechunk(body)
      resolve({ status, headers, body })
    })
    socket.write(request)
  })
}

function dechunk(body: string): string {
  let out = ''
  let rest = body
  for (;;) {
    const lineEnd = rest.indexOf('\r\n')
    if (lineEnd === -1) return out
    const size = Number.parseInt(rest.slice(0, lineEnd), 16)
    if (!size) return out
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size)
    rest = rest.slice(lineEnd + 2 + size + 2)
  }
}

/** fetch with the redirect left alone (a 302 is an answer here, not something to follow). */
export async function call(
  origin: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${origin}${path}`, {
    method,
    headers,
    redirect: 'manual',
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) }
}

/** How many of each value (e.g. status codes). */
export function tally<K extends string | number>(values: K[]): Record<K, number> {
  const counts = {} as Record<K, number>
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}
