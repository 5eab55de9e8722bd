import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Services } from '../../services/index.js'
import { type OperationId, principalOf } from '../handlers/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Serialized list pages, each answered while the version it was made from is current. */
    listCache: ResponseCache
  }
  interface FastifyRequest {
    /** On a cache miss of a cached list: where its answer goes once serialized. */
    listCacheMiss: { key: string; version: string } | null
  }
}

/**
 * The cached lists: operations whose 200 body is a function of the caller's org, the request URL and
 * the version given here (the version of what the list is made from: db/data-versions.ts). Their
 * handlers return data as any other; this plugin answers from the cache before the handler runs.
 */
const cachedLists = {
  getOrgRepoList: (services, orgId) => services.repos.listVersion(orgId),
  getOrgRepoLabelList: (services, orgId) => services.labels.listVersion(orgId),
} satisfies Partial<Record<OperationId, (services: Services, orgId: string) => Promise<string>>>

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Serialized response bodies, each stored with the version of the data it was made from and
 * answered only while that version is current: a list page is rendered once per change of what it
 * lists instead of once per request. Least recently used entries go first once the total size
 * (keys and bodies: a key holds the request URL, which the client chooses) passes `maxChars`.
 */
export function createResponseCache(options: { maxChars: number; maxEntryChars: number }) {
  const entries = new Map<string, { version: string; body: string }>()
  let size = 0

  function drop(key: string) {
    const entry = entries.get(key)
    if (!entry) return
    entries.delete(key)
    size -= key.length + entry.body.length
  }

  return {
    /** The body stored for `key` if it was made from `version`. */
    get(key: string, version: string): string | undefined {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.version !== version) {
        drop(key)
        return undefined
      }
      // Most recently used last.
      entries.delete(key)
      entries.set(key, entry)
      return entry.body
    },

    set(key: string, version: string, body: string): void {
      drop(key)
      if (key.length + body.length > options.maxEntryChars) return
      entries.set(key, { version, body })
      size += key.length + body.length
      for (const oldest of entries.keys()) {
        if (size <= options.maxChars) break
        drop(oldest)
      }
    },

    get size() {
      return entries.size
    },
  }
}

export type ResponseCache = ReturnType<typeof createResponseCache>

/**
 * The list cache. On a GET of a cached list (after auth, quota and validation), the version is read
 * first, then the page: a hit is sent as stored and the handler does not run; on a miss the handler
 * runs and its serialized 200 is kept under the version read before it. A write landing in between
 * leaves an entry under a version already gone, which is never answered.
 */
async function listCachePlugin(fastify: FastifyInstance) {
  // About 8 MB of UTF-16 at most; a page of 100 repos is some 40,000 characters.
  const cache = createResponseCache({ maxChars: 4_000_000, maxEntryChars: 200_000 })
  fastify.decorate('listCache', cache)
  fastify.decorateRequest('listCacheMiss', null)

  function answerFromCache(versionOf: (services: Services, orgId: string) => Promise<string>): preHandlerHookHandler {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.method !== 'GET') return
      const principal = principalOf(request)
      // The URL names the org too (as the principal's slug); the org id keeps a recreated org apart.
      const key = `${principal.orgId}\u0000${request.url}`
      const version = await versionOf(fastify.services, principal.orgId)
      const body = cache.get(key, version)
      if (body === undefined) {
        request.listCacheMiss = { key, version }
        return
      }
      return reply.type(JSON_TYPE).send(body)
    }
  }

  function keepAnswer(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: () => void) {
    const miss = request.listCacheMiss
    if (miss && reply.statusCode === 200 && typeof payload === 'string') cache.set(miss.key, miss.version, payload)
    done()
  }

  fastify.addHook('onRoute', (route) => {
    const operationId = route.config?.operationId
    if (operationId === undefined || !Object.hasOwn(cachedLists, operationId)) return
    const versionOf = cachedLists[operationId as keyof typeof cachedLists]
    route.preHandler = [...toArray(route.preHandler), answerFromCache(versionOf)]
    route.onSend = [...toArray(route.onSend), keepAnswer]
  })
}

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

export default fp(listCachePlugin, { name: 'list-cache', fastify: '5.x', dependencies: ['services', 'auth'] })
