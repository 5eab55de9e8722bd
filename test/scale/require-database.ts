import pg from 'pg'

/**
 * Global setup of the scale suite (vitest.scale.config.ts): it runs only against PostgreSQL, so a
 * run without TEST_DATABASE_URL, or with one that cannot be reached, fails at once with a message
 * saying what to set — it is never skipped.
 */
export const MISSING_DATABASE =
  'The scale suite needs PostgreSQL: set TEST_DATABASE_URL, e.g. ' +
  'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:scale'

export default async function requireDatabase(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error(MISSING_DATABASE)
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
  } catch (error) {
    throw new Error(`The scale suite cannot reach TEST_DATABASE_URL: ${(error as Error).message}`)
  } finally {
    await client.end().catch(() => {})
  }
}
