import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { z } from 'zod'
import { orgFields, orgSlug, tokenValue } from './services/field-rules.js'

/**
 * Environment → frozen, typed configuration. This module is the only reader of `process.env`:
 * everything else receives a `Config` (or the pieces of it it needs).
 */

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], {
    error: 'must be one of true, false, 1, 0, yes, no',
  })
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max)

const envSchema = z.object({
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('./data/socket-repos.db'),
  /** SQLite `synchronous` level in WAL mode: NORMAL survives a process crash, FULL also survives power loss. */
  DATABASE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  /** PostgreSQL instead of the SQLite file: the shared store of several instances (docs/scaling.md). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** PostgreSQL connections this instance opens at most. */
  DATABASE_POOL_MAX: integer(1, 1000).default(10),
  /** PostgreSQL statement timeout; also how long a request waits for a connection before a 503. */
  DATABASE_STATEMENT_TIMEOUT_MS: integer(100, 600_000).default(5000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted request body, in bytes. */
  BODY_LIMIT: integer(1024, 100 * 1024 * 1024).default(1024 * 1024),
  /** Base of `html_url` on repos: `<base>/dashboard/org/<org>/repo/<slug>`. */
  DASHBOARD_BASE_URL: z.url().default('https://socket.dev'),
  /** Largest accepted file of a full scan, in bytes (Socket: 268 MB). */
  SCAN_MAX_FILE_BYTES: integer(1, 268_000_000).default(32 * 1024 * 1024),
  /** Largest accepted full scan (all its files together), in bytes. */
  SCAN_MAX_TOTAL_BYTES: integer(1, 4 * 1024 * 1024 * 1024).default(128 * 1024 * 1024),
  /** Units a new token may spend per window, unless the token is created with its own. */
  QUOTA_DEFAULT_MAX: integer(0).default(1000),
  /** Length of a token's quota window, in seconds. */
  QUOTA_WINDOW_SECONDS: integer(1).default(3600),
  /** How long a verified token stays cached in memory; bounds how late a revocation from another process is seen. */
  AUTH_CACHE_TTL_MS: integer(0, 3_600_000).default(5000),
  /** Audit-log events older than this many days are deleted (hourly, in small batches); 0 keeps them forever. */
  AUDIT_LOG_RETENTION_DAYS: integer(0, 36_500).default(90),
  /** Per-operation quota costs overriding the spec's, e.g. `getOrgRepoList=0,createOrgRepo=2`. */
  QUOTA_COSTS: z
    .string()
    .regex(
      /^\s*[A-Za-z]+\s*=\s*\d+\s*(,\s*[A-Za-z]+\s*=\s*\d+\s*)*$/,
      'must look like operationId=cost,operationId=cost',
    )
    .optional(),
  /** Enables the /_admin API; requests must send it in `X-Admin-Secret`. */
  ADMIN_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(512)
    // Node trims the value of a received header, so a secret that starts or ends in whitespace could never match.
    .refine((v) => v.trim() === v, 'must not start or end with whitespace (HTTP trims header values)')
    .optional(),
  /** Origins allowed by CORS: a comma-separated list, or `*`. Empty: CORS off. */
  CORS_ORIGINS: z.string().optional(),
  /** Whether to expose Prometheus metrics at /metrics. */
  METRICS: booleanFromEnv.default(true),
  BOOTSTRAP: booleanFromEnv.default(true),
  BOOTSTRAP_ORG_SLUG: orgSlug.default('my-org'),
  BOOTSTRAP_ORG_NAME: orgFields.name.unwrap().min(1).optional(),
  BOOTSTRAP_TOKEN: tokenValue.optional(),
  /** How many of the latest API requests the request journal keeps in memory; 0 turns it off. */
  REQUEST_JOURNAL_SIZE: integer(0, 100_000).default(1000),
  /** How much of each request body the journal keeps, in bytes. */
  REQUEST_JOURNAL_BODY_BYTES: integer(0, 1024 * 1024).default(4096),
  /** PEM certificate (chain) and private key: with both, the server speaks HTTPS only. */
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
})

/** Every environment variable the server reads (README's configuration table lists the same, tested). */
export const environmentVariables: readonly string[] = Object.freeze(Object.keys(envSchema.shape))

/** The default of each variable that has one, as the environment would spell it. */
export function environmentDefaults(): Readonly<Record<string, string>> {
  const defaults = envSchema.parse({}) as Record<string, unknown>
  return Object.fromEntries(
    Object.entries(defaults)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, String(value)]),
  )
}

