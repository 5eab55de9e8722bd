import type { Db } from './client.js'
import { createListCursorCache } from './list-cursor-cache.js'
import { createAuditRepository } from './repositories/audit-repository.js'
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
  // Shared so that every path that removes or changes repos in bulk also forgets list positions.
  const cursors = createListCursorCache()
  // Written by the other repositories inside the transaction of each change it records.
  const audit = createAuditRepository(db)
  const repos = createRepoRepository(db, cursors, audit.write)
  const parts = {
    orgs: createOrgRepository(db, cursors),
    tokens: createTokenRepository(db, audit.write),
    repos,
    labels: createLabelRepository(db, audit.write),
    fullScans: createFullScanRepository(db, { repos }, cursors),
  }
  return {
    ...parts,
    orgSettings: createOrgSettingsRepository(db, audit.write),
    audit,
    state: createStateRepository(db, parts, cursors),
    health: createHealthRepository(db),
  }
}

export type Repositories = ReturnType<typeof createRepositories>
