import { X509Certificate } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'
import { createHttpsServer } from './helpers/app.js'
import { closedAfterTest, useTempDir } from './helpers/fixtures.js'
import { authorization } from './helpers/http.js'
import { run, runCli, startServer } from './helpers/process.js'

const TOKEN = 'sktsec_tls_test_token_0123456789'

/** A GET over HTTPS trusting only `ca`; resolves with the status and body, rejects on a TLS failure. */
function httpsGet(url: string, ca: string | undefined, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('HTTPS (docs/tls.md)', () => {
  const tmp = useTempDir('tls', { shared: true })
  let dir: string
  let certFile: string
  let keyFile: string
  let cert: string

  beforeAll(async () => {
    dir = tmp.path
    const created = await runCli(['tls', 'create-cert', '--out-dir', join(dir, 'tls'), '--json'], {})
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    const printed = JSON.parse(created.stdout)
    certFile = printed.certFile
    keyFile = printed.keyFile
    cert = readFileSync(certFile, 'utf8')
  })

  it('creates a self-signed certificate for 127.0.0.1, localhost and ::1, its key readable by its owner only', async () => {
    expect(certFile).toBe(join(dir, 'tls', 'cert.pem'))
    expect(keyFile).toBe(join(dir, 'tls', 'key.pem'))
    const x509 = new X509Certificate(cert)
    expect(x509.subjectAltName?.split(', ').sort()).toEqual([
      'DNS:localhost',
      'IP Address:0:0:0:0:0:0:0:1',
      'IP Address:127.0.0.1',
    ])
    expect(x509.issuer).toBe(x509.subject)
    expect(x509.ca).toBe(false)
    expect(x509.checkPrivateKey((await import('node:crypto')).createPrivateKey(readFileSync(keyFile)))).toBe(true)
    const days = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / 86_400_000
    expect(Math.round(days)).toBe(365)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)

    const again = await runCli(['tls', 'create-cert', '--out-dir', join(dir, 'tls')], {})
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('exist (--force replaces them)')
    expect(readFileSync(certFile, 'utf8')).toBe(cert)
  })

  it('serves the API over TLS when TLS_CERT_FILE and TLS_KEY_FILE are set, trusted through the ca option', async () => {
    const server = closedAfterTest(
      await createHttpsServer(
        { certFile, keyFile },
        { orgs: [{ slug: 'acme', tokens: [{ token: TOKEN }], repos: [{ slug: 'web' }] }] },
      ),
    )
    const api = await server.listen()
    expect(api).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v0$/)
    const port = new URL(api).port
    const auth = { authorization: authorization(TOKEN, 'basic') }
    for (const base of [api, `https://localhost:${port}/v0`]) {
      const repo = await httpsGet(`${base}/orgs/acme/repos/web`, cert, auth)
      expect(repo.status).toBe(200)
      expect(JSON.parse(repo.body)).toMatchObject({ slug: 'web' })
    }
    // Not trusted: the client refuses the certificate (what --allow-unverified / NODE_EXTRA_CA_CERTS are for).
    await expect(httpsGet(`${api}/orgs/acme/repos/web`, undefined, auth)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    })
    // Plain HTTP on the TLS port gets no API answer.
    const plain = await fetch(`http://127.0.0.1:${port}/v0/openapi.json`).then(
      (res) => res.status,
      () => 'refused',
    )
    expect(plain).not.toBe(200)
  })

  it('runs the server binary over TLS; Node clients trust it with NODE_EXTRA_CA_CERTS', async () => {
    const server = await startServer({
      DATABASE_PATH: ':memory:',
      BOOTSTRAP_TOKEN: TOKEN,
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: keyFile,
    })
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const client = join(dir, 'client.mjs')
      writeFileSync(
        client,
        `const res = await fetch(process.argv[2], { headers: { authorization: 'Bearer ${TOKEN}' } })\n` +
          'process.stdout.write(JSON.stringify({ status: res.status, body: await res.json() }))\n',
      )
      const trusted = await run(client, [`${server.url}/v0/organizations`], { NODE_EXTRA_CA_CERTS: certFile })
      expect(trusted.stderr).toBe('')
      const answer = JSON.parse(trusted.stdout)
      expect(answer.status).toBe(200)
      expect(Object.values(answer.body.organizations)).toMatchObject([{ slug: 'my-org', plan: 'enterprise' }])
      const untrusted = await run(client, [`${server.url}/v0/organizations`], {})
      expect(untrusted.code).not.toBe(0)
      expect(untrusted.stderr).toContain('self-signed certificate')
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })

  describe('configuration', () => {
    const base = { DATABASE_PATH: ':memory:' }
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env })
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError)
        return (error as Error).message
      }
      throw new Error('expected a ConfigError')
    }

    it('is HTTP without either variable, HTTPS with both', () => {
      expect(loadConfig(base).tls).toBeUndefined()
      expect(loadConfig({ ...base, TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile }).tls).toEqual({ certFile, keyFile })
    })

    it('names the variable that is missing, unreadable, not PEM, or the wrong key', async () => {
      expect(problem({ TLS_CERT_FILE: certFile })).toContain('TLS_KEY_FILE: must be set too when TLS_CERT_FILE is')
      expect(problem({ TLS_KEY_FILE: keyFile })).toContain('TLS_CERT_FILE: must be set too when TLS_KEY_FILE is')
      const missing = join(dir, 'nope.pem')
      expect(problem({ TLS_CERT_FILE: missing, TLS_KEY_FILE: keyFile })).toContain(
        `TLS_CERT_FILE: cannot read "${missing}" (ENOENT)`,
      )
      expect(problem({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: missing })).toContain('TLS_KEY_FILE: cannot read')
      expect(problem({ TLS_CERT_FILE: keyFile, TLS_KEY_FILE: keyFile })).toContain('TLS_CERT_FILE: ')
      expect(problem({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: certFile })).toContain('TLS_KEY_FILE: ')
      const other = await runCli(['tls', 'create-cert', '--out-dir', join(dir, 'other')], {})
      expect(other.code).toBe(0)
      const wrongKey = problem({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: join(dir, 'other', 'key.pem') })
      expect(wrongKey).toContain('TLS_KEY_FILE: is not the key of the certificate in TLS_CERT_FILE')
      // The key's contents are never echoed.
      expect(wrongKey).not.toContain('PRIVATE KEY')
    })
  })
})
