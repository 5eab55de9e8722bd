import { authorization, exchange, type Target, type WireResponse } from '../helpers/http.js'

/**
 * Python clients replayed on the wire: their requests written byte for byte as Python `requests`
 * writes them, sent with `exchange` (test/helpers/http.ts), so nothing is added to or normalised in
 * what the client sends: header names, order, casing, the absence of Content-Type, the raw query
 * string and the body bytes are the client's.
 */

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
  /** Headers requests sets after Content-Length: the Content-Type of a `files=` (multipart) body. */
  trailing: [string, string][] = [],
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
  merged.push(...trailing)
  const lines = [`${method} ${pathAndQuery} HTTP/1.1`, `Host: ${target.host}:${target.port}`]
  for (const [name, value] of merged) lines.push(`${name}: ${value}`)
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`
}

/**
 * A `files=[(path, (name, fileobj))]` body as requests (urllib3) encodes it: one part per file named
 * by its path, with the file's base name and the type Python's mimetypes guesses from it.
 */
export function pythonMultipart(files: Record<string, string>, boundary: string): string {
  const typeOf = (name: string) =>
    name.endsWith('.json') ? 'application/json' : name.endsWith('.txt') ? 'text/plain' : 'application/octet-stream'
  const parts = Object.entries(files).map(([path, content]) => {
    const name = path.slice(path.lastIndexOf('/') + 1)
    return (
      `--${boundary}\r\nContent-Disposition: form-data; name="${path}"; filename="${name}"\r\n` +
      `Content-Type: ${typeOf(name)}\r\n\r\n${content}\r\n`
    )
  })
  return `${parts.join('')}--${boundary}--\r\n`
}

/**
 * socketdev's `API.do_request(path, files=…, method="POST")` (full-scan uploads): the same request
 * line and headers, a multipart body, and the Content-Type requests adds after Content-Length.
 */
export function socketdevUpload(target: Target, userAgent: string, token: string) {
  const boundary = '3d6b6a416f9b4c5a8e2f0c1d7e9a4b2c'
  return (path: string, files: Record<string, string>): Promise<WireResponse> =>
    exchange(
      target,
      pythonRequest(
        target,
        'POST',
        `/v0/${path}`,
        [
          ['Authorization', authorization(token, 'basic')],
          ['User-Agent', userAgent],
          ['accept', 'application/json'],
        ],
        pythonMultipart(files, boundary),
        [['Content-Type', `multipart/form-data; boundary=${boundary}`]],
      ),
    )
}

/**
 * socketdev's `API.do_request(path, payload, method)` (socketdev 3.5.0, under Socket's Python CI
 * scanner too): `f"{api_url}/{path}"` with `Authorization: Basic base64("<token>:")`, the caller's
 * User-Agent and `accept: application/json`; bodies are strings without a Content-Type.
 */
export function socketdevRequest(target: Target, userAgent: string, defaultToken: string) {
  return (method: string, path: string, payload?: string, token = defaultToken): Promise<WireResponse> =>
    exchange(
      target,
      pythonRequest(
        target,
        method,
        `/v0/${path}`,
        [
          ['Authorization', authorization(token, 'basic')],
          ['User-Agent', userAgent],
          ['accept', 'application/json'],
        ],
        payload,
      ),
    )
}
