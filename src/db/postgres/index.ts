import type pg from 'pg'
import type { Database, Repositories } from '../types.js'
import { openPool, type PoolOptions } from './client.js'
import { poolContext } from './context.js'
import { runMigrations } from './migrate.js'
import { createPgParts } from './parts.js'
import { createAuditRepository } from './repositories/audit-repository.js'
import { createHealthRepository } from './repositories/health-repository.js'
import { createOrgSettingsRepository } from './repositories/org-settings-repository.js'
import { createStateRepository } from './repositories/state-repository.js'

export type { PoolOptions } from './client.js'
export { isCheckViolation, isForeignKeyViolation, isUnavailableError, isUniqueViolation } from './client.js'

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
