import { openSqliteDatabase } from '../src/db/index.js'
import { createServices } from '../src/services/index.js'

/**
 * Seeds a fresh database for the benchmark. Orgs and tokens go through the services (so tokens are
 * hashed and scoped exactly as the server expects); repos, labels and associations go in as one
 * transaction of prepared inserts on the migrated schema, which takes a couple of seconds for 100k rows.
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

export async function seed(options: SeedOptions): Promise<SeedResult> {
  const started = performance.now()
  const database = openSqliteDatabase({ path: options.path, synchronous: 'NORMAL' })
  await database.migrate()
  const { db } = database
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

  const base = Date.UTC(2024, 0, 1)
  const issueRules = JSON.stringify({ malware: { action: 'error' }, installScripts: { action: 'warn' } })
  const licensePolicy = JSON.stringify({ allow: ['MIT', 'Apache-2.0'], warn: ['GPL-3.0'] })
  let repos = 0
  let labels = 0
  let associations = 0

  sqlite.transaction(() => {
    for (const org of orgs) {
      const firstRepoId: number[] = []
      for (let i = 0; i < org.repos; i++) {
        const slug = repoSlug(i)
        const at = base + i * 1000
        const meta =
          i % 10 === 0
            ? JSON.stringify({
                type: 'github',
                value: { installation_id: '1234', installation_login: org.slug, repo_name: slug, repo_id: String(i) },
              })
            : null
        const { lastInsertRowid } = insertRepo.run(
          org.id,
          slug,
          `Repo ${String(i).padStart(6, '0')}`,
          `Service ${i} of ${org.slug}: the repository seeded for the benchmark`,
          `https://example.com/${org.slug}/${slug}`,
          i % 3 === 0 ? 'public' : 'private',
          i % 7 === 0 ? `scan-${i}` : null,
          meta,
          at,
          at,
        )
        if (i === 0) firstRepoId.push(Number(lastInsertRowid))
        repos++
      }
      const firstId = firstRepoId[0] ?? 0
      for (let l = 0; l < options.labelsPerOrg; l++) {
        const at = base + l * 1000
        const { lastInsertRowid } = insertLabel.run(
          org.id,
          `label-${String(l).padStart(4, '0')}`,
          l % 2 === 0 ? issueRules : null,
          ['default', 'low', 'medium', 'high'][l % 4] ?? null,
          l % 3 === 0 ? licensePolicy : null,
          l % 5 === 0 ? 86_400_000 : null,
          at,
          at,
        )
        const labelId = Number(lastInsertRowid)
        org.labelIds.push(labelId)
        labels++
        // Repo ids of an org are consecutive (one transaction): spread each label over the org's repos.
        const stride = Math.max(1, Math.floor(org.repos / options.reposPerLabel))
        for (let k = 0; k < Math.min(options.reposPerLabel, org.repos); k++) {
          insertAssociation.run(labelId, firstId + ((l + k * stride) % org.repos), at)
          associations++
        }
      }
    }
  })()

  sqlite.pragma('wal_checkpoint(TRUNCATE)')
  await database.close()
  return { orgs, repos, labels, associations, ms: performance.now() - started }
}
