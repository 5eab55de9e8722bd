import pg from 'pg'
import { type Database, openDatabase, openSqliteDatabase, type PostgresDatabase } from '../src/db/index.js'
import { createServices } from '../src/services/index.js'

/**
 * Seeds a fresh database for the benchmark, SQLite (`seed`) or PostgreSQL (`seedPostgres`), with the same
 * content and the same ids. Orgs and tokens go through the services (so tokens are hashed and scoped exactly
 * as the server expects); repos, labels and associations go in as one transaction on the migrated schema:
 * prepared inserts in SQLite, multi-row `INSERT … SELECT FROM unnest(…)` in PostgreSQL. A couple of seconds
 * for 100k rows.
 */

export interface SeedOptions {
  path: string
  /** Repos of the first org (`bench-big`): 100,000 so that page 1000 of per_page=100 exists. */
  bigOrgRepos: number
  /** How many other orgs, and the repos of each. */
  otherOrgs: number
  otherOrgRepos: number
  labelsPerOrg: number
  reposPerLabel: number
  /** Quota of every bench token: far more than any run can spend, so no request is ever a 429. */
  maxQuota: number
}

export interface SeededOrg {
  id: number
  slug: string
  token: string
  repos: number
  /** Label ids of the org, ascending. */
  labelIds: number[]
}

export interface SeedResult {
  orgs: SeededOrg[]
  repos: number
  labels: number
  associations: number
  ms: number
}

export const BIG_ORG = 'bench-big'
export const CI_ORG = 'bench-ci'

/** Slug of the i-th seeded repo of an org (0-based); the same in every org. */
export function repoSlug(i: number): string {
  return `repo-${String(i).padStart(6, '0')}`
}

export function tokenFor(orgSlug: string): string {
  return `sktsec_bench_${orgSlug.replace(/[^A-Za-z0-9]/g, '_')}_0123456789abcdef`
}

/** Orgs and their bench tokens, through the services; `repos` and `labelIds` are filled in by the caller. */
async function createOrgs(database: Database, options: Omit<SeedOptions, 'path'>): Promise<SeededOrg[]> {
  const services = createServices(database.repositories, {
    config: { quota: { defaultMax: options.maxQuota, windowSeconds: 3600, costs: {} }, authCacheTtlMs: 0 },
  })
  const slugs = [BIG_ORG, CI_ORG]
  for (let i = slugs.length; i <= options.otherOrgs; i++) slugs.push(`bench-org-${String(i + 1).padStart(2, '0')}`)

  const orgs: SeededOrg[] = []
  for (const [index, slug] of slugs.entries()) {
    const org = await services.orgs.create({ slug, name: `Bench ${slug}` })
    const token = tokenFor(slug)
    await services.tokens.issue({ orgSlug: slug, name: 'bench', maxQuota: options.maxQuota, token })
    orgs.push({
      id: Number(org.id),
      slug,
      token,
      repos: index === 0 ? options.bigOrgRepos : options.otherOrgRepos,
      labelIds: [],
    })
  }
  return orgs
}

const BASE_TIME = Date.UTC(2024, 0, 1)
const ISSUE_RULES = JSON.stringify({ malware: { action: 'error' }, installScripts: { action: 'warn' } })
const LICENSE_POLICY = JSON.stringify({ allow: ['MIT', 'Apache-2.0'], warn: ['GPL-3.0'] })

/** The i-th seeded repo of an org: slug, name, description, homepage, visibility, head scan, meta, time. */
function repoValues(org: SeededOrg, i: number) {
  const slug = repoSlug(i)
  const at = BASE_TIME + i * 1000
  const meta =
    i % 10 === 0
      ? JSON.stringify({
          type: 'github',
          value: { installation_id: '1234', installation_login: org.slug, repo_name: slug, repo_id: String(i) },
        })
      : null
  return [
    slug,
    `Repo ${String(i).padStart(6, '0')}`,
    `Service ${i} of ${org.slug}: the repository seeded for the benchmark`,
    `https://example.com/${org.slug}/${slug}`,
    i % 3 === 0 ? 'public' : 'private',
    i % 7 === 0 ? `scan-${i}` : null,
    meta,
    at,
  ] as const
}

