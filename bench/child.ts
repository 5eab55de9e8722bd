import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FromChild, MemoryReport, ToChild } from './ipc.js'

const benchDir = fileURLToPath(new URL('.', import.meta.url))
const repoRoot = join(benchDir, '..')
/** Where `bench/tsconfig.build.json` compiles src/ and the child entry points (under the gitignored results/). */
export const buildDir = join(benchDir, 'results', 'build')

/**
 * Compiles src/ and the children's entry points to plain JavaScript, as `npm run build` does for
 * production, so the children run on plain `node` (no tsx loader: it adds ~30 MB of RSS and a loader on
 * every import). openapi/, migrations/ and package.json are linked next to the output, where src/ looks for them.
 * Type errors elsewhere in src/ (work in progress) do not stop the emit; they are reported.
 */
export function buildChildren(): { ms: number; warnings: string } {
  const started = performance.now()
  rmSync(buildDir, { recursive: true, force: true })
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  const out = spawnSync(process.execPath, [tsc, '-p', join(benchDir, 'tsconfig.build.json')], { encoding: 'utf8' })
  for (const entry of ['server-process.js', 'reference-process.js']) {
    if (!existsSync(join(buildDir, 'bench', entry))) {
      throw new Error(`building the bench children failed:\n${out.stdout}${out.stderr}`)
    }
  }
  for (const dir of ['openapi', 'migrations']) symlinkSync(join(repoRoot, dir), join(buildDir, dir), 'dir')
  symlinkSync(join(repoRoot, 'package.json'), join(buildDir, 'package.json'), 'file')
  return { ms: performance.now() - started, warnings: out.status === 0 ? '' : `${out.stdout}${out.stderr}`.trim() }
}

type Request = ToChild extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never

export interface Child {
  pid: number
  port: number
  /** Sends a request and waits for the child's answer. */
  request(message: Request, timeoutMs?: number): Promise<MemoryReport | undefined>
  /** Asks the child to close and waits for it to exit. */
  stop(): Promise<void>
}

/** Resident and peak resident memory of a process, in bytes (Linux /proc). */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 }
  } catch {
    return undefined
  }
}

/** USER_HZ: Linux reports /proc CPU times in 1/100 s on every common platform. */
const CLOCK_TICKS = 100

/** CPU time of a process (all its threads), in seconds; undefined when it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/** Busy CPU time of the whole machine (all cores), in seconds. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
  const [, ...values] = line.trim().split(/\s+/)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = values.map(Number)
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
}

/**
 * Who used the CPU over an interval: the server children, the database's processes (PostgreSQL's backends
 * and background processes; none for SQLite, which runs inside the server), this process (the load
 * generator), everyone else. `dbPids` are read at the start; the stop function takes the database's pids
 * at the end too, so a backend that started during the interval counts from zero.
 */
export function cpuMeter(serverPids: number[], dbPids: number[] = []) {
  const sum = (pids: number[], start?: Map<number, number>) =>
    pids.reduce((total, pid) => {
      const now = cpuSecondsOf(pid)
      return now === undefined ? total : total + now - (start?.get(pid) ?? 0)
    }, 0)
  const at = performance.now()
  const server = sum(serverPids)
  const self = cpuSecondsOf(process.pid) ?? 0
  const dbStart = new Map(dbPids.map((pid) => [pid, cpuSecondsOf(pid) ?? 0]))
  const machine = machineBusySeconds()
  return (dbPidsAtEnd: number[] = []) => {
    const seconds = (performance.now() - at) / 1000
    const serverUsed = sum(serverPids) - server
    const selfUsed = (cpuSecondsOf(process.pid) ?? self) - self
    const db = sum([...new Set([...dbStart.keys(), ...dbPidsAtEnd])], dbStart)
    const all = machineBusySeconds() - machine
    const pct = (v: number) => Math.round((100 * v) / Math.max(0.001, seconds))
    return {
      serverPct: pct(serverUsed),
      dbPct: pct(db),
      generatorPct: pct(selfUsed),
      otherPct: Math.max(0, pct(all - serverUsed - db - selfUsed)),
    }
  }
}

/**
 * Starts a compiled child (`server-process` or `reference-process`, see `buildChildren`) as
 * `node [nodeArgs] <script>.js` with `env`, stdout discarded (the server's log lines are written, as in
 * production, but nobody reads them), and resolves once it listens.
 */
export function startChild(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Child> {
  const file = join(buildDir, 'bench', `${script}.js`)
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  let nextId = 1
  const pending = new Map<number, { resolve: (data?: MemoryReport) => void; reject: (error: Error) => void }>()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  return new Promise<Child>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      const error = new Error(`${script} exited (code ${code}, signal ${signal})`)
      reject(error)
      for (const waiter of pending.values()) waiter.reject(error)
      pending.clear()
    })
    child.on('message', (message: FromChild) => {
      if (message.type === 'ready') {
        const handle: Child = {
          pid: child.pid ?? -1,
          port: message.port,
          request(request, timeoutMs = 60_000) {
            const id = nextId++
            return new Promise<MemoryReport | undefined>((done, fail) => {
              const timer = setTimeout(() => fail(new Error(`${script}: no answer to ${request.type}`)), timeoutMs)
              pending.set(id, {
                resolve: (data) => {
                  clearTimeout(timer)
                  done(data)
                },
                reject: (error) => {
                  clearTimeout(timer)
                  fail(error)
                },
              })
              child.send({ ...request, id } as ToChild)
            })
          },
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return
            const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
            await handle.request({ type: 'shutdown' }).catch(() => child.kill('SIGTERM'))
            await exited
            clearTimeout(killer)
          },
        }
        resolve(handle)
      } else if (message.type === 'done') {
        const waiter = pending.get(message.id)
        pending.delete(message.id)
        if (message.error) waiter?.reject(new Error(message.error))
        else waiter?.resolve(message.data)
      }
    })
  })
}
