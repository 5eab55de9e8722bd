import type { DataKind } from '../sqlite/data-versions.js'
import { type Queryable, row } from './client.js'

/**
 * Rows per (org, kind). A write bumps the row of its connection (`pg_backend_pid() % SHARDS`), so
 * concurrent writes in one org lock different rows instead of queueing on one until each commits;
 * a version is the sum of the rows, which every committed write raises by one.
 */
export const SHARDS = 16

/**
 * The versions of what an org's lists are made from (see ../sqlite/data-versions.ts for what they
 * mean), shared by every instance on the database: rows of `data_versions`, bumped in the same
 * transaction (usually the same statement) as the write that changes the kind, and read with every
 * list request. So an instance never serves a cached page or a remembered list position older than a
 * write another instance acknowledged, without any notification channel. Org 0 holds the epoch,
 * bumped when everything may have changed (an import, a reset).
 */
export function createDataVersions() {
  return {
    /** `epoch.version` of an org's `kind`, as committed now. */
    async of(q: Queryable, kind: DataKind, orgId: number): Promise<string> {
      const found = await row<{ version: string }>(
        q,
        `SELECT coalesce((SELECT sum(version) FROM data_versions WHERE org_id = 0 AND kind = 'all'), 0)::text || '.' ||
           coalesce((SELECT sum(version) FROM data_versions WHERE org_id = $1 AND kind = $2), 0)::text AS version`,
        [orgId, kind],
        'data_version_of',
      )
      return found?.version ?? '0.0'
    },

    /** Bumps the org's kinds; call it inside the transaction of the write (or in the write's own statement). */
    async bump(q: Queryable, orgId: number | string, ...kinds: DataKind[]): Promise<void> {
      await q.query({
        name: 'data_version_bump',
        text: `INSERT INTO data_versions (org_id, kind, shard, version)
               SELECT $1, unnest($2::text[]), pg_backend_pid() % ${SHARDS}, 1
               ON CONFLICT (org_id, kind, shard) DO UPDATE SET version = data_versions.version + 1`,
        values: [orgId, kinds],
      })
    },

    /** Everything may have changed: every version of every org is new. */
    async bumpAll(q: Queryable): Promise<void> {
      await q.query({
        name: 'data_version_bump_all',
        text: `INSERT INTO data_versions (org_id, kind, shard, version) VALUES (0, 'all', 0, 1)
               ON CONFLICT (org_id, kind, shard) DO UPDATE SET version = data_versions.version + 1`,
      })
    },
  }
}

export type PgDataVersions = ReturnType<typeof createDataVersions>

/**
 * SQL for a write's own statement: a CTE step that bumps `kind` of the org of every row of `source`
 * (a CTE of the changed rows, with an `org_id` column), so the write and its version bump are one
 * statement, one round trip.
 */
export function bumpStep(source: string, kind: DataKind): string {
  return `INSERT INTO data_versions (org_id, kind, shard, version)
    SELECT DISTINCT org_id, '${kind}', pg_backend_pid() % ${SHARDS}, 1 FROM ${source}
    ON CONFLICT (org_id, kind, shard) DO UPDATE SET version = data_versions.version + 1`
}
