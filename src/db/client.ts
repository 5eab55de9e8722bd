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
}

/** Opens the SQLite database (creating its folder), in WAL mode with foreign keys enforced. */
export function openDb({ path, synchronous = 'NORMAL' }: DbOptions): Db {
  const inMemory = path === ':memory:' || path === ''
  if (!inMemory) mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  if (!inMemory) sqlite.pragma('journal_mode = WAL')
  sqlite.pragma(`synchronous = ${synchronous}`)
  sqlite.pragma('foreign_keys = ON')
  // A second process (the admin CLI) may hold the write lock for a moment; wait rather than fail.
  sqlite.pragma('busy_timeout = 5000')
  return drizzle(sqlite, { schema }) as Db
}

export function closeDb(db: Db): void {
  if (db.$client.open) db.$client.close()
}