export interface Config {
  readonly port: number
  readonly host: string
  readonly databasePath: string
  readonly databaseSynchronous: 'NORMAL' | 'FULL'
  /** PostgreSQL (`postgres://…`) instead of the SQLite file at `databasePath`. */
  readonly databaseUrl: string | undefined
  readonly databasePoolMax: number
  readonly databaseStatementTimeoutMs: number
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  readonly bodyLimit: number
  readonly dashboardBaseUrl: string
  readonly scans: {
    readonly maxFileBytes: number
    readonly maxTotalBytes: number
  }
  readonly quota: {
    readonly defaultMax: number
    readonly windowSeconds: number
    /** operationId → units, overriding the spec's `x-quota-cost`. */
    readonly costs: Readonly<Record<string, number>>
  }
  /** The secret of the /_admin API; undefined disables it. */
  readonly adminSecret: string | undefined
  /** CORS allowed origins; `['*']` for any, empty for CORS off. */
  readonly corsOrigins: readonly string[]
  readonly metrics: boolean
  readonly authCacheTtlMs: number
  readonly requestJournal: {
    /** Entries kept; 0 for no journal. */
    readonly size: number
    /** Bytes of each request body kept. */
    readonly bodyBytes: number
  }
  /** Days an audit-log event is kept; 0: forever. */
  readonly auditLogRetentionDays: number
  readonly bootstrap: {
    readonly enabled: boolean
    readonly orgSlug: string
    readonly orgName: string | undefined
    readonly token: string | undefined
  }
  /** HTTPS with this certificate and key (PEM files, checked readable and matching at start); HTTP when undefined. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined
}

/** Never echoed back, not even in a configuration error. */
const secretVariables = new Set(['ADMIN_SECRET', 'BOOTSTRAP_TOKEN', 'DATABASE_URL'])

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses `env` (default: `process.env`); throws a `ConfigError` naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable (`FOO=`) means "not set", as in most twelve-factor tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = envSchema.safeParse(present)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '')
      const shown = secretVariables.has(key) ? '(value hidden)' : JSON.stringify(env[key] ?? '')
      return `  ${key}=${shown}: ${issue.message}`
    })
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const tls = checkTls(e.TLS_CERT_FILE, e.TLS_KEY_FILE)
  return deepFreeze({
    port: e.PORT,
    host: e.HOST,
    databasePath: e.DATABASE_PATH,
    databaseSynchronous: e.DATABASE_SYNCHRONOUS,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    bodyLimit: e.BODY_LIMIT,
    dashboardBaseUrl: e.DASHBOARD_BASE_URL.replace(/\/+$/, ''),
    scans: { maxFileBytes: e.SCAN_MAX_FILE_BYTES, maxTotalBytes: e.SCAN_MAX_TOTAL_BYTES },
    quota: { defaultMax: e.QUOTA_DEFAULT_MAX, windowSeconds: e.QUOTA_WINDOW_SECONDS, costs: parseCosts(e.QUOTA_COSTS) },
    adminSecret: e.ADMIN_SECRET,
    corsOrigins: (e.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    metrics: e.METRICS,
    authCacheTtlMs: e.AUTH_CACHE_TTL_MS,
    requestJournal: { size: e.REQUEST_JOURNAL_SIZE, bodyBytes: e.REQUEST_JOURNAL_BODY_BYTES },
    auditLogRetentionDays: e.AUDIT_LOG_RETENTION_DAYS,
    bootstrap: {
      enabled: e.BOOTSTRAP,
      orgSlug: e.BOOTSTRAP_ORG_SLUG,
      orgName: e.BOOTSTRAP_ORG_NAME,
      token: e.BOOTSTRAP_TOKEN,
    },
    tls,
  })
}

/** Both files or neither; each readable PEM, and the key the certificate's. */
function checkTls(certFile: string | undefined, keyFile: string | undefined): Config['tls'] {
  if (certFile === undefined && keyFile === undefined) return undefined
  const fail = (variable: string, problem: string): never => {
    throw new ConfigError(`Invalid configuration:\n  ${variable}: ${problem}`)
  }
  if (certFile === undefined) return fail('TLS_CERT_FILE', 'must be set too when TLS_KEY_FILE is')
  if (keyFile === undefined) return fail('TLS_KEY_FILE', 'must be set too when TLS_CERT_FILE is')
  const read = (variable: string, file: string) => {
    try {
      return readFileSync(file)
    } catch (error) {
      return fail(variable, `cannot read ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? error})`)
    }
  }
  const cert = read('TLS_CERT_FILE', certFile)
  const key = read('TLS_KEY_FILE', keyFile)
  if (!cert.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
    fail('TLS_CERT_FILE', `${JSON.stringify(certFile)} holds no PEM certificate`)
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) {
    fail('TLS_KEY_FILE', `${JSON.stringify(keyFile)} holds no PEM private key`)
  }
  try {
    createSecureContext({ cert, key })
  } catch (error) {
    fail('TLS_KEY_FILE', `is not the key of the certificate in TLS_CERT_FILE (${(error as Error).message})`)
  }
  return { certFile, keyFile }
}

/** A config for tests and in-process use: defaults, an in-memory database, then `overrides`. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({ DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent', BOOTSTRAP: 'false' })
  return deepFreeze({ ...base, ...overrides })
}

function parseCosts(spec: string | undefined): Record<string, number> {
  if (!spec) return {}
  return Object.fromEntries(
    spec.split(',').map((pair) => {
      const [operationId = '', cost = '0'] = pair.split('=').map((part) => part.trim())
      return [operationId, Number(cost)]
    }),
  )
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
