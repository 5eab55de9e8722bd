import { readMigrationFiles } from 'drizzle-orm/migrator'
import type { Db } from '../client.js'
import { migrationsFolder } from '../migrate.js'

export function createHealthRepository(db: Db) {
  const expected = readMigrationFiles({ migrationsFolder })
  const latest = expected.reduce((max, m) => Math.max(max, m.folderMillis), 0)
  return {
    /** The database answers a query, and every committed migration has been applied. */
    async check(): Promise<{ database: boolean; migrations: boolean }> {
      try {
        db.$client.prepare('SELECT 1').get()
      } catch {
        return { database: false, migrations: false }
      }
      try {
        const row = db.$client.prepare('SELECT max(created_at) AS applied FROM __drizzle_migrations').get() as
          | { applied: number | null }
          | undefined
        return { database: true, migrations: Number(row?.applied ?? 0) >= latest }
      } catch {
        return { database: true, migrations: false }
      }
    },
  }
}

export type HealthRepository = ReturnType<typeof createHealthRepository>
