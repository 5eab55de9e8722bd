import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { z } from 'zod'

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body as received (JSON text), kept by the body parser for the journal. */
    rawBody: string | undefined
  }
  interface FastifyInstance {
    /** The latest API requests received; read and cleared through /_admin/requests and `createServer()`. */
    requestJournal: RequestJournal
  }
}

/** One API request as the journal shows it. Never a header: no token value, no Authorization, no admin secret. */
export interface JournalEntry {
  /** Increases by one per journaled request since start (or since the journal was cleared). */
  seq: number
  /** When the request arrived, ISO 8601. */
  time: string
  requestId: string
  method: string
  /** Path and query string as received (at most `URL_CHARS` characters). */
  url: string
  /** The spec's operationId of the route; null for a path that is no operation (404). */
  operationId: string | null
  /** The org slug of the path, when it has one. */
  org: string | null
  /** The token the request authenticated with: its id and name, never its value. */
  token: { id: string; name: string } | null
  status: number
  durationMs: number
  /** The body as sent, cut to REQUEST_JOURNAL_BODY_BYTES; null when there was none. */
  body: string | null
  bodyTruncated: boolean
}

export const journalFilter = z
  .object({
    operationId: z.string().min(1).optional(),
    status: z.coerce.number().int().min(100).max(599).optional(),
    org: z.string().min(1).optional(),
    /** Only requests that arrived at or after this time (ISO 8601). */
    since: z.iso.datetime({ offset: true }).optional(),
    /** The newest `limit` matches (default 100). */
    limit: z.coerce.number().int().min(1).max(100_000).default(100),
  })
  .strict()

export interface JournalFilter {
  operationId?: string
  status?: number
  org?: string
  since?: string | Date
  limit?: number
}

/** Longest URL kept, so that an entry's size is bounded whatever a client sends. */
const URL_CHARS = 2048

/** What the hot path stores: one flat object per request, made presentable only when listed. */
export interface Recorded {
  seq: number
  at: number
  requestId: string
  method: string
  url: string
  operationId: string | null
  org: string | null
  tokenId: string | null
  tokenName: string | null
  status: number
  durationMs: number
  /** The raw body as received; cut to the limit by `record`. */
  body: string | null | undefined
  bodyTruncated: boolean
}

export interface RequestJournal {
  /** Entries kept at most; 0 when the journal is off. */
  readonly capacity: number
  /** Requests journaled since start or the last clear, including those no longer kept. */
  readonly recorded: number
  /** Matching entries, newest first. */
  list(filter?: JournalFilter): JournalEntry[]
  clear(): void
}

/**
 * A ring of the last `capacity` requests: a fixed array overwritten in turn, so memory is bounded by
 * capacity × (body limit + URL limit + a few small fields) however many requests arrive.
 */
export function createJournal(capacity: number, bodyBytes: number) {
  let ring: (Recorded | undefined)[] = new Array(capacity)
  let seq = 0

  function keepBody(text: string | undefined): [string | null, boolean] {
    if (text === undefined || text === '') return [null, false]
    // A UTF-16 unit is 1 to 3 UTF-8 bytes: most bodies are kept without being measured, and a long one is
    // cut after encoding only its first `bodyBytes` characters.
    if (text.length * 3 <= bodyBytes) return [text, false]
    const head = Buffer.from(text.length > bodyBytes ? text.slice(0, bodyBytes) : text)
    if (text.length <= bodyBytes && head.length <= bodyBytes) return [text, false]
    // A character cut in two decodes as U+FFFD: drop it.
    const cut = head.subarray(0, bodyBytes).toString()
    return [cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut, true]
  }

  /** A copy, not a slice: V8 slices keep their whole parent string alive. */
  function keepUrl(url: string): string {
    return url.length > URL_CHARS ? Buffer.from(url.slice(0, URL_CHARS)).toString() : url
  }

  return {
    capacity,
    get recorded() {
      return seq
    },
    /** Keeps `entry` (its `seq`, `body` and `url` are set here): no copy on the hot path. */
    record(entry: Recorded) {
      if (capacity === 0) return
      const [body, bodyTruncated] = keepBody(entry.body ?? undefined)
      entry.body = body
      entry.bodyTruncated = bodyTruncated
      entry.url = keepUrl(entry.url)
      entry.seq = ++seq
      ring[(seq - 1) % capacity] = entry
    },
    list(filter: JournalFilter = {}): JournalEntry[] {
      const since = filter.since === undefined ? undefined : new Date(filter.since).getTime()
      const limit = filter.limit ?? 100
      const found: JournalEntry[] = []
      for (let i = seq - 1; i >= Math.max(0, seq - capacity) && found.length < limit; i--) {
        const e = ring[i % capacity]
        if (!e) continue
        if (filter.operationId !== undefined && e.operationId !== filter.operationId) continue
        if (filter.status !== undefined && e.status !== filter.status) continue
        if (filter.org !== undefined && e.org !== filter.org) continue
        if (since !== undefined && e.at < since) continue
        found.push({
          seq: e.seq,
          time: new Date(e.at).toISOString(),
          requestId: e.requestId,
          method: e.method,
          url: e.url,
          operationId: e.operationId,
          org: e.org,
          token: e.tokenId === null ? null : { id: e.tokenId, name: e.tokenName ?? '' },
          status: e.status,
          durationMs: e.durationMs,
          body: e.body ?? null,
          bodyTruncated: e.bodyTruncated,
        })
      }
      return found
    },
    clear() {
      ring = new Array(capacity)
      seq = 0
    },
  }
}

/**
 * The request journal: every request under /v0 (Socket's API, matched or not) is recorded when its
 * response is done — what a CI test asserts on ("the pipeline created repo X, private") without a
 * proxy. Off with REQUEST_JOURNAL_SIZE=0: then no hook runs at all.
 */
async function requestJournalPlugin(fastify: FastifyInstance) {
  const { size, bodyBytes } = fastify.config.requestJournal
  const journal = createJournal(size, bodyBytes)
  fastify.decorate('requestJournal', journal)
  fastify.decorateRequest('rawBody', undefined)
  if (size === 0) return

  fastify.addHook('onResponse', (request, reply, done) => {
    const url = request.url
    if (url.startsWith('/v0')) {
      const principal = request.principal
      const org = (request.params as { org_slug?: unknown } | undefined)?.org_slug
      const durationMs = reply.elapsedTime
      journal.record({
        seq: 0,
        // Whole milliseconds on both sides, so an arrival is never dated before a clock read that preceded it.
        at: Date.now() - Math.floor(durationMs),
        requestId: request.id,
        method: request.method,
        url,
        operationId: request.routeOptions.config.operationId ?? null,
        org: typeof org === 'string' ? org : null,
        tokenId: principal ? principal.tokenId : null,
        tokenName: principal ? principal.tokenName : null,
        status: reply.statusCode,
        durationMs: Math.round(durationMs * 1000) / 1000,
        body: request.rawBody,
        bodyTruncated: false,
      })
    }
    done()
  })
}

export default fp(requestJournalPlugin, {
  name: 'request-journal',
  fastify: '5.x',
  dependencies: ['services', 'auth'],
})
