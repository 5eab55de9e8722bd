import pg from 'pg'
import { isRetryable, isUnavailableError } from './errors.js'

export {
  isCheckViolation,
  isForeignKeyViolation,
  isIdsExhausted,
  isUnavailableError,
  isUniqueViolation,
  violatedConstraint,
} from './errors.js'

/** A pool, or one of its clients inside a transaction: whatever runs a query. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>

export interface PoolOptions {
  /** `postgres://user@host:port/database`; `?options=-c search_path=…` selects a schema. */
  url: string
  /** Connections this process opens at most. */
  max: number
  /**
   * PostgreSQL's `statement_timeout`, and how long a query may wait for a pooled connection or for
   * its answer before it fails as unavailable (a 503): no request hangs on a database that is gone.
   */
  statementTimeoutMs: number
}

// int8 (ids, epoch milliseconds, counts) as JavaScript numbers: every id and time the server stores
// is at most 2^53 − 1 (a CHECK on every id column), so none is rounded.
const types = new pg.TypeOverrides()
types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

/** The pool of one process; an idle connection that PostgreSQL drops is replaced on the next query. */
export function openPool({ url, max, statementTimeoutMs }: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    statement_timeout: statementTimeoutMs,
    // The client side of the same bound: a connection that stops answering (a restart, a network
    // partition) fails the query a moment after the server would have cancelled it.
    query_timeout: statementTimeoutMs + 1000,
    connectionTimeoutMillis: statementTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'socket-repos-server',
  })
  // An idle connection that the server closes (a restart) emits here; without a listener it would
  // crash the process. The pool has already dropped it, and the next query opens a new one.
  pool.on('error', () => {})
  return pool
}

/** The rows of one query; `name` makes it a prepared statement, parsed once per connection. */
export async function rows<R>(q: Queryable, text: string, values: unknown[] = [], name?: string): Promise<R[]> {
  const result = await q.query<R & pg.QueryResultRow>(name ? { name, text, values } : { text, values })
  return result.rows
}

/** The first row of one query, or undefined. */
export async function row<R>(
  q: Queryable,
  text: string,
  values: unknown[] = [],
  name?: string,
): Promise<R | undefined> {
  return (await rows<R>(q, text, values, name))[0]
}

/**
 * Whether any of `values` is a string holding U+0000, which PostgreSQL text cannot hold (SQLite's
 * can): no stored value equals it, so a lookup by it names nothing, and must answer so without
 * sending it, which PostgreSQL would refuse (22021, a 500). The field rules keep it out of writes
 * (docs/text-validation.md).
 */
export function holdsNul(...values: unknown[]): boolean {
  return values.some((value) => typeof value === 'string' && value.includes('\u0000'))
}

const RETRIES = 3

/**
 * Runs `work` in one transaction (READ COMMITTED) on a connection of its own, and commits. A
 * deadlock or a serialization failure rolls back and runs `work` again (at most RETRIES times):
 * `work` must do nothing but queries through the client it is given.
 */
export async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect()
    let broken: unknown
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      broken = isUnavailableError(error) ? error : undefined
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError
      })
      if (attempt < RETRIES && isRetryable(error)) continue
      throw error
    } finally {
      // A connection that failed mid-transaction is not given back to the pool.
      client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true)
    }
  }
}
