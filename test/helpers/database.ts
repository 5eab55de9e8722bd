import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * The engine the suites run on: SQLite (in memory) always; PostgreSQL when TEST_DATABASE_URL is set
 * (`.ci/run` runs the API suites a second time so). On PostgreSQL every test app gets a schema of its
 * own, created empty, migrated by the app as a server would, and dropped when the app closes: each
 * test sees a fresh database, as with SQLite's `:memory:`.
 */
export const testDatabaseUrl: string | undefined = process.env.TEST_DATABASE_URL || undefined

let admin: pg.Pool | undefined
let counter = 0

function adminPool(url: string): pg.Pool {
  if (!admin) {
    admin = new pg.Pool({ connectionString: url, max: 2 })
    // An idle connection dropped by the server (the scale suite restarts it) is replaced, not fatal.
    admin.on('error', () => {})
  }
  return admin
}

function schemaUrl(url: string, schema: string): string {
  const withSchema = new URL(url)
  withSchema.searchParams.set('options', `-c search_path=${schema}`)
  return withSchema.toString()
}

/** A URL whose connections use a new, empty schema; `drop` removes it with everything in it. */
export async function freshSchema(url: string): Promise<{ url: string; schema: string; drop: () => Promise<void> }> {
  const schema = `test_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`
  const pool = adminPool(url)
  await pool.query(`CREATE SCHEMA "${schema}"`)
  return {
    url: schemaUrl(url, schema),
    schema,
    drop: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    },
  }
}

const schemasOfFiles = new Map<string, string>()

/**
 * The schema that stands for a database file of a test (a test that restarts an app on the same
 * `databasePath` must find its data again): created on first use, kept for the run (CI runs on a
 * database created for the run).
 */
export async function schemaOfFile(url: string, path: string): Promise<{ url: string; schema: string }> {
  let schema = schemasOfFiles.get(path)
  if (!schema) {
    schema = `test_${process.pid}_${++counter}_file_${randomBytes(3).toString('hex')}`
    await adminPool(url).query(`CREATE SCHEMA "${schema}"`)
    schemasOfFiles.set(path, schema)
  }
  return { url: schemaUrl(url, schema), schema }
}

/**
 * Where the database standing for a test's `file` is, for a child process (the server, the admin
 * CLI): the file itself (DATABASE_PATH), or on PostgreSQL the schema that stands for it (DATABASE_URL).
 */
export async function databaseEnv(file: string): Promise<Record<string, string>> {
  if (!testDatabaseUrl) return { DATABASE_PATH: file }
  return { DATABASE_URL: (await schemaOfFile(testDatabaseUrl, file)).url }
}

/** The same, as settings for an app built in process. */
export async function databaseConfig(file: string): Promise<{ databasePath: string; databaseUrl?: string }> {
  if (!testDatabaseUrl) return { databasePath: file }
  return { databasePath: file, databaseUrl: (await schemaOfFile(testDatabaseUrl, file)).url }
}
