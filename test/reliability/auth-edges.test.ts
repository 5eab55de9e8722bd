import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { grants } from '../../src/services/scopes.js'
import { createTestApp, issueToken, useTestApp } from '../helpers/app.js'
import { databaseEnv } from '../helpers/database.js'
import { tempDir } from '../helpers/fixtures.js'
import { exchange } from '../helpers/http.js'
import { runCli } from '../helpers/process.js'
import { fillPath, type SpecOperation, specOperations } from './operations.js'
import { socketErrorProblem } from './support.js'

/**
 * Authentication edge cases (docs/auth-and-scopes.md): revoked tokens, tokens of deleted orgs,
 * umbrella and exact scopes, odd Basic and Bearer spellings, two Authorization headers, very long
 * tokens and tokens with non-ASCII characters. Whatever the input: a documented 200/401/403 in
 * Socket's error body, never a 5xx.
 */

const INVALID = { error: { message: 'Invalid API token', details: null } }
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64')

/** A request for each operation of the spec that authentication lets through to the operation. */
function probeOf(op: SpecOperation, org: string, labelId: string, i: number) {
  const url = fillPath(op.path, {
    org_slug: org,
    repo_slug: 'no-such-repo',
    label_id: labelId,
    token_id: '999999',
    full_scan_id: '999',
    diff_scan_id: '00000000-0000-4000-8000-000000000000',
  })
  const query = op.parameters.some((p) => p.name === 'setting_key') ? '?setting_key=issueRules' : ''
  let payload: object | undefined
  if (op.operationId === 'createOrgRepo') payload = { slug: `auth-probe-${i}-${Math.random().toString(36).slice(2)}` }
  else if (op.operationId === 'createOrgRepoLabel') payload = { name: `auth-probe-${i}-${Math.random()}` }
  else if (op.operationId === 'updateOrgRepoLabel') payload = { name: 'renamed' }
  else if (op.body) payload = {}
  return { method: op.method, url: `${url}${query}`, ...(payload ? { payload } : {}) }
}

