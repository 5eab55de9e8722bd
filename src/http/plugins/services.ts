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

/** Makes the config and the services available to every plugin and handler, and closes them with the app. */
async function servicesPlugin(fastify: FastifyInstance, options: ServicesPluginOptions) {
  fastify.decorate('config', options.config)
  fastify.decorate('services', options.services)
  fastify.addHook('onClose', async () => {
    await options.services.close()
    await options.close()
  })
}

export default fp(servicesPlugin, { name: 'services', fastify: '5.x' })