/** The l-th label of an org: name, issue rules, policy default, license policy, threshold, time. */
function labelValues(l: number) {
  return [
    `label-${String(l).padStart(4, '0')}`,
    l % 2 === 0 ? ISSUE_RULES : null,
    ['default', 'low', 'medium', 'high'][l % 4] ?? null,
    l % 3 === 0 ? LICENSE_POLICY : null,
    l % 5 === 0 ? 86_400_000 : null,
    BASE_TIME + l * 1000,
  ] as const
}

/** Repo ids of an org are consecutive (one transaction): each label is spread over the org's repos. */
function associatedRepoIds(
  org: SeededOrg,
  firstRepoId: number,
  l: number,
  options: Pick<SeedOptions, 'reposPerLabel'>,
): number[] {
  const stride = Math.max(1, Math.floor(org.repos / options.reposPerLabel))
  const ids: number[] = []
  for (let k = 0; k < Math.min(options.reposPerLabel, org.repos); k++) {
    ids.push(firstRepoId + ((l + k * stride) % org.repos))
  }
  return ids
}

export async function seed(options: SeedOptions): Promise<SeedResult> {
  const started = performance.now()
  const database = openSqliteDatabase({ path: options.path, synchronous: 'NORMAL' })
  await database.migrate()
  const { db } = database
  const orgs = await createOrgs(database, options)

  const sqlite = db.$client
  const insertRepo = sqlite.prepare(`
    INSERT INTO repos (org_id, workspace, slug, name, description, homepage, visibility, archived,
      default_branch, head_full_scan_id, integration_meta, created_at, updated_at)
    VALUES (?, '', ?, ?, ?, ?, ?, 0, 'main', ?, ?, ?, ?)`)
  const insertLabel = sqlite.prepare(`
    INSERT INTO labels (org_id, name, issue_rules, issue_rules_policy_default, license_policy,
      recently_published_threshold_ms, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
  const insertAssociation = sqlite.prepare('INSERT INTO repo_labels (label_id, repo_id, created_at) VALUES (?, ?, ?)')

  let repos = 0
  let labels = 0
  let associations = 0

  sqlite.transaction(() => {
    for (const org of orgs) {
      let firstId = 0
      for (let i = 0; i < org.repos; i++) {
        const values = repoValues(org, i)
        const { lastInsertRowid } = insertRepo.run(org.id, ...values, values[7])
        if (i === 0) firstId = Number(lastInsertRowid)
        repos++
      }
      for (let l = 0; l < options.labelsPerOrg; l++) {
        const values = labelValues(l)
        const { lastInsertRowid } = insertLabel.run(org.id, ...values, values[5])
        const labelId = Number(lastInsertRowid)
        org.labelIds.push(labelId)
        labels++
        for (const repoId of associatedRepoIds(org, firstId, l, options)) {
          insertAssociation.run(labelId, repoId, values[5])
          associations++
        }
      }
    }
  })()

  sqlite.pragma('wal_checkpoint(TRUNCATE)')
  await database.close()
  return { orgs, repos, labels, associations, ms: performance.now() - started }
}

/** `url` with its database name replaced (the path of a `postgres://…/name` URL). */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

/**
 * A fresh PostgreSQL database for one bench run, created through the maintenance database at `baseUrl`
 * (`postgres://…/postgres`); `drop()` removes it (closing whatever is still connected to it).
 * Rejects when PostgreSQL cannot be reached within `timeoutMs`.
 */
export async function createPostgresDatabase(
  baseUrl: string,
  name: string,
  timeoutMs = 3000,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`)
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({
      connectionString: baseUrl,
      connectionTimeoutMillis: timeoutMs,
      application_name: 'socket-repos-bench',
    })
    client.on('error', () => {})
    await client.connect()
    try {
      return await work(client)
    } finally {
      await client.end().catch(() => {})
    }
  }
  await admin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${name}`)
  })
  return {
    url: withDatabase(baseUrl, name),
    drop: () => admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  }
}

