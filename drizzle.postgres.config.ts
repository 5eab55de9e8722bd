import { defineConfig } from 'drizzle-kit'

/**
 * PostgreSQL, the shared store of several instances (docs/scaling.md). `npm run db:generate` strips
 * the `"public".` drizzle-kit writes before table names, so the tables land in the schema of the
 * connection's search_path (the tests give each app its own).
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/postgres/schema.ts',
  out: './migrations/postgres',
})
