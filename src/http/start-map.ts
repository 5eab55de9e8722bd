import type { AddressInfo } from 'node:net'
import type { Config } from '../config.js'

/** Where a browser or a client reaches a server bound to `address` (a wildcard bind is reached on loopback). */
export function reachableBaseUrl(address: AddressInfo | string | null, scheme = 'http'): string {
  if (!address || typeof address === 'string') return `${scheme}://127.0.0.1`
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${address.port}`
}

/** Which database the server uses; a PostgreSQL URL without its user and password. */
export function databaseLine(config: Config): string {
  if (config.databaseUrl !== undefined) {
    const url = new URL(config.databaseUrl)
    const schema = /search_path=([^\s&]+)/.exec(url.searchParams.get('options') ?? '')?.[1]
    return `PostgreSQL ${url.host}${url.pathname}${schema ? ` (schema ${schema})` : ''}`
  }
  return config.databasePath === ':memory:' ? ':memory: (gone when the process exits)' : config.databasePath
}

/** The few lines printed once the server listens: where the API, its docs and its data are. */
export function startMap(config: Config, baseUrl: string): string {
  const journal = config.requestJournal.size
  return [
    '',
    `socket-repos-server is up: ${baseUrl}/`,
    `  API base URL:    ${baseUrl}/v0`,
    `  docs:            ${baseUrl}/docs (spec: ${baseUrl}/openapi.json)`,
    `  database:        ${databaseLine(config)}`,
    `  admin API:       ${config.adminSecret ? `on, ${baseUrl}/_admin (header X-Admin-Secret)` : 'off (set ADMIN_SECRET to turn it on)'}`,
    `  request journal: ${journal > 0 ? `the last ${journal} API requests${config.adminSecret ? ', GET /_admin/requests' : ''}` : 'off'}`,
    '',
    '',
  ].join('\n')
}
