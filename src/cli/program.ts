import { readFileSync, writeFileSync } from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { ConfigError, environmentDefaults, environmentVariables, loadConfig } from '../config.js'
import { DatabaseOpenError, isUnavailableError, openDatabase } from '../db/index.js'
import type { Org, Token } from '../db/models.js'
import { DomainError } from '../services/errors.js'
import { createServices, type Services } from '../services/index.js'
import { allScopes } from '../services/scopes.js'
import { CertificateExistsError, createSelfSignedCertificate, DEFAULT_TLS_HOSTS } from '../tls.js'

/**
 * Admin commands over the database the server uses (DATABASE_URL or DATABASE_PATH, or --database).
 * They go through the same services as the API, so the same rules hold.
 */

interface GlobalOptions {
  database?: string
}

async function withServices<T>(command: Command, run: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const { database } = command.optsWithGlobals<GlobalOptions>()
  // --database names a PostgreSQL URL or a SQLite file, instead of whichever the environment configures.
  const url = database === undefined ? config.databaseUrl : /^postgres(ql)?:\/\//.test(database) ? database : undefined
  const db = await openDatabase({
    url,
    path: database ?? config.databasePath,
    synchronous: config.databaseSynchronous,
    poolMax: 2,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
  })
  try {
    await db.migrate()
    return await run(createServices(db.repositories, { config }))
  } finally {
    await db.close()
  }
}

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number ≥ 0')
  return Number(value)
}

function positiveInteger(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('expected a whole number ≥ 1')
  return Number(value)
}

function scopeList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

