import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { tempDir } from '../helpers/fixtures.js'
import { type RunResult, run, runCli, startServer } from '../helpers/process.js'

/**
 * Start-up failures (issue 10, rows 11 and 12), through the real entry point in a child process:
 * one line on stderr naming the variable and the cause, exit 78 (EX_CONFIG), never a stack trace
 * or a busy loop; and a first run that cannot bind its port creates nothing it cannot show again.
 */

/** The server's entry point until it exits; killed (and reported so) if still running after `limitMs`. */
const runServer = (env: Record<string, string>, limitMs = 20_000) =>
  run('src/server.ts', [], { LOG_LEVEL: 'info', ...env }, { limitMs })

/** A port held by another listener for the rest of the test. */
async function takenPort(): Promise<number> {
  const blocker = createServer()
  onTestFinished(() => new Promise<void>((done) => blocker.close(() => done())))
  await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done))
  const address = blocker.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

function expectOneLineConfigError(exit: RunResult, pattern: RegExp) {
  expect(exit.signal, `still running after ${exit.ms} ms (a busy loop?)`).toBeNull()
  expect(exit.code, exit.stderr).toBe(78)
  const lines = exit.stderr.trimEnd().split('\n')
  expect(lines, exit.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(pattern)
  expect(exit.stderr).not.toMatch(/\n\s+at /)
}

describe('start-up failures: one line naming the variable, exit 78 (row 11)', () => {
  it('DATABASE_PATH in a folder where no file can be created (/proc/1)', async () => {
    const exit = await runServer({ DATABASE_PATH: '/proc/1/socket.db', PORT: '0' })
    expectOneLineConfigError(
      exit,
      /^Cannot start: DATABASE_PATH="\/proc\/1\/socket\.db": .*unable to open database file/,
    )
  }, 30_000)

  it('DATABASE_PATH under a file, where its folder cannot be created', async () => {
    const file = tempDir('startup-file').file('plain-file')
    writeFileSync(file, 'not a folder')
    const exit = await runServer({ DATABASE_PATH: `${file}/sub/socket.db`, PORT: '0' })
    expectOneLineConfigError(exit, /^Cannot start: DATABASE_PATH=".*plain-file\/sub\/socket\.db": .*is not a folder/)
  }, 30_000)

  it('DATABASE_PATH=/proc/x/db exits at once instead of spinning a core', async () => {
    const exit = await runServer({ DATABASE_PATH: '/proc/x/db', PORT: '0' }, 15_000)
    expectOneLineConfigError(exit, /^Cannot start: DATABASE_PATH="\/proc\/x\/db": cannot create the folder "\/proc\/x"/)
  }, 30_000)

  it('the admin CLI on such a path: one error line and exit 1, no busy loop either', async () => {
    const exit = await runCli(['orgs', 'list', '--database', '/proc/x/db'], { LOG_LEVEL: 'info' }, { limitMs: 15_000 })
    expect(exit.signal, `still running after ${exit.ms} ms (a busy loop?)`).toBeNull()
    expect(exit.code).toBe(1)
    expect(exit.stderr).toBe('error: cannot create the folder "/proc/x" (ENOENT)\n')
  }, 30_000)

  it('PORT already in use (EADDRINUSE)', async () => {
    const port = await takenPort()
    const exit = await runServer({ DATABASE_PATH: ':memory:', PORT: String(port), BOOTSTRAP: 'false' })
    expectOneLineConfigError(
      exit,
      new RegExp(`^Cannot start: PORT=${port}: 127\\.0\\.0\\.1:${port} is already in use$`),
    )
  }, 30_000)
})

describe('a first run whose port is taken (row 12)', () => {
  it('creates no org and no token, so the next start is a first run that prints the token', async () => {
    const database = tempDir('startup-bootstrap').file('socket.db')
    const port = await takenPort()
    const failed = await runServer({ DATABASE_PATH: database, PORT: String(port), BOOTSTRAP_ORG_SLUG: 'first' })
    expectOneLineConfigError(failed, /is already in use$/)
    expect(failed.stdout).not.toContain('first run')
    expect(failed.stdout).not.toContain('sktsec_')

    const server = await startServer({ DATABASE_PATH: database, BOOTSTRAP_ORG_SLUG: 'first' })
    const printed = /first run: created org "first".*\n\s+org:\s+first\n\s+token: (sktsec_\w+)/.exec(server.output())
    expect(printed, server.output()).not.toBeNull()
    const response = await fetch(`${server.url}/v0/orgs/first/repos`, {
      headers: { authorization: `Bearer ${printed?.[1]}` },
    })
    expect(response.status).toBe(200)
  }, 60_000)
})
