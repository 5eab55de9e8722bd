import { readMigrationFiles } from 'drizzle-orm/migrator'
import type { HealthRepository } from '../../types.js'
import { type Queryable, row } from '../client.js'
import { migrationsFolder } from '../migrate.js'

export function createHealthRepository(q: Queryable): HealthRepository {
  const latest = readMigrationFiles({ migrationsFolder }).reduce((max, m) => Math.max(max, m.folderMillis), 0)
  return {
    /** PostgreSQL answers (within the statement timeout), and every committed migration has been applied. */
    async check() {
      try {
        await q.query('SELECT 1')
      } catch {
        return { database: false, migrations: false }
      }
      try {
        const applied = await row<{ applied: number | null }>(
          q,
          'SELECT max(created_at) AS applied FROM __drizzle_migrations',
        )
        return { database: true, migrations: Number(applied?.applied ?? 0) >= latest }
      } catch {
        return { database: true, migrations: false }
      }
    },
  }
}
