import type { Database, Repositories } from '../types.js'
import { closeDb, type Db, type DbOptions, openDb } from './client.js'
import { createDataVersions } from './data-versions.js'
import { runMigrations } from './migrate.js'
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

export { DatabaseOpenError, type Db, type DbOptions, isBusyError, isForeignKeyError } from './client.js'

/** Every repository over one SQLite database. */
export function createSqliteRepositories(db: Db): Repositories {
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

/** The embedded engine: one SQLite file (WAL), or `:memory:`. `db` is the drizzle handle, for tests and tools. */
export interface SqliteDatabase extends Database {
  readonly engine: 'sqlite'
  readonly db: Db
}

/** Opens (creating its folder) the SQLite database; `migrate()` applies the committed migrations. */
export function openSqliteDatabase(options: DbOptions): SqliteDatabase {
  const db = openDb(options)
  let repositories: Repositories | undefined
  return {
    engine: 'sqlite',
    db,
    // Built on first use, after the migrations: the repositories prepare their statements on the tables.
    get repositories() {
      repositories ??= createSqliteRepositories(db)
      return repositories
    },
    async migrate() {
      runMigrations(db)
    },
    async close() {
      closeDb(db)
    },
  }
}
