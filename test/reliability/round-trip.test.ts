import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { runCli } from '../../src/cli/program.js'
import { testConfig } from '../../src/config.js'

import { createServices } from '../../src/services/index.js'
import { createTestApp, openTestDb, type TestApp } from '../helpers/app.js'
import { databaseEnv } from '../helpers/database.js'
import { useTempDir } from '../helpers/fixtures.js'

/**
 * Every state the API and the admin CLI can create survives export → import (issue 10, row 10):
 * random API requests and CLI commands on one database file, then its export (as JSON text and
 * as YAML text) imported into an empty database exports the same again. Invalid operations among
 * the random ones are refused and leave nothing behind to trip the import.
 */

const SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2_147_483_647 : Number(process.env.FUZZ_SEED)
const RUNS = Math.max(5, Math.round(Number(process.env.FUZZ_RUNS ?? 600) / 24))

const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('labels', '.', '..', 'a\u0000b', 's\ud800', 'x\r\ny', '💥', ' pad ', 'A') },
)
const slug = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,6}$/) },
  { weight: 1, arbitrary: fc.constantFrom('labels', 'acme', 'web', 'Web', '.', '..', 'a b') },
)
const plainName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,10}$/)
const workspace = fc.oneof(fc.constantFrom('', 'team', 'ops'), text)
const org = fc.oneof({ weight: 3, arbitrary: fc.constant('acme') }, fc.constantFrom('labels', 'other', 'Other'))
const pick = fc.nat(20)

