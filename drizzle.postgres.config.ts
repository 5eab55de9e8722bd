import { defineConfig } from 'drizzle-kit'

/** PostgreSQL, the shared store of several instances (docs/scaling.md). */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/postgres/schema.ts',
  out: './migrations/postgres',
})
