import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join, resolve } from 'node:path'

/**
 * A self-signed certificate for local HTTPS (docs/tls.md): Socket's Python scanner refuses a plain
 * http API URL. The X.509 encoding is selfsigned's (over @peculiar/x509 and WebCrypto): Node's
 * crypto parses certificates but cannot issue one.
 */

export const DEFAULT_TLS_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1']

export interface SelfSignedOptions {
  /** Folder for `cert.pem` and `key.pem`; created if missing. */
  outDir: string
  /** DNS names and IP addresses the certificate is valid for (its subjectAltName). */
  hosts?: readonly string[]
  days?: number
  /** Replace existing files instead of refusing. */
  force?: boolean
}

export interface SelfSignedFiles {
  certFile: string
  keyFile: string
  /** SHA-1 fingerprint of the certificate, as printed by browsers and `openssl x509 -fingerprint`. */
  fingerprint: string
  notAfter: Date
}

export class CertificateExistsError extends Error {
  override name = 'CertificateExistsError'
}

export async function createSelfSignedCertificate(options: SelfSignedOptions): Promise<SelfSignedFiles> {
  const hosts = options.hosts && options.hosts.length > 0 ? options.hosts : DEFAULT_TLS_HOSTS
  const days = options.days ?? 365
  const outDir = resolve(options.outDir)
  const certFile = join(outDir, 'cert.pem')
  const keyFile = join(outDir, 'key.pem')
  if (!options.force) {
    const existing = [certFile, keyFile].filter((file) => existsSync(file))
    if (existing.length > 0) throw new CertificateExistsError(`${existing.join(' and ')} exist (--force replaces them)`)
  }

  const notBeforeDate = new Date()
  const notAfter = new Date(notBeforeDate.getTime() + days * 86_400_000)
  const commonName = hosts.find((host) => isIP(host) === 0) ?? hosts[0] ?? 'localhost'
  // Loaded on use: the admin CLI's other commands should not pay for an X.509 library at start.
  const { generate } = await import('selfsigned')
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((host) => (isIP(host) === 0 ? { type: 2, value: host } : { type: 7, ip: host })),
      },
    ],
  })

  mkdirSync(outDir, { recursive: true })
  writeFileSync(certFile, pems.cert, { mode: 0o644 })
  // The key is readable by its owner only.
  writeFileSync(keyFile, pems.private, { mode: 0o600 })
  return { certFile, keyFile, fingerprint: pems.fingerprint, notAfter }
}