const apiOperation = fc.oneof(
  fc.record({
    kind: fc.constant('createRepo' as const),
    org,
    body: fc.record(
      {
        slug,
        name: text,
        description: fc.option(text),
        homepage: fc.option(text),
        visibility: fc.constantFrom('public', 'private'),
        archived: fc.boolean(),
        default_branch: fc.option(text),
        workspace,
      },
      { requiredKeys: ['slug'] },
    ),
  }),
  fc.record({ kind: fc.constant('createRepo' as const), org, body: fc.record({ slug }) }),
  fc.record({ kind: fc.constant('createLabel' as const), org, name: slug }),
  fc.record({
    kind: fc.constant('updateRepo' as const),
    pick,
    body: fc.record(
      { name: text, description: fc.option(text), workspace, archived: fc.boolean() },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ kind: fc.constant('deleteRepo' as const), pick }),
  fc.record({ kind: fc.constant('createLabel' as const), org, name: fc.oneof(text, slug) }),
  fc.record({ kind: fc.constant('renameLabel' as const), pick, name: text }),
  fc.record({ kind: fc.constant('deleteLabel' as const), pick }),
  fc.record({ kind: fc.constant('associate' as const), pick, other: pick, undo: fc.boolean() }),
  fc.record({ kind: fc.constant('associate' as const), pick, other: pick, undo: fc.constant(false) }),
  fc.record({
    kind: fc.constant('setting' as const),
    pick,
    body: fc.record(
      {
        issueRulesPolicyDefault: fc.constantFrom('default', 'low', 'medium', 'high'),
        issueRules: fc.constantFrom({}, { malware: { action: 'error' } }, { installScripts: { action: 'warn' } }),
        licensePolicy: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        recentlyPublishedThresholdMs: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
      },
      { requiredKeys: [] },
    ),
  }),
)

const cliOperation = fc.oneof(
  fc.record({
    kind: fc.constant('cli' as const),
    args: fc.oneof(
      // `--option=value` and `--` so that a value starting with "-" is not read as an option.
      fc
        // Mostly a valid name, so that some CLI org always survives to be exported (checked below).
        .tuple(slug, fc.oneof({ weight: 3, arbitrary: plainName }, text), fc.constantFrom('enterprise', 'free', 'team'))
        .map(([s, name, plan]) => ['orgs', 'create', `--name=${name}`, `--plan=${plan}`, '--', s]),
      fc
        .tuple(org, text, fc.constantFrom('repo', 'repo-label', 'repo:list,repo-label:create'), fc.nat(1e6))
        .map(([o, name, scopes, quota]) => [
          'tokens',
          'create',
          `--org=${o}`,
          `--name=${name}`,
          `--scopes=${scopes}`,
          `--max-quota=${quota}`,
        ]),
      fc.nat(8).map((id) => ['tokens', 'revoke', `${id + 1}`]),
      fc.constantFrom(['orgs', 'delete', 'other'], ['orgs', 'delete', 'Other'], ['reset', '--org', 'labels']),
    ),
  }),
)

const dir = useTempDir('round-trip', { shared: true })

async function run(
  t: TestApp,
  database: string,
  tokens: Map<string, string>,
  op: Record<string, unknown> & { kind: string },
): Promise<void> {
  const inject = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, orgSlug: string, payload?: unknown) => {
    const token = tokens.get(orgSlug) ?? t.token
    const response = await t.app.inject({
      method,
      url,
      headers: t.auth(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    expect(response.statusCode, `${method} ${url} ${JSON.stringify(payload)} → ${response.body}`).toBeLessThan(500)
    return response
  }
  const fixture = await t.services.state.export()
  const repos = fixture.orgs.flatMap((o) => o.repos.map((r) => ({ org: o.slug, ...r })))
  const labels = fixture.orgs.flatMap((o) => o.labels.map((l) => ({ org: o.slug, ...l })))
  const nth = <T>(list: T[], i: unknown) => (list.length === 0 ? undefined : list[Number(i) % list.length])
  switch (op.kind) {
    case 'cli': {
      // The app's database: the file, or on PostgreSQL the schema standing for it.
      const target = (await databaseEnv(database)).DATABASE_URL ?? database
      await runCli(['node', 'cli', '--database', target, ...(op.args as string[])])
      process.exitCode = undefined
      return
    }
    case 'createRepo':
      await inject('POST', `/v0/orgs/${op.org}/repos`, String(op.org), op.body)
      return
    case 'createLabel':
      await inject('POST', `/v0/orgs/${op.org}/repos/labels`, String(op.org), { name: op.name })
      return
  }
  if (op.kind === 'updateRepo' || op.kind === 'deleteRepo') {
    const repo = nth(repos, op.pick)
    if (!repo) return
    const url = `/v0/orgs/${repo.org}/repos/${encodeURIComponent(repo.slug)}?workspace=${encodeURIComponent(String((repo as Record<string, unknown>).workspace))}`
    await inject(op.kind === 'updateRepo' ? 'POST' : 'DELETE', url, repo.org, op.body)
    return
  }
  const label = nth(labels, op.pick)
  if (!label) return
  const base = `/v0/orgs/${label.org}/repos/labels/${label.id}`
  if (op.kind === 'renameLabel') await inject('PUT', base, label.org, { name: op.name })
  else if (op.kind === 'deleteLabel') await inject('DELETE', base, label.org)
  else if (op.kind === 'setting') await inject('PUT', `${base}/label-setting`, label.org, op.body)
  else if (op.kind === 'associate') {
    const repo = nth(
      repos.filter((r) => r.org === label.org),
      op.other,
    )
    if (repo)
      await inject('POST', `${base}/${op.undo ? 'disassociate' : 'associate'}`, label.org, { repository_id: repo.id })
  }
}

describe('export → import round-trips every state the API and the admin CLI create', () => {
  it('random API requests and CLI commands, then export → import into an empty database → the same export', async () => {
    let round = 0
    const seen = { repos: 0, labels: 0, settings: 0, cliOrgs: 0, cliTokens: 0 }
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 4, arbitrary: apiOperation }, { weight: 1, arbitrary: cliOperation }), {
          minLength: 1,
          maxLength: 20,
        }),
        async (ops) => {
          const database = dir.file(`state-${round++}.db`)
          const t = await createTestApp({ config: { databasePath: database } })
          const muted = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
          const mutedErr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
          try {
            // Every org the operations name, with a token, so the API side has something to work on.
            const tokens = new Map<string, string>()
            for (const slug of ['labels', 'other']) {
              await t.services.orgs.create({ slug })
              tokens.set(slug, (await t.services.tokens.issue({ orgSlug: slug, maxQuota: 100_000 })).secret)
            }
            // And one association to start from, which the operations may undo.
            const repo = await t.services.repos.create(t.org.id, { slug: 'start' }, { returnExisting: false })
            const label = await t.services.labels.create(t.org.id, 'start')
            await t.services.labels.associate(t.org.id, label.id, repo.repo.id)
            for (const op of ops) await run(t, database, tokens, op as Record<string, unknown> & { kind: string })
          } finally {
            muted.mockRestore()
            mutedErr.mockRestore()
          }
          const exported = await t.services.state.export()
          await t.close()
          for (const o of exported.orgs) {
            seen.repos += o.repos.filter((r) => r.slug !== 'start').length
            seen.labels += o.labels.filter((l) => l.name !== 'start').length
            seen.settings += o.labels.filter((l) => Object.values(l.settings).some((v) => v !== null)).length
            if (!['acme', 'labels', 'other'].includes(o.slug)) seen.cliOrgs++
            seen.cliTokens += o.tokens.filter((tk) => tk.name !== 'test' && tk.name !== '').length
          }
          for (const reread of [
            JSON.parse(JSON.stringify(exported)) as unknown,
            parseYaml(stringifyYaml(exported), { merge: true }) as unknown,
          ]) {
            const db = openTestDb({ path: ':memory:', synchronous: 'NORMAL' })
            try {
              const services = createServices(db.repositories, { config: testConfig() })
              await services.state.import(reread)
              expect(JSON.parse(JSON.stringify(await services.state.export()))).toEqual(
                JSON.parse(JSON.stringify(exported)),
              )
            } finally {
              await db.close()
            }
          }
        },
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    )
    // The operations did build varied states (else the property says little).
    for (const [what, count] of Object.entries(seen)) expect(count, `FUZZ_SEED=${SEED}: ${what}`).toBeGreaterThan(0)
  }, 300_000)
})
