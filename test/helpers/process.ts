import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject, onTestFinished } from 'vitest'

export const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * How a child process runs `entry`: an entry point of src/ from the build the process project's
 * global setup made for this run (test/setup/build-src.ts), other TypeScript through tsx, JavaScript as it is.
 */
function nodeArgs(entry: string): string[] {
  const build = inject('srcBuild')
  if (build && entry.startsWith('src/') && entry.endsWith('.ts')) {
    return [join(build, 'dist', entry.slice('src/'.length).replace(/\.ts$/, '.js'))]
  }
  return entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry]
}

function spawnNode(entry: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...nodeArgs(entry), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  })
}

export interface RunResult {
  code: number | null
  /** The signal that ended it: SIGKILL when it was still running after `limitMs`. */
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

/** Runs an entry point in a child Node process until it exits; killed (and reported so) after `limitMs`. */
export function run(
  entry: string,
  args: string[],
  env: Record<string, string>,
  { limitMs = 60_000 }: { limitMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawnNode(entry, args, env)
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started })
    })
  })
}

/** The admin CLI (src/cli/main.ts), as an operator runs it. */
export const runCli = (args: string[], env: Record<string, string>, options?: { limitMs?: number }) =>
  run('src/cli/main.ts', args, env, options)

export interface StartedServer {
  child: ChildProcess
  url: string
  /** Everything the process printed so far. */
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts the server's entry point (src/server.ts) on a free port and resolves once it listens. Call
 * it in a test: the process is killed when the test finishes if it is still running.
 */
export function startServer(env: Record<string, string>): Promise<StartedServer> {
  return new Promise((resolve, reject) => {
    const child = spawnNode('src/server.ts', [], { PORT: '0', LOG_LEVEL: 'info', ...env })
    const stop = (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<number | null>((done) => {
        // Already gone (exited, or killed by a signal: then exitCode stays null): nothing to wait for.
        if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode)
        child.once('close', (code) => done(code))
        child.kill(signal)
      })
    onTestFinished(async () => {
      await stop('SIGKILL')
    })
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start:\n${output}`))
    }, 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Server listening at (https?:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.stdout?.on('data', (more: Buffer) => {
          output += more.toString()
        })
        resolve({ child, url: match[1], output: () => output, stop })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
}