function print(json: boolean, data: unknown, text: string) {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`)
}

/** Rows under a header, columns padded to their widest cell; `empty` when there are no rows. */
function table(header: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return empty
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)))
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

const iso = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs).toISOString())

/** An org as the CLI shows it: times in ISO 8601, as everywhere else. */
function orgSummary(org: Org) {
  return { id: org.id, slug: org.slug, name: org.name, image: org.image, plan: org.plan, createdAt: iso(org.createdAt) }
}

function tokenSummary(token: Token) {
  return {
    id: token.id,
    org: token.orgSlug,
    name: token.name,
    prefix: `${token.tokenPrefix}…`,
    scopes: token.scopes,
    maxQuota: token.maxQuota,
    createdAt: iso(token.createdAt),
    lastUsedAt: iso(token.lastUsedAt),
    revokedAt: iso(token.revokedAt),
  }
}

export function buildProgram(): Command {
  const program = new Command('socket-repos-server')
    .description('Self-hosted Socket Repos & Repo Labels API: server and admin commands')
    .option(
      '--database <path|url>',
      'SQLite database file or postgres:// URL (default: DATABASE_URL, else DATABASE_PATH, or ./data/socket-repos.db)',
    )
    .showHelpAfterError()

  program
    .command('serve')
    .description('Start the HTTP server (configured from the environment; see README)')
    .addHelpText('after', () => {
      const defaults = environmentDefaults()
      const lines = environmentVariables.map((name) => `  ${name.padEnd(31)}${defaults[name] ?? '(not set)'}`)
      return `\nEnvironment variables (default), explained in README's "Configuration":\n${lines.join('\n')}\n`
    })
    .action(async () => {
      const { startServer, exitOnStartupError } = await import('../server.js')
      await startServer().catch(exitOnStartupError)
    })

  const orgs = program.command('orgs').description('Manage organizations')
  orgs
    .command('create')
    .description('Create an organization')
    .argument('<slug>', 'org slug used in API paths (ASCII letters, digits, ".", "-", "_")')
    .option('--name <name>', 'display name (default: the slug)')
    .option('--plan <plan>', 'plan reported by GET /v0/organizations', 'enterprise')
    .option('--json', 'print JSON')
    .action(async function (this: Command, slug: string, opts: { name?: string; plan: string; json?: boolean }) {
      const org = await withServices(this, (s) => s.orgs.create({ slug, name: opts.name ?? slug, plan: opts.plan }))
      print(Boolean(opts.json), orgSummary(org), `created org ${org.slug} (id ${org.id})`)
    })
  orgs
    .command('list')
    .description('List organizations')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { json?: boolean }) {
      const list = (await withServices(this, (s) => s.orgs.list())).map(orgSummary)
      print(
        Boolean(opts.json),
        list,
        table(
          ['ID', 'SLUG', 'NAME', 'PLAN', 'CREATED'],
          list.map((o) => [o.id, o.slug, o.name ?? '', o.plan, o.createdAt ?? '']),
          'no organizations',
        ),
      )
    })
  orgs
    .command('delete')
    .description('Delete an organization with all its tokens, repos and labels')
    .argument('<slug>', 'org slug')
    .action(async function (this: Command, slug: string) {
      await withServices(this, (s) => s.orgs.delete(slug))
      print(false, null, `deleted org ${slug}`)
    })

  const tokens = program.command('tokens').description('Manage org API tokens')
  tokens
    .command('create')
    .description('Create an API token; its value is printed once and stored only as a hash')
    .requiredOption('--org <slug>', 'organization the token belongs to')
    .option('--name <name>', 'a label for the token', '')
    .option(
      '--scopes <list>',
      `comma-separated scopes of Socket's vocabulary, e.g. repo:list,repo-label (default: ${allScopes.join(',')})`,
      scopeList,
    )
    .option('--max-quota <units>', 'units per quota window (default: QUOTA_DEFAULT_MAX)', nonNegativeInteger)
    .option('--token <value>', 'use this value instead of a generated one (at least 16 characters)')
    .option('--json', 'print JSON')
    .action(async function (
      this: Command,
      opts: { org: string; name: string; scopes?: string[]; maxQuota?: number; token?: string; json?: boolean },
    ) {
      const { token, secret } = await withServices(this, (s) =>
        s.tokens.issue({
          orgSlug: opts.org,
          name: opts.name,
          ...(opts.scopes ? { scopes: opts.scopes } : {}),
          ...(opts.maxQuota === undefined ? {} : { maxQuota: opts.maxQuota }),
          ...(opts.token === undefined ? {} : { token: opts.token }),
        }),
      )
      print(
        Boolean(opts.json),
        { ...tokenSummary(token), token: secret },
        `${secret}\n(token id ${token.id} for org ${token.orgSlug}, scopes ${token.scopes.join(' ')}; shown only now)`,
      )
    })
  tokens
    .command('list')
    .description('List tokens (never their values)')
    .option('--org <slug>', 'only this organization')
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { org?: string; json?: boolean }) {
      const list = (await withServices(this, (s) => s.tokens.list(opts.org))).map(tokenSummary)
      print(
        Boolean(opts.json),
        list,
        table(
          ['ID', 'ORG', 'PREFIX', 'SCOPES', 'MAX QUOTA', 'STATUS', 'CREATED', 'NAME'],
          list.map((t) => [
            t.id,
            t.org,
            t.prefix,
            t.scopes.join(' '),
            String(t.maxQuota),
            t.revokedAt ? 'revoked' : 'active',
            t.createdAt ?? '',
            t.name,
          ]),
          'no tokens',
        ),
      )
    })
  tokens
    .command('revoke')
    .description('Revoke a token by id; a running server stops accepting it within AUTH_CACHE_TTL_MS')
    .argument('<id>', 'token id (see tokens list)')
    .action(async function (this: Command, id: string) {
      await withServices(this, (s) => s.tokens.revoke(id))
      print(false, null, `revoked token ${id}`)
    })

  program
    .command('seed')
    .description('Add the orgs, tokens, repos and labels of a fixture file (JSON or YAML); all or nothing')
    .argument('<file>', 'fixture file (format: docs/fixtures.md, example: examples/fixture.yml)')
    .option('--json', 'print JSON')
    .action(async function (this: Command, file: string, opts: { json?: boolean }) {
      const fixture = parseYaml(readFileSync(file, 'utf8'), { merge: true })
      const counts = await withServices(this, (s) => s.state.seed(fixture))
      print(Boolean(opts.json), counts, `seeded ${JSON.stringify(counts)}`)
    })
  program
    .command('import')
    .description('Replace the whole database with a fixture file (typically an export); all or nothing')
    .argument('<file>', 'fixture file, JSON or YAML')
    .option('--json', 'print JSON')
    .action(async function (this: Command, file: string, opts: { json?: boolean }) {
      const fixture = parseYaml(readFileSync(file, 'utf8'), { merge: true })
      const counts = await withServices(this, (s) => s.state.import(fixture))
      print(Boolean(opts.json), counts, `imported ${JSON.stringify(counts)}`)
    })
  program
    .command('export')
    .description('Write the whole state as a fixture (token values are never included, only their hashes)')
    .option('--format <format>', 'json or yaml', 'json')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async function (this: Command, opts: { format: string; output?: string }) {
      const fixture = await withServices(this, (s) => s.state.export())
      const text = opts.format === 'yaml' ? stringifyYaml(fixture) : `${JSON.stringify(fixture, null, 2)}\n`
      if (!opts.output) {
        process.stdout.write(text)
        return
      }
      writeFileSync(opts.output, text)
      const count = (key: 'tokens' | 'repos' | 'labels') =>
        fixture.orgs.reduce((sum, org) => sum + (org[key] as unknown[]).length, 0)
      print(
        false,
        null,
        `exported ${JSON.stringify({ orgs: fixture.orgs.length, tokens: count('tokens'), repos: count('repos'), labels: count('labels') })} to ${opts.output}`,
      )
    })
  program
    .command('reset')
    .description('Delete repos and labels (of one org, or all) and refill token quotas; orgs and tokens stay')
    .option('--org <slug>', 'only this organization')
    .option('--everything', 'delete orgs and tokens too: an empty database')
    .action(async function (this: Command, opts: { org?: string; everything?: boolean }) {
      await withServices(this, (s) =>
        s.state.reset({ ...(opts.org ? { org: opts.org } : {}), everything: Boolean(opts.everything) }),
      )
      print(false, null, opts.everything ? 'database emptied' : `reset ${opts.org ?? 'all orgs'}`)
    })

  const tls = program.command('tls').description('Certificates for serving HTTPS (TLS_CERT_FILE, TLS_KEY_FILE)')
  tls
    .command('create-cert')
    .description('Create a self-signed certificate and key for local HTTPS (cert.pem, key.pem)')
    .requiredOption('--out-dir <dir>', 'folder to write cert.pem and key.pem to (created if missing)')
    .option(
      '--host <names>',
      `DNS names and IP addresses it is valid for (default: ${DEFAULT_TLS_HOSTS.join(',')})`,
      scopeList,
    )
    .option('--days <days>', 'validity in days', positiveInteger, 365)
    .option('--force', 'replace existing files')
    .option('--json', 'print JSON')
    .action(async (opts: { outDir: string; host?: string[]; days: number; force?: boolean; json?: boolean }) => {
      const files = await createSelfSignedCertificate({
        outDir: opts.outDir,
        days: opts.days,
        force: Boolean(opts.force),
        ...(opts.host ? { hosts: opts.host } : {}),
      })
      print(
        Boolean(opts.json),
        { ...files, notAfter: files.notAfter.toISOString() },
        `created ${files.certFile} and ${files.keyFile} (valid until ${files.notAfter.toISOString()})\n` +
          `serve HTTPS with:  TLS_CERT_FILE=${files.certFile} TLS_KEY_FILE=${files.keyFile}\n` +
          `trust it in Node:  NODE_EXTRA_CA_CERTS=${files.certFile}`,
      )
    })

  return program
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv)
  } catch (error) {
    if (
      error instanceof DomainError ||
      error instanceof ConfigError ||
      error instanceof DatabaseOpenError ||
      error instanceof CertificateExistsError
    ) {
      process.stderr.write(`error: ${error.message}\n`)
      process.exitCode = 1
      return
    } else if (isUnavailableError(error)) {
      process.stderr.write(`error: the database cannot be reached: ${(error as Error).message}\n`)
      process.exitCode = 1
    }
    throw error
  }
}
