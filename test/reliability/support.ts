import type Database from 'better-sqlite3'

/** Shared pieces of the reliability suites (test/reliability/*.test.ts). */

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
    snapshot[table] = JSON.stringify(prepared(sqlite, query).all())
  }
  return snapshot
}

// The fuzz suite snapshots after every request: statements are prepared once per database.
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>()
function prepared(sqlite: Database.Database, query: string): Database.Statement {
  const byQuery = statements.get(sqlite) ?? new Map<string, Database.Statement>()
  statements.set(sqlite, byQuery)
  const statement = byQuery.get(query) ?? sqlite.prepare(query).raw(true)
  byQuery.set(query, statement)
  return statement
}

/** Tables whose content differs between two snapshots. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((table) => before[table] !== after[table])
}

/** How many of each value (e.g. status codes). */
export function tally<K extends string | number>(values: K[]): Record<K, number> {
  const counts = {} as Record<K, number>
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}
