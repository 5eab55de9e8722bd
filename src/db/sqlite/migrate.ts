import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import type { Db } from './client.js'

/** `migrations/sqlite/` at the package root; the same relative path from `src/db/sqlite/` and `dist/db/sqlite/`. */
export const migrationsFolder = fileURLToPath(new URL('../../../migrations/sqlite', import.meta.url))

/** Applies every committed migration not yet applied. Safe to call at every start. */
export function runMigrations(db: Db): void {
  migrate(db, { migrationsFolder })
}
