import { defineConfig } from 'vitest/config'

/**
 * The suites that start processes (the server's entry point, the admin CLI, Socket's JS CLI) and
 * the reliability suites; everything else builds the app in process and talks to it with inject or
 * on a local socket. test/architecture.test.ts keeps this list complete.
 */
export const processTests = [
  'test/admin-cli.test.ts',
  'test/official-cli.test.ts',
  'test/scopes.test.ts',
  'test/server.test.ts',
  'test/tls.test.ts',
  'test/reliability/**/*.test.ts',
]

export default defineConfig({
  test: {
    // `npm test` runs both projects in one pool of two workers (a 2-core machine): the long CPU-bound
    // suites (fuzzing, the API files) and the ones that mostly wait for their child processes share it.
    maxWorkers: 2,
    // Suites start servers and child processes; give them room on a loaded 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/setup/contract.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'api',
          include: ['test/**/*.test.ts'],
          exclude: [...processTests, 'test/scale/**'],
          // No module state survives a file (each app is built and closed by its tests), so a worker
          // keeps the modules it loaded — and the parsed spec — for the next file instead of reloading them.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'process',
          include: processTests,
          exclude: ['test/scale/**'],
          // src/ compiled once for the child processes of this run (instead of tsx in every child).
          globalSetup: ['test/setup/build-src.ts'],
        },
      },
    ],
  },
})
