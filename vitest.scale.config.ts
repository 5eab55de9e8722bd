import { defineConfig } from 'vitest/config'

/**
 * The multi-instance suite (test/scale): several server processes on one PostgreSQL schema, proved
 * over real HTTP. Only through `npm run test:scale` with TEST_DATABASE_URL set (CI does); without
 * it the run fails with a message saying so. `npm test` (vitest.config.ts) leaves test/scale out.
 */
export default defineConfig({
  test: {
    include: ['test/scale/**/*.test.ts'],
    pool: 'forks',
    // One file, tests one after another: each starts its own 3 instances on a 2-core machine.
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The database check first, then src/ compiled once for the child processes.
    globalSetup: ['test/scale/require-database.ts', 'test/setup/build-src.ts'],
  },
})