/** Rows per multi-row INSERT: one array parameter per column, so the statement stays the same size. */
const BATCH = 10_000

/**
 * The same seed as `seed`, into the (empty) PostgreSQL database at `url`, opened through `openDatabase` and
 * migrated, so the schema is the server's. Repos and labels get explicit ids, the ones SQLite gives them in
 * a fresh file (consecutive from 1, in insertion order), so both engines hold the same rows under the same
 * ids; the identity sequences are then set past them, and the tables analyzed.
 */
export async function seedPostgres(options: Omit<SeedOptions, 'path'> & { url: string }): Promise<SeedResult> {
  const started = performance.now()
  const database = (await openDatabase({ url: options.url, path: ':memory:', poolMax: 2 })) as PostgresDatabase
  try {
    await database.migrate()
    const orgs = await createOrgs(database, options)
    const client = await database.pool.connect()
    let repos = 0
    let labels = 0
    let associations = 0
    try {
      await client.query('BEGIN')
      // The statement timeout of the server's pool is for requests, not for a bulk load.
      await client.query('SET LOCAL statement_timeout = 0')
      const next = async (table: string) =>
        (await client.query<{ n: number }>(`SELECT coalesce(max(id), 0) + 1 AS n FROM ${table}`)).rows[0]?.n ?? 1
      let repoId = await next('repos')
      let labelId = await next('labels')

      type Column = unknown[]
      const repoRows: Column[] = Array.from({ length: 10 }, () => [])
      const labelRows: Column[] = Array.from({ length: 8 }, () => [])
      const assocRows: Column[] = Array.from({ length: 3 }, () => [])
      const flushRepos = async () => {
        if (repoRows[0]?.length === 0) return
        await client.query(
          `INSERT INTO repos (id, org_id, workspace, slug, name, description, homepage, visibility, archived,
             default_branch, head_full_scan_id, integration_meta, created_at, updated_at)
           SELECT id, org_id, '', slug, name, description, homepage, visibility, false, 'main', head, meta, at, at
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::text[], $10::bigint[])
             AS t(id, org_id, slug, name, description, homepage, visibility, head, meta, at)`,
          repoRows,
        )
        for (const column of repoRows) column.length = 0
      }
      const flushLabels = async () => {
        if (labelRows[0]?.length === 0) return
        await client.query(
          `INSERT INTO labels (id, org_id, name, issue_rules, issue_rules_policy_default, license_policy,
             recently_published_threshold_ms, created_at, updated_at)
           SELECT id, org_id, name, rules, policy, license, threshold, at, at
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
             $8::bigint[]) AS t(id, org_id, name, rules, policy, license, threshold, at)`,
          labelRows,
        )
        for (const column of labelRows) column.length = 0
        await client.query(
          `INSERT INTO repo_labels (label_id, repo_id, created_at)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])`,
          assocRows,
        )
        for (const column of assocRows) column.length = 0
      }
      const push = (columns: Column[], values: readonly unknown[]) => {
        for (const [i, value] of values.entries()) columns[i]?.push(value)
      }

      for (const org of orgs) {
        const firstId = repoId
        for (let i = 0; i < org.repos; i++) {
          push(repoRows, [repoId++, org.id, ...repoValues(org, i)])
          repos++
          if ((repoRows[0]?.length ?? 0) >= BATCH) await flushRepos()
        }
        await flushRepos()
        for (let l = 0; l < options.labelsPerOrg; l++) {
          const values = labelValues(l)
          const id = labelId++
          push(labelRows, [id, org.id, ...values])
          org.labelIds.push(id)
          labels++
          for (const associated of associatedRepoIds(org, firstId, l, options)) {
            push(assocRows, [id, associated, values[5]])
            associations++
          }
        }
        await flushLabels()
      }
      for (const table of ['repos', 'labels']) {
        await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), max(id)) FROM ${table}`)
      }
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
    await database.pool.query('ANALYZE')
    return { orgs, repos, labels, associations, ms: performance.now() - started }
  } finally {
    await database.close()
  }
}
