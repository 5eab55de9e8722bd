import type { Db } from './client.js'
import { createDataVersions } from './data-versions.js'
import { createAuditRepository } from './repositories/audit-repository.js'
import { createDiffScanRepository } from './repositories/diff-scan-repository.js'
import { createFullScanRepository } from './repositories/full-scan-repository.js'
import { createHealthRepository } from './repositories/health-repository.js'
import { createLabelRepository } from './repositories/label-repository.js'
import { createOrgRepository } from './repositories/org-repository.js'
import { createOrgSettingsRepository } from './repositories/org-settings-repository.js'
import { createRepoRepository } from './repositories/repo-repository.js'
import { createStateRepository } from './repositories/state-repository.js'
import { createTokenRepository } from './repositories/token-repository.js'

export { closeDb, DatabaseOpenError, type Db, isBusyError, isForeignKeyError, openDb } from './client.js'
export { runMigrations } from './migrate.js'
export type * from './models.js'

/** Every repository over one database; services receive the ones they need. */
export function createRepositories(db: Db) {
  // Shared: every path that changes an org's repos or labels (one by one or in bulk) bumps their version.
  const versions = createDataVersions(db.$client)
  // Written by the other repositories inside the transaction of each change it records.
  const audit = createAuditRepository(db)
  const repos = createRepoRepository(db, versions, audit.write)
  const parts = {
    orgs: createOrgRepository(db, versions),
    tokens: createTokenRepository(db, audit.write),
    repos,
    labels: createLabelRepository(db, versions, audit.write),
    fullScans: createFullScanRepository(db, { repos }, versions),
    diffScans: createDiffScanRepository(db),
  }
  return {
    ...parts,
    orgSettings: createOrgSettingsRepository(db, audit.write),
    audit,
    state: createStateRepository(db, parts, versions),
    health: createHealthRepository(db),
  }
}

export type Repositories = ReturnType<typeof createRepositories>
