/**
 * What a PostgreSQL error means, read from its SQLSTATE, network code or message. No import of `pg`:
 * `src/db/index.ts` classifies errors with these in every process, and only a process that uses
 * PostgreSQL loads the driver.
 */

export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  return typeof error.code === 'string' ? error.code : undefined
}

/** A deadlock or serialization failure: the transaction can run again as it is. */
export function isRetryable(error: unknown): boolean {
  const code = sqlState(error)
  return code === '40P01' || code === '40001'
}

const unavailableCodes = new Set([
  // Network: refused, reset, timed out, the host not found.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  // PostgreSQL: shutting down, starting up, too many connections, a statement past its timeout.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
])

const unavailableMessages = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Connection ended',
]

/**
 * Whether a query failed because PostgreSQL could not be reached or did not answer in time: a
 * restart, a network failure, the pool exhausted past the statement timeout. It is a 503 with
 * Retry-After; a write that failed so was not acknowledged.
 */
export function isUnavailableError(error: unknown): boolean {
  const code = sqlState(error)
  if (code !== undefined && (unavailableCodes.has(code) || code.startsWith('08'))) return true
  const message = error instanceof Error ? error.message : ''
  return unavailableMessages.some((text) => message.includes(text))
}

/** A row refused because its parent row is gone (another process deleted the org). */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === '23503'
}

/** A row refused by a unique index (or the primary key). */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505'
}

/** A row refused by a CHECK: on an id column, an id past 2^53 − 1 (ids.ts). */
export function isCheckViolation(error: unknown): boolean {
  return sqlState(error) === '23514'
}

/** The name of the constraint that refused a row, as PostgreSQL reports it (undefined: none). */
export function violatedConstraint(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'constraint' in error ? error.constraint : undefined
}

/**
 * The table whose id column refused an id past 2^53 − 1 (its `<table>_id_max` CHECK: no ids left,
 * ids.ts), if that is the error.
 */
export function exhaustedIdTable(error: unknown): string | undefined {
  const constraint = isCheckViolation(error) ? violatedConstraint(error) : undefined
  return typeof constraint === 'string' && constraint.endsWith('_id_max')
    ? constraint.slice(0, -'_id_max'.length)
    : undefined
}

/** No ids left in `table` (see exhaustedIdTable). */
export function isIdsExhausted(error: unknown, table: string): boolean {
  return exhaustedIdTable(error) === table
}
