import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import pg from 'pg'
import { onTestFinished } from 'vitest'
import { parse } from 'yaml'
import { freshSchema, testDatabaseUrl } from '../helpers/database.js'
import { root, runCli, type StartedServer, startServer } from '../helpers/process.js'
import { MISSING_DATABASE } from './require-database.js'

/**
 * The pieces of the multi-instance suite (test/scale): N server processes (the real entry point,
 * from the build of test/setup/build-src.ts) on one fresh PostgreSQL schema, HTTP through any of
 * them with timings, direct SQL on the schema, and a TCP proxy that can cut the instances off the
 * database.
 */

export function databaseUrl(): string {
  if (!testDatabaseUrl) throw new Error(MISSING_DATABASE)
  return testDatabaseUrl
}

/** The admin secret every instance of the suite is started with. */
export const ADMIN_SECRET = 'scale-suite-admin-secret-0123'

export interface Answer {
  status: number
  headers: Headers
  text: string
  /** From sending the request to the end of its body. */
  ms: number
  startedAt: number
  json: () => unknown
}

/** One server process of a cluster, and HTTP to it. */
export class Instance {
  constructor(
    readonly name: string,
    readonly server: StartedServer,
  ) {}

  get url(): string {
    return this.server.url
  }

  /**
   * One request (redirects left alone). Throws on a network error; with `timeoutMs`, an answer not
   * complete by then throws a TimeoutError.
   */
  async send(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    if (options.body !== undefined) headers['content-type'] ??= 'application/json'
    const startedAt = Date.now()
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      redirect: 'manual',
      ...(options.body === undefined
        ? {}
        : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
      ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
    })
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      text,
      ms: Date.now() - startedAt,
      startedAt,
      json: () => JSON.parse(text),
    }
  }

  /** An API call under /v0. */
  api(method: string, path: string, token: string, body?: unknown, timeoutMs?: number): Promise<Answer> {
    return this.send(method, `/v0${path}`, {
      token,
      ...(body === undefined ? {} : { body }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    })
  }

  /** An /_admin call with the suite's secret. */
  admin(method: string, path: string, body?: unknown): Promise<Answer> {
    return this.send(method, `/_admin${path}`, {
      headers: { 'x-admin-secret': ADMIN_SECRET },
      ...(body === undefined ? {} : { body }),
    })
  }
}

export interface Cluster {
  instances: Instance[]
  /** The schema's URL (search_path set), as the instances get it unless `instanceUrl` changed it. */
  url: string
  schema: string
  /** A small pool on the schema, for looking at stored state directly. */
  sql: pg.Pool
}

/**
 * Starts `count` instances at once on a new, empty schema, all with `env` (DATABASE_URL: the
 * schema's URL, or what `instanceUrl` makes of it). Call in a test: when it finishes, the instances
 * are killed and the schema dropped.
 */
export async function startCluster(
  env: Record<string, string>,
  options: { count?: number; instanceUrl?: (schemaUrl: string) => string | Promise<string> } = {},
): Promise<Cluster> {
  const fresh = await freshSchema(databaseUrl())
  const sql = new pg.Pool({ connectionString: fresh.url, max: 2 })
  sql.on('error', () => {})
  const servers: StartedServer[] = []
  onTestFinished(async () => {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')))
    await sql.end()
    await fresh.drop()
  })
  const instanceUrl = options.instanceUrl ? await options.instanceUrl(fresh.url) : fresh.url
  const names = ['A', 'B', 'C', 'D', 'E'].slice(0, options.count ?? 3)
  const started = await Promise.allSettled(
    names.map(async (name) => {
      const server = await startServer({ DATABASE_URL: instanceUrl, ...env })
      servers.push(server)
      return new Instance(name, server)
    }),
  )
  const failed = started.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
  return {
    instances: started.map((result) => (result as PromiseFulfilledResult<Instance>).value),
    url: fresh.url,
    schema: fresh.schema,
    sql,
  }
}

/** The admin CLI on a database URL, as an operator runs it. */
export const adminCli = (args: string[], url: string) => runCli(args, { DATABASE_URL: url }, { limitMs: 30_000 })

