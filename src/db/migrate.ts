import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import type { Db } from './client.js'

/** `migrations/` at the package root; the same relative path from `src/db/` and `dist/db/`. */
export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

/** Applies every committed migration not yet applied. Safe to call at every start. */
export function runMigrations(db: Db): void {
  migrate(db, { migrationsFolder })
}
