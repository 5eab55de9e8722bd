import type pg from 'pg'
import type { Database, Repositories } from '../types.js'
import { openPool, type PoolOptions } from './client.js'
import { type PgContext, poolContext } from './context.js'
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

export type { PoolOptions } from './client.js'
export { isCheckViolation, isForeignKeyViolation, isUnavailableError, isUniqueViolation } from './client.js'

/** The repositories whose writes a whole-state import runs inside its own transaction. */
export function createPgParts(ctx: PgContext) {
  return {
    orgs: createOrgRepository(ctx),
    tokens: createTokenRepository(ctx),
    repos: createRepoRepository(ctx),
    labels: createLabelRepository(ctx),
    fullScans: createFullScanRepository(ctx),
    diffScans: createDiffScanRepository(ctx),
  }
}

export type PgParts = ReturnType<typeof createPgParts>

/** Every repository over one PostgreSQL pool. */
export function createPgRepositories(pool: pg.Pool): Repositories {
  const ctx = poolContext(pool)
  return {
    ...createPgParts(ctx),
    orgSettings: createOrgSettingsRepository(ctx),
    audit: createAuditRepository(ctx),
    state: createStateRepository(pool),
    health: createHealthRepository(pool),
  }
}

export interface PostgresDatabase extends Database {
  readonly engine: 'postgres'
  readonly pool: pg.Pool
}

/** The shared store of several instances: a pool of this process's connections to PostgreSQL. */
export function openPostgresDatabase(options: PoolOptions): PostgresDatabase {
  const pool = openPool(options)
  let closed: Promise<void> | undefined
  return {
    engine: 'postgres',
    pool,
    repositories: createPgRepositories(pool),
    migrate: () => runMigrations(options.url),
    close() {
      closed ??= pool.end()
      return closed
    },
  }
}
