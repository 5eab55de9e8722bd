import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../../config.js'
import type { Services } from '../../services/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    services: Services
  }
}

export interface ServicesPluginOptions {
  config: Config
  services: Services
  /** Called when the app closes, after the services gave back what they hold: closes the database. */
  close: () => void | Promise<void>
}

/** How often audit-log events past AUDIT_LOG_RETENTION_DAYS are pruned (also once at start). */
export const AUDIT_PRUNE_INTERVAL_MS = 3_600_000

/** Makes the config and the services available to every plugin and handler, and closes them with the app. */
async function servicesPlugin(fastify: FastifyInstance, options: ServicesPluginOptions) {
  fastify.decorate('config', options.config)
  fastify.decorate('services', options.services)

  // Pruning runs beside the requests, never before one: a batch at a time (audit-service.ts).
  let pruneTimer: NodeJS.Timeout | undefined
  let closing = false
  const prune = () => {
    if (closing) return
    options.services.audit
      .prune()
      .catch((error: unknown) => fastify.log.warn({ err: error }, 'audit log pruning failed'))
  }
  fastify.addHook('onReady', async () => {
    if (options.config.auditLogRetentionDays <= 0) return
    setImmediate(prune)
    pruneTimer = setInterval(prune, AUDIT_PRUNE_INTERVAL_MS)
    pruneTimer.unref()
  })

  fastify.addHook('onClose', async () => {
    closing = true
    clearInterval(pruneTimer)
    await options.services.close()
    await options.close()
  })
}

export default fp(servicesPlugin, { name: 'services', fastify: '5.x' })
