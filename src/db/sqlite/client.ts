import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3'
import * as schema from './schema.js'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

export interface DbOptions {
  /** A file path, or `:memory:`. */
  path: string
  /** `synchronous` in WAL mode: NORMAL is durable across process crashes, FULL across power loss too. */
  synchronous?: 'NORMAL' | 'FULL'
  /** How long a write waits for another process's write lock before failing (SQLITE_BUSY). */
  busyTimeoutMs?: number
}

/** The database could not be opened or created at its path; the message says why, without a stack. */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError'
}

/**
 * Creates a folder and its missing parents one level at a time. Not `mkdirSync(…, {recursive})`:
 * under a pseudo-filesystem such as /proc, where mkdir fails with ENOENT below an existing folder,
 * Node's recursive mkdir retries forever.
 */
function createFolder(folder: string): void {
  if (existsSync(folder)) {
    if (!statSync(folder).isDirectory()) throw new DatabaseOpenError(`"${folder}" is not a folder`)
    return
  }
  const parent = dirname(folder)
  if (parent !== folder) createFolder(parent)
  try {
    mkdirSync(folder)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new DatabaseOpenError(`cannot create the folder "${folder}" (${code})`, { cause: error })
  }
}

/** Opens the SQLite database (creating its folder), in WAL mode with foreign keys enforced. */
export function openDb({ path, synchronous = 'NORMAL', busyTimeoutMs = 5000 }: DbOptions): Db {
  const inMemory = path === ':memory:' || path === ''
  let sqlite: Database.Database | undefined
  try {
    if (!inMemory) createFolder(dirname(path))
    sqlite = new Database(path)
    if (!inMemory) sqlite.pragma('journal_mode = WAL')
    sqlite.pragma(`synchronous = ${synchronous}`)
    sqlite.pragma('foreign_keys = ON')
    // A second process (the admin CLI) may hold the write lock for a moment; wait rather than fail.
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`)
  } catch (error) {
    sqlite?.close()
    if (error instanceof DatabaseOpenError) throw error
    const code = (error as { code?: unknown }).code
    const reason = `${(error as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`
    throw new DatabaseOpenError(`cannot open the database file: ${reason}`, { cause: error })
  }
  return drizzle(sqlite, { schema }) as Db
}

export function closeDb(db: Db): void {
  if (db.$client.open) db.$client.close()
}

/**
 * Whether an error is SQLite's "database is locked" after `busy_timeout` ran out: another process
 * held the write lock that long. Nothing was written; the request can be retried.
 */
export function isBusyError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('SQLITE_BUSY')
  )
}

/**
 * Whether an error is SQLite refusing a row whose parent row is gone (a FOREIGN KEY constraint):
 * another process (the admin CLI) deleted the org a write was for, after the writer looked it up.
 */
export function isForeignKeyError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error as { code: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
  )
}
