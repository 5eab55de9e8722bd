import { readFileSync } from 'node:fs'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import { type DestinationStream, pino } from 'pino'
import { type Config, ConfigError, loadConfig } from './config.js'
import { type Database, DatabaseOpenError, openDatabase } from './db/index.js'
import { registerBodyParsers } from './http/body-parsers.js'
import adminPlugin from './http/plugins/admin.js'
import authPlugin from './http/plugins/auth.js'
import errorHandler, { clientErrorHandler, frameworkErrors } from './http/plugins/error-handler.js'
import faultsPlugin from './http/plugins/faults.js'
import listCachePlugin from './http/plugins/list-cache.js'
import observabilityPlugin, { requestId } from './http/plugins/observability.js'
import quotaPlugin from './http/plugins/quota.js'
import requestJournalPlugin from './http/plugins/request-journal.js'
import servicesPlugin from './http/plugins/services.js'
import { RequestLogController, requestLogger } from './http/request-log.js'
import operationRoutes from './http/routes.js'
import { type LoadedSpec, loadSpec } from './http/spec-loader.js'
import { schemaCompilers } from './http/validators.js'
import { createServices } from './services/index.js'

export interface AppOptions {
  /** Defaults to the configuration read from the environment. */
  config?: Config
  /**
   * An open, migrated database, closed by its owner; by default the configured one (PostgreSQL at
   * `config.databaseUrl`, else SQLite at `config.databasePath`) is opened, migrated, and closed with the app.
   */
  db?: Database
  /** The clock (epoch ms); tests move it to cross quota windows. */
  now?: () => number
  /** Where log lines go (default: stdout). */
  logStream?: DestinationStream
}

let specPromise: Promise<LoadedSpec> | undefined
let stdout: DestinationStream | undefined
const LOG_BATCH_BYTES = 4096
const LOG_FLUSH_MS = 200

/**
 * Standard output for logs, one per process, written asynchronously: lines are gathered until there
 * are LOG_BATCH_BYTES of them, or LOG_FLUSH_MS have passed, and written together — one write(2) per
 * some twenty request lines under load instead of one per event-loop turn. Pino flushes what is pending
 * when the process exits; a `kill -9` loses at most one batch (docs/operations.md).
 */
function stdoutLog(): DestinationStream {
  stdout ??= pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS })
  return stdout
}

/** The spec is parsed once per process; every app built after the first reuses it. */
function spec(): Promise<LoadedSpec> {
  specPromise ??= loadSpec()
  return specPromise
}

/**
 * The configured database, migrated: PostgreSQL at DATABASE_URL, else SQLite at DATABASE_PATH. One
 * that cannot be opened, reached or migrated is a one-line start-up error naming the variable.
 */
async function openConfiguredDb(config: Config): Promise<Database> {
  const variable =
    config.databaseUrl === undefined ? `DATABASE_PATH=${JSON.stringify(config.databasePath)}` : 'DATABASE_URL'
  let db: Database | undefined
  try {
    db = await openDatabase({
      url: config.databaseUrl,
      path: config.databasePath,
      synchronous: config.databaseSynchronous,
      poolMax: config.databasePoolMax,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
    })
    await db.migrate()
    return db
  } catch (error) {
    await db?.close()
    if (error instanceof DatabaseOpenError) throw new ConfigError(`Cannot start: ${variable}: ${error.message}`)
    if (config.databaseUrl === undefined) throw error
    // The URL itself is never printed: it may hold a password.
    const code = (error as { code?: unknown }).code
    const reason = `${(error as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`
    throw new ConfigError(`Cannot start: ${variable}: cannot open the PostgreSQL database: ${reason}`)
  }
}

/** Builds the whole application, ready for `inject` or `listen`; closing it closes the database. */
export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const config = options.config ?? loadConfig()
  const ownsDb = options.db === undefined
  const db = options.db ?? (await openConfiguredDb(config))
  const services = createServices(db.repositories, {
    config,
    ...(options.now ? { now: options.now } : {}),
  })
  const loaded = await spec()

  const fastifyOptions = {
    logger: {
      level: config.logLevel,
      // No redaction pass (it costs every line): nothing logged carries a header. The request line
      // (request-log.ts) and Fastify's request serializer log method, URL and addresses only.
      stream: options.logStream ?? stdoutLog(),
    },
    bodyLimit: config.bodyLimit,
    genReqId: requestId,
    childLoggerFactory: requestLogger,
    logController: new RequestLogController(),
    frameworkErrors,
    clientErrorHandler,
  }
  // HTTPS only when configured (config.ts checked the files); the routes are the same either way.
  const app = (
    config.tls
      ? Fastify({
          ...fastifyOptions,
          https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
        })
      : Fastify(fastifyOptions)
  ) as FastifyInstance

  const compilers = schemaCompilers()
  app.setValidatorCompiler(compilers.validatorCompiler)
  app.setSerializerCompiler(compilers.serializerCompiler)

  await app.register(errorHandler)
  await app.register(servicesPlugin, {
    config,
    services,
    close: async () => {
      if (ownsDb) await db.close()
    },
  })

  registerBodyParsers(app)

  // The request path of an operation: the app's onRequest hooks in the order registered here (request
  // id and CORS, then injected faults), then the route's own (security, then quota).
  await app.register(authPlugin)
  await app.register(quotaPlugin)
  await app.register(observabilityPlugin)
  await app.register(faultsPlugin)
  await app.register(requestJournalPlugin)
  await app.register(adminPlugin)
  await app.register(swagger, { mode: 'static', specification: { document: loaded.document as never } })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  // Also where SDK 4.1's getOpenAPI/getOpenAPIJSON look: under the API prefix, without auth or quota.
  for (const url of ['/openapi.json', '/v0/openapi', '/v0/openapi.json']) {
    app.get(url, { schema: { hide: true } }, async () => app.swagger())
  }
  await app.register(listCachePlugin)
  await app.register(operationRoutes, { spec: loaded, compilers })
  return app
}