/** How many migrations are committed for PostgreSQL (entries of drizzle's journal). */
export function committedMigrations(): number {
  const journal = JSON.parse(readFileSync(join(root, 'migrations/postgres/meta/_journal.json'), 'utf8')) as {
    entries: unknown[]
  }
  return journal.entries.length
}

/** The `x-quota-cost` of an operation in the spec the server serves. */
export function quotaCost(operationId: string): number {
  const spec = parse(readFileSync(join(root, 'openapi/socket-repos-api.yml'), 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string; 'x-quota-cost'?: number }>>
  }
  for (const item of Object.values(spec.paths)) {
    for (const operation of Object.values(item)) {
      if (operation?.operationId === operationId) {
        const cost = operation['x-quota-cost']
        if (typeof cost !== 'number') throw new Error(`${operationId} has no x-quota-cost`)
        return cost
      }
    }
  }
  throw new Error(`no operation ${operationId} in the spec`)
}

/** A TCP proxy in this process between the instances and PostgreSQL, which the test can cut and restore. */
export interface TcpProxy {
  port: number
  /** Connections accepted so far. */
  accepted(): number
  /** Destroys every open connection (both sides) and stops accepting: connecting is refused. */
  cut(): Promise<void>
  /** Accepts again, on the same port. */
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let accepted = 0
  let server: Server | undefined
  let port = 0

  const open = async (): Promise<void> => {
    const listener = createServer((client) => {
      accepted++
      const upstream = netConnect(target.port, target.host)
      sockets.add(client)
      sockets.add(upstream)
      const end = () => {
        client.destroy()
        upstream.destroy()
        sockets.delete(client)
        sockets.delete(upstream)
      }
      client.on('error', end).on('close', end)
      upstream.on('error', end).on('close', end)
      client.pipe(upstream)
      upstream.pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject)
      listener.listen(port, '127.0.0.1', () => resolve())
    })
    const address = listener.address()
    if (!address || typeof address === 'string') throw new Error('the proxy is not on a TCP port')
    port = address.port
    server = listener
  }

  const stop = async (): Promise<void> => {
    const listener = server
    server = undefined
    const closed = listener ? new Promise<void>((resolve) => listener.close(() => resolve())) : Promise.resolve()
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    await closed
  }

  await open()
  return {
    get port() {
      return port
    },
    accepted: () => accepted,
    cut: stop,
    restore: open,
    close: stop,
  }
}

/** `url` with its host and port replaced (the search_path option kept). */
export function viaPort(url: string, port: number): string {
  const through = new URL(url)
  through.hostname = '127.0.0.1'
  through.port = String(port)
  return through.toString()
}

/**
 * The PostgreSQL server of TEST_DATABASE_URL, stopped and started for real: TEST_PG_CTL names the
 * command (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main`); without it, the Debian cluster of
 * this machine (`/etc/postgresql/<version>/main`, as `.ci/run` starts it), when run as root.
 */
export function postgresControl(): { stop: () => Promise<void>; start: () => Promise<void> } {
  const command = process.env.TEST_PG_CTL || debianCluster()
  if (!command) {
    throw new Error(
      'Restarting PostgreSQL needs TEST_PG_CTL, e.g. TEST_PG_CTL="pg_ctlcluster --skip-systemctl-redirect 15 main" ' +
        '(found no Debian cluster to control as root)',
    )
  }
  const run = (action: string) =>
    new Promise<{ code: number; output: string }>((resolve) => {
      execFile('sh', ['-c', `${command} ${action}`], (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, output: `${stdout}${stderr}` })
      })
    })
  return {
    async stop() {
      const { code, output } = await run('stop -m fast')
      if (code !== 0) throw new Error(`${command} stop: exit ${code}: ${output}`)
    },
    async start() {
      const { code, output } = await run('start')
      // 2: it is running already.
      if (code !== 0 && code !== 2) throw new Error(`${command} start: exit ${code}: ${output}`)
    },
  }
}

function debianCluster(): string | undefined {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/pg_ctlcluster')) return undefined
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : []
  const version = versions
    .filter((v) => existsSync(`/etc/postgresql/${v}/main`))
    .sort((a, b) => Number(b) - Number(a))[0]
  return version ? `pg_ctlcluster --skip-systemctl-redirect ${version} main` : undefined
}
