import { mkdirSync } from 'node:fs'
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

/** Opens the SQLite database (creating its folder), in WAL mode with foreign keys enforced. */
export function openDb({ path, synchronous = 'NORMAL', busyTimeoutMs = 5000 }: DbOptions): Db {
  const inMemory = path === ':memory:' || path === ''
  if (!inMemory) mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  if (!inMemory) sqlite.pragma('journal_mode = WAL')
  sqlite.pragma(`synchronous = ${synchronous}`)
  sqlite.pragma('foreign_keys = ON')
  // A second process (the admin CLI) may hold the write lock for a moment; wait rather than fail.
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`)
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