describe('authentication edge cases', () => {
  const t = useTestApp({}, { shared: true })
  let labelId: string
  // What a token can do: the operations that take one (not the open GET /report/supported).
  const operations = specOperations().filter((op) => op.authenticated)

  beforeAll(async () => {
    const label = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos/labels',
      headers: t.auth(),
      payload: { name: 'auth-label' },
    })
    labelId = label.json().id
  })

  const list = (authorization?: string) =>
    t.app.inject({
      method: 'GET',
      url: '/v0/orgs/acme/repos',
      headers: authorization === undefined ? {} : { authorization },
    })

  async function expectEveryOperation(token: string, status: number, body?: unknown) {
    for (const [i, op] of operations.entries()) {
      const response = await t.app.inject({ ...probeOf(op, 'acme', labelId, i), headers: t.auth(token) })
      expect(response.statusCode, `${op.operationId}: ${response.body}`).toBe(status)
      if (body) expect(response.json()).toEqual(body)
      expect(response.headers['x-ratelimit-remaining']).toBeUndefined()
    }
  }

  describe('revoked tokens and deleted orgs', () => {
    it('a token revoked in-process is refused at once by every operation (401, no quota spent)', async () => {
      const { token, secret } = await t.services.tokens.issue({ orgSlug: 'acme', maxQuota: 1000 })
      expect((await list(`Bearer ${secret}`)).statusCode).toBe(200)
      await t.services.tokens.revoke(token.id)
      await expectEveryOperation(secret, 401, INVALID)
      const stored = (await t.services.tokens.list('acme')).find((row) => row.id === token.id)
      expect(stored?.quotaUsed).toBe(1)
    })

    it("a deleted org's token is refused by every operation (401)", async () => {
      await t.services.orgs.create({ slug: 'doomed' })
      const secret = await issueToken(t.services, { orgSlug: 'doomed' })
      expect((await t.app.inject({ method: 'GET', url: '/v0/quota', headers: t.auth(secret) })).statusCode).toBe(200)
      await t.services.orgs.delete('doomed')
      t.services.tokens.clearCache()
      await expectEveryOperation(secret, 401, INVALID)
      for (const url of ['/v0/orgs/doomed/repos', '/v0/orgs/acme/repos']) {
        expect((await t.app.inject({ method: 'GET', url, headers: t.auth(secret) })).statusCode).toBe(401)
      }
    })

    it('revocation and org deletion by another process (the admin CLI): seen within AUTH_CACHE_TTL_MS, never a 5xx meanwhile', async () => {
      const ttl = 1000
      // The app's clock stands still while the CLI runs, then moves by exactly AUTH_CACHE_TTL_MS:
      // what expires is decided by the clock, not by how long the CLI takes on a loaded machine.
      let clock = Date.parse('2030-01-01T00:00:00Z')
      const databasePath = tempDir('auth-cli').file('socket.db')
      const file = await createTestApp({ config: { databasePath, authCacheTtlMs: ttl }, now: () => clock })
      const env = { ...(await databaseEnv(databasePath)), LOG_LEVEL: 'silent' }
      const { token: revoked, secret: revokedSecret } = await file.services.tokens.issue({ orgSlug: 'acme' })
      await file.services.orgs.create({ slug: 'gone' })
      const goneSecret = await issueToken(file.services, { orgSlug: 'gone' })
      const request = (secret: string, org: string) =>
        file.app.inject({ method: 'GET', url: `/v0/orgs/${org}/repos`, headers: file.auth(secret) })
      // Both tokens are verified now, hence cached; requests keep going while the CLI runs.
      expect((await request(revokedSecret, 'acme')).statusCode).toBe(200)
      expect((await request(goneSecret, 'gone')).statusCode).toBe(200)
      const seen: { revoked: number[]; gone: number[] } = { revoked: [], gone: [] }
      let cliDone = false
      const poll = async (which: 'revoked' | 'gone', secret: string, org: string) => {
        while (!cliDone) {
          const response = await request(secret, org)
          seen[which].push(response.statusCode)
          if (response.statusCode >= 400) expect(socketErrorProblem(response.body), response.body).toBeNull()
          // A request every 20 ms leaves the CPU to the CLI's process.
          await sleep(20)
        }
      }
      const polling = Promise.all([poll('revoked', revokedSecret, 'acme'), poll('gone', goneSecret, 'gone')])
      for (const args of [
        ['tokens', 'revoke', revoked.id],
        ['orgs', 'delete', 'gone'],
      ]) {
        const result = await runCli(args, env)
        expect(result.code, result.stderr).toBe(0)
      }
      cliDone = true
      await polling

      // Until the cached verification expires the revoked token still works (200); the deleted org's
      // token reads from its lease (200) until it needs its quota row, which is gone: 401. Never a 5xx.
      expect(seen.revoked.length + seen.gone.length).toBeGreaterThan(4)
      for (const status of seen.revoked) expect([200, 401]).toContain(status)
      for (const status of seen.gone) expect([200, 401]).toContain(status)
      // AUTH_CACHE_TTL_MS after the CLI's changes, both are refused.
      clock += ttl
      expect((await request(revokedSecret, 'acme')).statusCode, 'revoked token still accepted').toBe(401)
      expect((await request(goneSecret, 'gone')).statusCode, "deleted org's token still accepted").toBe(401)
      await expect(request(revokedSecret, 'acme').then((r) => r.json())).resolves.toEqual(INVALID)
      await expect(request(goneSecret, 'gone').then((r) => r.json())).resolves.toEqual(INVALID)
    }, 30_000)
  })

  describe('scopes: the exact scope or its umbrella, nothing else', () => {
    const scopeSets = [
      ['repo'],
      ['repo-label'],
      ['repo:list'],
      ['repo:create'],
      ['repo:update'],
      ['repo:delete'],
      ['repo-label:list'],
      ['repo-label:create'],
      ['repo-label:update'],
      ['repo-label:delete'],
      ['repo:list', 'repo-label:update'],
    ]
    it.each(scopeSets.map((scopes) => [scopes.join(' '), scopes] as const))(
      'a token with %s may call exactly the operations those scopes grant',
      async (_name, scopes) => {
        const token = await issueToken(t.services, { orgSlug: 'acme', scopes, maxQuota: 1000 })
        const quota = async () =>
          (await t.app.inject({ method: 'GET', url: '/v0/quota', headers: t.auth(token) })).json().quota
        for (const [i, op] of operations.entries()) {
          const allowed = op.scopes.every((scope) => grants(scopes, scope))
          const before = await quota()
          for (const scheme of ['bearer', 'basic'] as const) {
            const response = await t.app.inject({ ...probeOf(op, 'acme', labelId, i), headers: t.auth(token, scheme) })
            const label = `${op.operationId} (needs ${op.scopes.join(', ') || 'no scope'}) via ${scheme}`
            expect(response.statusCode, label).toBeLessThan(500)
            if (allowed) {
              expect([401, 403], `${label}: ${response.body}`).not.toContain(response.statusCode)
            } else {
              expect(response.statusCode, label).toBe(403)
              expect(response.json(), label).toEqual({
                error: { message: 'Insufficient permissions for API method', details: { requiredScopes: op.scopes } },
              })
              expect(response.headers['x-ratelimit-remaining'], label).toBeUndefined()
            }
          }
          // A refused call spends nothing; an allowed one spends its cost, twice.
          const spent = before - (await quota())
          const cost = op.operationId === 'getQuota' ? 0 : 1
          expect(spent, op.operationId).toBe(allowed ? 2 * cost : 0)
        }
      },
    )
  })

  describe('spellings of the Authorization header', () => {
    it.each([
      { name: 'lower-case bearer', header: () => `bearer ${t.token}`, status: 200 },
      { name: 'upper-case BEARER', header: () => `BEARER ${t.token}`, status: 200 },
      { name: 'mixed-case BeArEr', header: () => `BeArEr ${t.token}`, status: 200 },
      { name: 'lower-case basic', header: () => `basic ${b64(`${t.token}:`)}`, status: 200 },
      { name: 'Basic with a password (ignored)', header: () => `Basic ${b64(`${t.token}:hunter2`)}`, status: 200 },
      { name: 'Basic with a password holding colons', header: () => `Basic ${b64(`${t.token}:a:b:c`)}`, status: 200 },
      {
        name: 'Basic without the colon (the whole value is the user)',
        header: () => `Basic ${b64(t.token)}`,
        status: 200,
      },
      {
        name: 'Basic without base64 padding',
        header: () => `Basic ${b64(`${t.token}:`).replace(/=+$/, '')}`,
        status: 200,
      },
      { name: 'two spaces after the scheme', header: () => `Bearer  ${t.token}`, status: 200 },
      { name: 'an empty Basic user with a password', header: () => `Basic ${b64(':hunter2')}`, status: 401 },
      {
        name: 'an empty Basic user with the token as password',
        header: () => `Basic ${b64(`:${t.token}`)}`,
        status: 401,
      },
      { name: 'Basic of a lone colon', header: () => `Basic ${b64(':')}`, status: 401 },
      { name: 'Basic of nothing', header: () => 'Basic ', status: 401 },
      { name: 'Basic with broken base64', header: () => 'Basic %%%not-base64%%%', status: 401 },
      { name: 'Basic with one base64 character too many', header: () => `Basic ${b64(`${t.token}:`)}A`, status: 401 },
      {
        name: 'Basic with three padding characters',
        header: () => `Basic ${b64(`${t.token}:`).replace(/=*$/, '===')}`,
        status: 401,
      },
      {
        name: 'Basic with URL-safe base64',
        header: () => `Basic ${Buffer.from(`${t.token}:??>>`).toString('base64url')}`,
        status: 401,
      },
      {
        name: 'Basic with a space inside the base64',
        header: () => `Basic ${b64(`${t.token}:`).replace(/^(.{8})/, '$1 ')}`,
        status: 401,
      },
      {
        name: 'Basic of bytes that are not UTF-8',
        header: () => `Basic ${b64(Buffer.from([0xff, 0xfe, 0x3a]))}`,
        status: 401,
      },
      { name: 'Basic whose user has a trailing NUL', header: () => `Basic ${b64(`${t.token}\u0000:`)}`, status: 401 },
      { name: 'a tab after the scheme', header: () => `Bearer\t${t.token}`, status: 401 },
      { name: 'a second word after the token', header: () => `Bearer ${t.token} extra`, status: 401 },
      { name: 'a quoted token', header: () => `Bearer "${t.token}"`, status: 401 },
      { name: 'the token in another case', header: () => `Bearer ${t.token.toUpperCase()}`, status: 401 },
      { name: 'a token with one character dropped', header: () => `Bearer ${t.token.slice(0, -1)}`, status: 401 },
      { name: 'another scheme', header: () => `Token ${t.token}`, status: 401 },
      { name: 'the scheme alone', header: () => 'Bearer', status: 401 },
      { name: 'the token without a scheme', header: () => t.token, status: 401 },
      { name: 'an empty header', header: () => '', status: 401 },
    ])('$name: $status', async ({ header, status }) => {
      const response = await list(header())
      expect(response.statusCode, response.body).toBe(status)
      if (status === 401) expect(response.json()).toEqual(INVALID)
    })
  })

  describe('very long tokens and tokens with non-ASCII characters (in-process)', () => {
    it('a 1 MiB Bearer token and a 1 MiB Basic user are a quick 401', async () => {
      const huge = `sktsec_${'A'.repeat(1024 * 1024)}`
      for (const header of [
        `Bearer ${huge}`,
        `Basic ${b64(`${huge}:`)}`,
        `Bearer ${huge} x`,
        `Basic ${'A'.repeat(1024 * 1024 + 1)}`,
      ]) {
        const started = Date.now()
        const response = await list(header)
        expect(response.statusCode).toBe(401)
        expect(response.json()).toEqual(INVALID)
        expect(Date.now() - started).toBeLessThan(2000)
      }
    })

    it.each([
      ['letters with diacritics', () => 'sktsec_ünïcødé_tøkén_ßß'],
      ['the valid token plus a zero-width space', () => `${t.token}\u200b`],
      ['the valid token with a Cyrillic homoglyph', () => t.token.replace(/[a-z]/, 'а')],
      ['an emoji token', () => '🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑'],
      ['right-to-left override', () => `\u202e${t.token}`],
    ])('%s: 401 as Bearer and as Basic', async (_case, token) => {
      for (const header of [`Bearer ${token()}`, `Basic ${b64(`${token()}:`)}`]) {
        const response = await list(header)
        expect(response.statusCode, header).toBe(401)
        expect(response.json()).toEqual(INVALID)
      }
    })
  })

  describe('over real HTTP', () => {
    const server = useTestApp({}, { shared: true })
    let origin: string
    let port: number
    let otherOrgToken: string
    beforeAll(async () => {
      await server.services.orgs.create({ slug: 'other' })
      otherOrgToken = await issueToken(server.services, { orgSlug: 'other' })
      ;({ origin, port } = await server.listen())
    })

    const raw = (headerLines: string[], path = '/v0/orgs/acme/repos') =>
      exchange(
        port,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headerLines.join('\r\n')}\r\nConnection: close\r\n\r\n`,
      )
    const rawBytes = (header: Buffer) =>
      exchange(
        port,
        Buffer.concat([
          Buffer.from('GET /v0/orgs/acme/repos HTTP/1.1\r\nHost: 127.0.0.1\r\n'),
          header,
          Buffer.from('\r\nConnection: close\r\n\r\n'),
        ]),
      )

    it('two Authorization headers: the first one counts (Node drops the second), never a 5xx', async () => {
      const cases: [string[], number][] = [
        [[`Authorization: Bearer ${server.token}`, 'Authorization: Bearer sktsec_wrong_wrong_wrong'], 200],
        [['Authorization: Bearer sktsec_wrong_wrong_wrong', `Authorization: Bearer ${server.token}`], 401],
        [[`Authorization: Bearer ${server.token}`, 'authorization: Basic %%%'], 200],
        [['Authorization: Basic %%%', `authorization: Bearer ${server.token}`], 401],
        // The other org's token first: it is the one checked, so A's org is refused to it.
        [[`Authorization: Bearer ${otherOrgToken}`, `Authorization: Bearer ${server.token}`], 403],
        [[`Authorization: Bearer ${server.token}`, `Authorization: Bearer ${otherOrgToken}`], 200],
      ]
      for (const [headers, status] of cases) {
        const response = await raw(headers)
        expect(response.status, headers.join(' | ')).toBe(status)
        if (status !== 200) expect(socketErrorProblem(response.body)).toBeNull()
      }
    })

    it('a long token that fits in the header limit is a 401 in Socket’s body', async () => {
      for (const length of [1024, 8 * 1024, 15 * 1024]) {
        const response = await fetch(`${origin}/v0/orgs/acme/repos`, {
          headers: { authorization: `Bearer sktsec_${'x'.repeat(length)}` },
        })
        expect(response.status).toBe(401)
        expect(await response.json()).toEqual(INVALID)
      }
    })

    it('raw UTF-8 bytes in the Authorization header are a 401 in Socket’s body', async () => {
      for (const header of [
        Buffer.from('Authorization: Bearer sktsec_ünïcødé_tøkén_0123', 'utf8'),
        Buffer.concat([Buffer.from(`Authorization: Bearer ${server.token}`), Buffer.from('é', 'utf8')]),
        Buffer.from(`Authorization: Bearer ${server.token.slice(0, 10)}🔑${server.token.slice(10)}`, 'utf8'),
        Buffer.concat([Buffer.from('Authorization: Bearer '), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('abc')]),
      ]) {
        const response = await rawBytes(header)
        expect(response.status, header.toString('latin1')).toBe(401)
        expect(JSON.parse(response.body)).toEqual(INVALID)
      }
    })

    it('a token longer than the HTTP header limit (16 KiB) is refused with a 431 in Socket’s error body, not a 5xx', async () => {
      const response = await raw([`Authorization: Bearer sktsec_${'x'.repeat(64 * 1024)}`])
      expect(response.status).toBe(431)
      // docs/errors.md: every 4xx body is Socket's.
      expect(socketErrorProblem(response.body), response.body).toBeNull()
    })

    it('a control character in the token (refused by the HTTP parser) is a 400 in Socket’s error body, not a 5xx', async () => {
      const response = await rawBytes(Buffer.from(`Authorization: Bearer ${server.token}\u0001x`, 'latin1'))
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
      expect(socketErrorProblem(response.body), response.body).toBeNull()
    })
  })
})
