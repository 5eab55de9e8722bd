import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'

/**
 * Wire replay: a client's request written byte for byte onto a socket of a listening server (plain
 * or TLS), and the one response read back. No HTTP library in between, so nothing is added to or
 * normalised in what the client sends: header names, order, casing, the absence of Content-Type,
 * the raw query string and the body bytes are the client's.
 */

export interface Target {
  host: string
  port: number
  /** TLS without verifying the certificate: the Python scanner's --allow-unverified. */
  tls?: { rejectUnauthorized: false }
}

export interface WireResponse {
  status: number
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: string
  // biome-ignore lint/suspicious/noExplicitAny: bodies are read as light-my-request's json() reads them
  json(): any
}

export function targetOf(url: string, tls?: Target['tls']): Target {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: Number(parsed.port), ...(tls ? { tls } : {}) }
}

/** Sends `raw` and resolves with the response once its body is complete (Content-Length or chunked). */
export function exchange(target: Target, raw: string): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const socket: Socket = target.tls
      ? connectTls({ host: target.host, port: target.port, rejectUnauthorized: false })
      : connectTcp({ host: target.host, port: target.port })
    let received = Buffer.alloc(0)
    const finish = (response: WireResponse) => {
      socket.destroy()
      resolve(response)
    }
    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.write(raw))
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const response = parse(received)
      if (response) finish(response)
    })
    socket.on('error', reject)
    socket.on('end', () => reject(new Error(`connection closed before a whole response: ${received.toString()}`)))
  })
}

function parse(data: Buffer): WireResponse | undefined {
  const headerEnd = data.indexOf('\r\n\r\n')
  if (headerEnd < 0) return undefined
  const [statusLine = '', ...lines] = data.subarray(0, headerEnd).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1])
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let rest = data.subarray(headerEnd + 4)
  let body: Buffer
  if (headers['transfer-encoding'] === 'chunked') {
    const chunks: Buffer[] = []
    for (;;) {
      const lineEnd = rest.indexOf('\r\n')
      if (lineEnd < 0) return undefined
      const size = Number.parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16)
      if (rest.length < lineEnd + 2 + size + 2) return undefined
      if (size === 0) break
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      rest = rest.subarray(lineEnd + 2 + size + 2)
    }
    body = Buffer.concat(chunks)
  } else {
    const length = Number(headers['content-length'] ?? 0)
    if (rest.length < length) return undefined
    body = rest.subarray(0, length)
  }
  const text = body.toString('utf8')
  return { status, headers, body: text, json: () => JSON.parse(text) }
}

export const basic = (token: string) => `Basic ${Buffer.from(`${token}:`).toString('base64')}`

/**
 * A request as Python `requests` 2.x writes it for `requests.request(method, url, headers=h, data=body)`
 * (captured from requests 2.34 on the wire): Host, then the session defaults (User-Agent,
 * Accept-Encoding, Accept, Connection) with the caller's headers overriding them in place, the
 * caller's other headers in order, then Content-Length — and no Content-Type for a `str` body.
 * A body-less request other than GET/HEAD carries `Content-Length: 0`.
 */
export function pythonRequest(
  target: Target,
  method: string,
  pathAndQuery: string,
  headers: [string, string][],
  body?: string,
): string {
  const defaults: [string, string][] = [
    ['User-Agent', 'python-requests/2.34.2'],
    ['Accept-Encoding', 'gzip, deflate'],
    ['Accept', '*/*'],
    ['Connection', 'keep-alive'],
  ]
  const merged = defaults.map(([name, value]): [string, string] => {
    const own = headers.find(([n]) => n.toLowerCase() === name.toLowerCase())
    return own ?? [name, value]
  })
  for (const header of headers) {
    if (!defaults.some(([n]) => n.toLowerCase() === header[0].toLowerCase())) merged.push(header)
  }
  if (body !== undefined) merged.push(['Content-Length', String(Buffer.byteLength(body))])
  else if (method !== 'GET' && method !== 'HEAD') merged.push(['Content-Length', '0'])
  const lines = [`${method} ${pathAndQuery} HTTP/1.1`, `Host: ${target.host}:${target.port}`]
  for (const [name, value] of merged) lines.push(`${name}: ${value}`)
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`
}
