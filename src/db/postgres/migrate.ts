import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'

/** `migrations/postgres/` at the package root; the same relative path from `src/db/postgres/` and `dist/db/postgres/`. */
export const migrationsFolder = fileURLToPath(new URL('../../../migrations/postgres', import.meta.url))

/**
 * Applies every committed migration not yet applied, into the connection's current schema (where
 * the migration journal `__drizzle_migrations` lives too). Several processes may start at once on
 * an empty database: each takes the same advisory lock first, so exactly one migrates and the
 * others wait, then find nothing left to apply. Runs on a connection of its own, without the pool's
 * timeouts: waiting for another instance's migration is not a stuck query.
 */
export async function runMigrations(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'socket-repos-server migrate' })
  await client.connect()
  try {
    const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')
    const schema = rows[0]?.schema
    if (!schema) throw new Error('the search_path of DATABASE_URL names no schema that exists')
    await client.query(`SELECT pg_advisory_lock(hashtext('socket-repos-server migrations ' || $1))`, [schema])
    try {
      await migrate(drizzle(client), { migrationsFolder, migrationsSchema: schema })
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext('socket-repos-server migrations ' || $1))`, [schema])
    }
  } finally {
    await client.end()
  }
}
