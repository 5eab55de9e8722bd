import { isForeignKeyViolation, isUnavailableError as isPgUnavailable } from './postgres/errors.js'
import type { PostgresDatabase } from './postgres/index.js'
import { isBusyError, isForeignKeyError as isSqliteForeignKeyError, openSqliteDatabase } from './sqlite/index.js'
import type { Database } from './types.js'

export type * from './models.js'
export { DatabaseOpenError, type Db, openSqliteDatabase, type SqliteDatabase } from './sqlite/index.js'
export type * from './types.js'
export type { PostgresDatabase }

/** Where the data lives: PostgreSQL when `url` is given, else the SQLite file at `path`. */
export interface DatabaseOptions {
  /** `postgres://…` or `postgresql://…`: the shared store of several instances. */
  url?: string | undefined
  /** The SQLite file (or `:memory:`), when there is no `url`. */
  path: string
  /** SQLite's `synchronous` level. */
  synchronous?: 'NORMAL' | 'FULL'
  /** PostgreSQL: connections of this process at most. */
  poolMax?: number
  /** PostgreSQL: statement timeout, and how long a query waits for a connection. */
  statementTimeoutMs?: number
}

/** Opens the configured engine's database (not yet migrated: call `migrate()`). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url === undefined) {
    return openSqliteDatabase({
      path: options.path,
      ...(options.synchronous ? { synchronous: options.synchronous } : {}),
    })
  }
  // The PostgreSQL repositories are loaded only by a process that uses them.
  const postgres = await import('./postgres/index.js')
  return postgres.openPostgresDatabase({
    url: options.url,
    max: options.poolMax ?? 10,
    statementTimeoutMs: options.statementTimeoutMs ?? 5000,
  })
}

/**
 * The database cannot serve the request now, and nothing was written: SQLite locked by another
 * process past its busy timeout, or PostgreSQL unreachable, restarting or too slow to answer.
 */
export function isUnavailableError(error: unknown): boolean {
  return isBusyError(error) || isPgUnavailable(error)
}

/** A write refused because the row it hangs from (its org) was deleted by another process. */
export function isForeignKeyError(error: unknown): boolean {
  return isSqliteForeignKeyError(error) || isForeignKeyViolation(error)
}
