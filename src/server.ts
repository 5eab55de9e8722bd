import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { reachableBaseUrl, startMap } from './http/start-map.js'
import { bootstrap } from './services/bootstrap-service.js'

/** Starts the server: config, migrations, first-run bootstrap, listen, graceful shutdown. */
export async function startServer(): Promise<FastifyInstance> {
  const config = loadConfig()
  // The app opens and migrates the database, and closes it last on close (after quota leases went back).
  const app = await buildApp({ config })
  // While shutting down, answers in flight end their keep-alive connection, so close() need not
  // wait for clients to hang up.
  let closing = false
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    closing = true
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })

  let address: string
  try {
    // Fastify's "Server listening at" line is logged below, once bootstrap is done too.
    address = await app.listen({ port: config.port, host: config.host, listenTextResolver: (a) => `Bound to ${a}` })
  } catch (error) {
    await app.close()
    throw listenError(error, config)
  }

  // Only once the port is bound: a first run that cannot listen creates nothing, so the next start
  // is a first run again and prints the token, instead of having created one that nobody saw. Every
  // step of bootstrap is synchronous SQL behind promises, so it is done before a request is read.
  const created = await bootstrap(app.services, config.bootstrap)
  if (created) {
    // Printed once, to stdout and not to the log: the only time this token value is ever shown.
    const token = created.tokenFromConfig ? '(the value of BOOTSTRAP_TOKEN)' : created.token
    process.stdout.write(
      `\nsocket-repos-server first run: created org "${created.orgSlug}" and an all-scopes token.\n` +
        `  org:   ${created.orgSlug}\n  token: ${token}\n` +
        (created.tokenFromConfig ? '' : '  Store it now: it is kept only as a hash and will not be shown again.\n') +
        '\n',
    )
  }

  app.log.info(`Server listening at ${address}`)
  process.stdout.write(startMap(config, reachableBaseUrl(app.server.address())))
  return app
}

/** A listen failure that the configuration explains, as a one-line ConfigError naming the variable. */
function listenError(error: unknown, config: Config): unknown {
  const code = (error as NodeJS.ErrnoException).code
  const where = `${config.host}:${config.port}`
  if (code === 'EADDRINUSE') return new ConfigError(`Cannot start: PORT=${config.port}: ${where} is already in use`)
  if (code === 'EACCES') {
    return new ConfigError(`Cannot start: PORT=${config.port}: not allowed to listen on ${where} (EACCES)`)
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConfigError(
      `Cannot start: HOST=${JSON.stringify(config.host)}: not an address of this machine (${code})`,
    )
  }
  return error
}

export function exitOnStartupError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`)
    process.exit(78) // EX_CONFIG
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  startServer().catch(exitOnStartupError)
}
