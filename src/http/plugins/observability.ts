import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import cors from '@fastify/cors'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Histogram, Registry } from 'prom-client'
import { errorBody } from './error-handler.js'

/** Request ids we accept from a caller; anything else (too long, odd characters) is replaced. */
const acceptableRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/

/** `X-Request-Id` on the way in (honoured when sane) and out, and in every log line as `reqId`. */
export function requestId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = request.headers['x-request-id']
  return typeof incoming === 'string' && acceptableRequestId.test(incoming) ? incoming : randomUUID()
}

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string
}

/** Whether a request's Accept header asks for HTML before JSON (a browser does; curl and SDKs do not). */
function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false
  const html = accept.indexOf('text/html')
  const json = accept.indexOf('application/json')
  return html !== -1 && (json === -1 || html < json)
}

function indexHtml(links: Record<string, string>): string {
  const items = Object.entries(links)
    .map(([name, href]) => `<li>${name}: <a href="${href}">${href}</a></li>`)
    .join('')
  return `<!doctype html><html><head><meta charset="utf-8"><title>socket-repos-server</title></head><body><h1>socket-repos-server ${version}</h1><p>Socket's Repos &amp; Repo Labels API, self-hosted.</p><ul>${items}</ul></body></html>`
}

/**
 * Prometheus metrics at /metrics: requests by operationId (or route), method and status, their latency,
 * and the quota step's refusals. Each route gets its own onResponse hook (added as it is registered)
 * that knows its label and keeps its labelled children, so a response costs no label lookup and no
 * allocation; requests that match no route are counted by one app-wide hook as `unmatched`. A series
 * appears on its first observation.
 */
function registerMetrics(fastify: FastifyInstance) {
  const registry = new Registry()
  const requests = new Counter({
    name: 'socket_repos_http_requests_total',
    help: 'HTTP requests by operationId (or route) and status code',
    labelNames: ['operation', 'method', 'status'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'socket_repos_http_request_duration_seconds',
    help: 'Time from request to response, by operationId (or route)',
    labelNames: ['operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const quotaRejections = new Counter({
    name: 'socket_repos_quota_rejections_total',
    help: 'Requests refused by the quota step (429 exhausted, 403 max_quota), by operationId',
    labelNames: ['operation', 'reason'] as const,
    registers: [registry],
  })

  function recorder(operation: string) {
    let histogram: Histogram.Internal<'operation'> | undefined
    const counters = new Map<string, Map<number, Counter.Internal>>()
    return function recordMetrics(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      const method = request.method
      const status = reply.statusCode
      let byStatus = counters.get(method)
      if (byStatus === undefined) {
        byStatus = new Map()
        counters.set(method, byStatus)
      }
      let counter = byStatus.get(status)
      if (counter === undefined) {
        counter = requests.labels({ operation, method, status: String(status) })
        byStatus.set(status, counter)
      }
      counter.inc()
      histogram ??= duration.labels({ operation })
      histogram.observe(reply.elapsedTime / 1000)
      if (request.quotaRejection) quotaRejections.inc({ operation, reason: request.quotaRejection })
      done()
    }
  }

  fastify.addHook('onRoute', (route) => {
    if (route.url === '/metrics') return
    const hook = recorder(route.config?.operationId ?? route.url)
    // A new array: Fastify copies a GET route's options for its HEAD route, whose own onRoute adds its hook.
    route.onResponse = [...(route.onResponse === undefined ? [] : [route.onResponse].flat()), hook]
  })
  const unmatched = recorder('unmatched')
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.is404) unmatched(request, reply, done)
    else done()
  })

  fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}

/**
 * What operators need to watch and reach the API: request ids, CORS, an index at /, /health and /ready,
 * Prometheus /metrics (requests, latency, and the quota step's refusals). None of these routes is metered
 * or authenticated. (The request log line is the app's LogController, src/http/request-log.ts.)
 */
async function observabilityPlugin(fastify: FastifyInstance) {
  const { config, services } = fastify
  // First, so that every route registered from here on is counted (CORS's preflight route too).
  if (config.metrics) registerMetrics(fastify)

  // Hooks on every request are callback-style: no promise per hook on the hot path.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })

  if (config.corsOrigins.length > 0) {
    await fastify.register(cors, {
      origin: config.corsOrigins.includes('*') ? true : [...config.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
      exposedHeaders: [
        'retry-after',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
        'x-request-id',
      ],
      maxAge: 600,
    })
  }

  // Outside Socket's API: no auth, no quota, not in the spec. JSON unless the client prefers HTML.
  const links = {
    api: '/v0',
    docs: '/docs',
    openapi: '/openapi.json',
    health: '/health',
    ready: '/ready',
    ...(config.metrics ? { metrics: '/metrics' } : {}),
  }
  fastify.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (prefersHtml(request.headers.accept)) return reply.type('text/html; charset=utf-8').send(indexHtml(links))
    return { name: 'socket-repos-server', version, links }
  })

  fastify.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  fastify.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const checks = await services.health.check()
    const ready = checks.database && checks.migrations
    if (!ready) return reply.code(503).send(errorBody('Not ready', checks))
    return { status: 'ok', checks }
  })
}

export default fp(observabilityPlugin, {
  name: 'observability',
  fastify: '5.x',
  dependencies: ['services', 'error-handler', 'quota'],
  decorators: { fastify: ['services', 'config'], request: ['quotaRejection'] },
})
