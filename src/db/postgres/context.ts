import type pg from 'pg'
import { type Queryable, transaction } from './client.js'
import { createDataVersions, type PgDataVersions } from './data-versions.js'

/**
 * What a PostgreSQL repository runs its SQL through. Over the pool, `q` runs each statement on any
 * connection and `tx` opens a transaction; inside a transaction (a whole-state import), both are the
 * transaction's connection, so the same repository code writes into the enclosing transaction.
 */
export interface PgContext {
  q: Queryable
  tx<T>(work: (q: Queryable) => Promise<T>): Promise<T>
  versions: PgDataVersions
}

export function poolContext(pool: pg.Pool): PgContext {
  return { q: pool, tx: (work) => transaction(pool, work), versions: createDataVersions() }
}

/** The context of an open transaction: every statement and every "transaction" runs in it. */
export function transactionContext(client: pg.PoolClient): PgContext {
  return { q: client, tx: (work) => work(client), versions: createDataVersions() }
}
