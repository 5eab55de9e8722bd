/**
 * Reads an org token from an Authorization header, as Socket accepts it: `Bearer <token>`, or
 * `Basic base64(<token>:)` with the token as the user name (what Socket's SDK and CLI send; a
 * password, if any, is ignored). Scheme names are case-insensitive (RFC 9110 §11.1).
 */
export type Credentials =
  | { scheme: 'bearerAuth'; token: string }
  | { scheme: 'basicAuth'; token: string }
  | { scheme: null; problem: string }

export function readCredentials(header: string | string[] | undefined): Credentials {
  if (header === undefined || header === '') return { scheme: null, problem: 'missing' }
  if (Array.isArray(header)) return { scheme: null, problem: 'several Authorization headers' }
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header)
  if (!match) return { scheme: null, problem: 'malformed Authorization header' }
  const scheme = (match[1] as string).toLowerCase()
  const value = match[2] as string
  if (scheme === 'bearer') return { scheme: 'bearerAuth', token: value }
  if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 === 1) {
      return { scheme: null, problem: 'malformed Basic credentials' }
    }
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const user = colon === -1 ? decoded : decoded.slice(0, colon)
    if (user === '') return { scheme: null, problem: 'empty Basic user name' }
    return { scheme: 'basicAuth', token: user }
  }
  return { scheme: null, problem: `unsupported scheme ${scheme}` }
}
