import type Database from 'better-sqlite3'

/**
 * Versions of what an org's lists are made from: equal versions mean equal lists, so anything derived
 * from a list (a serialized page, the remembered list positions) stays good while its version does.
 *
 * - `repos`: the org's repos (any list of them).
 * - `labels`: the org's labels with their settings and associations (the label list).
 *
 * A write in this process bumps the kinds it changes, in the same synchronous step as its commit,
 * so no read of this process sees the new data under the old version. A write by another process
 * (the admin CLI on the same file) is seen through SQLite's `data_version`, which changes whenever
 * another connection commits: then every version of every org changes at once.
 */
export type DataKind = 'repos' | 'labels'

export function createDataVersions(sqlite: Database.Database) {
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck()
  let seenDataVersion: unknown
  /** Bumped when everything changes at once; per-org counters start again from 0 under a new epoch. */
  let epoch = 0
  const counters = new Map<string, number>()

  function bumpAll(): void {
    epoch++
    counters.clear()
  }

  return {
    /** The current version of an org's `kind`; reads `data_version` first to see other processes' writes. */
    of(kind: DataKind, orgId: number): string {
      const current = dataVersion.get()
      if (current !== seenDataVersion) {
        if (seenDataVersion !== undefined) bumpAll()
        seenDataVersion = current
      }
      return `${epoch}.${counters.get(`${kind}:${orgId}`) ?? 0}`
    },

    /** The org's `kind` changed (or may have: a rolled-back write only costs a cache miss). */
    bump(orgId: number, ...kinds: DataKind[]): void {
      for (const kind of kinds) {
        const key = `${kind}:${orgId}`
        counters.set(key, (counters.get(key) ?? 0) + 1)
      }
    },

    /** Everything may have changed (a whole-state import or reset). */
    bumpAll,
  }
}

export type DataVersions = ReturnType<typeof createDataVersions>
