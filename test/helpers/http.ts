import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import type { FastifyInstance } from 'fastify'

/**
 * How tests talk HTTP to the server, in one place. In process, a test calls `request(t, …)` or
 * `t.app.inject` (./app.ts: the TestApp carries the Authorization values); over a real socket
 * (`t.listen()`) it uses what is here:
 * `listen` (a free port of 127.0.0.1), `call` (fetch that leaves redirects alone) and `exchange`
 * (bytes written as they are, for what fetch refuses or normalises: a client's exact header order
 * and casing, two Authorization headers, raw UTF-8 in a header).
 */

export type AuthScheme = 'bearer' | 'basic'

/** The Authorization value of a token: Bearer, or Basic with the token as user and an empty password (Socket's clients). */
export function authorization(token: string, scheme: AuthScheme = 'bearer'): string {
  return scheme === 'bearer' ? `Bearer ${token}` : `Basic ${Buffer.from(`${token}:`).toString('base64')}`
}

/** Where a server listens, for a socket (`exchange`). */
export interface Target {
  host: string
  port: number
  /** TLS without verifying the certificate: the Python scanner's --allow-unverified. */
  tls?: { rejectUnauthorized: false }
}

export function targetOf(url: string, tls?: Target['tls']): Target {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: Number(parsed.port), ...(tls ? { tls } : {}) }
}

export interface Listening {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** The API base URL as Socket's clients take it: `<origin>/v0/`. */
  base: string
  port: number
  target: Target
}

/** Listens on a free port of 127.0.0.1 (closed with the app). */
export async function listen(app: FastifyInstance): Promise<Listening> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('not listening on a TCP port')
  const origin = `http://127.0.0.1:${address.port}`
  return { origin, base: `${origin}/v0/`, port: address.port, target: { host: '127.0.0.1', port: address.port } }
}

/** fetch with the redirect left alone (a 302 is an answer here, not something to follow). */
export async function call(
  origin: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = authorization(options.token)
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${origin}${path}`, {
    method,
    headers,
    redirect: 'manual',
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) }
}

export interface WireResponse {
  /** 0 when nothing that looks like a status line came back. */
  status: number
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: string
  // biome-ignore lint/suspicious/noExplicitAny: bodies are read as light-my-request's json() reads them
  json(): any
}

/**
 * Writes `raw` on a fresh connection (plain or TLS) and resolves with the one response: as soon as
 * its body is complete (Content-Length or chunked), or with what arrived when the server closes the
 * connection (it may reset it right after answering, e.g. a 431). Nothing is added to or normalised
 * in the request: header names, order, casing, the raw query string and the body bytes are the test's.
 */
export function exchange(target: Target | number, raw: string | Buffer, timeoutMs = 10_000): Promise<WireResponse> {
  const to = typeof target === 'number' ? { host: '127.0.0.1', port: target } : target
  return new Promise((resolve, reject) => {
    const socket: Socket = to.tls
      ? connectTls({ host: to.host, port: to.port, rejectUnauthorized: false })
      : connectTcp({ host: to.host, port: to.port })
    let received = Buffer.alloc(0)
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      outcome()
    }
    const timer = setTimeout(() => settle(() => reject(new Error('raw HTTP request timed out'))), timeoutMs)
    socket.once(to.tls ? 'secureConnect' : 'connect', () => socket.write(raw))
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const response = parseResponse(received, false)
      if (response) settle(() => resolve(response))
    })
    // A reset after the answer arrived is the server closing, not a failure: what arrived counts.
    socket.on('error', (error) => {
      if (received.length === 0) settle(() => reject(error))
    })
    socket.on('close', () => {
      const response = parseResponse(received, true)
      settle(() =>
        response
          ? resolve(response)
          : reject(new Error(`connection closed before a whole response: ${received.toString()}`)),
      )
    })
  })
}

/** The response in `data`, or undefined while it is incomplete (`closed`: the rest will never come). */
function parseResponse(data: Buffer, closed: boolean): WireResponse | undefined {
  const headerEnd = data.indexOf('\r\n\r\n')
  if (headerEnd < 0 && !closed) return undefined
  if (headerEnd < 0 && data.length === 0) return undefined
  const head = data.subarray(0, headerEnd < 0 ? data.length : headerEnd).toString('latin1')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let rest = headerEnd < 0 ? Buffer.alloc(0) : data.subarray(headerEnd + 4)
  let body: Buffer
  if (headers['transfer-encoding'] === 'chunked') {
    const chunks: Buffer[] = []
    for (;;) {
      const lineEnd = rest.indexOf('\r\n')
      const size = lineEnd < 0 ? Number.NaN : Number.parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16)
      const complete = lineEnd >= 0 && rest.length >= lineEnd + 2 + size + 2
      if (!complete || size === 0) {
        if (!complete && !closed) return undefined
        break
      }
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      rest = rest.subarray(lineEnd + 2 + size + 2)
    }
    body = Buffer.concat(chunks)
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length'])
    if (rest.length < length && !closed) return undefined
    body = rest.subarray(0, length)
  } else if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    body = Buffer.alloc(0)
  } else {
    // No length: the body runs until the server closes the connection.
    if (!closed) return undefined
    body = rest
  }
  const text = body.toString('utf8')
  return { status, headers, body: text, json: () => JSON.parse(text) }
}
