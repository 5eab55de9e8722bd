/**
 * Keyset seeking behind the page-number API. A list query remembers, for the rows it returned,
 * where each page starts: (sort value, id) of the row at that offset. A later request for that
 * page — or a page after it — seeks from the nearest remembered position through the index
 * instead of stepping over every earlier row with OFFSET, so deep pages cost about what page 1
 * costs. Positions are dropped when the org's repos change in this process, and all of them when
 * another process writes to the database (SQLite's `data_version`).
 *
 * The same invalidation gives each org's repo list a version (`version`): it changes whenever the
 * positions are dropped, so anything derived from a list (a cached response) can be checked with it.
 */

export interface Cursor {
  /** The sort column's value in the row (a number, or the name for name sort). */
  value: number | string
  id: number
}

const MAX_POSITIONS_PER_QUERY = 4096
const MAX_QUERIES_PER_ORG = 256

export function createListCursorCache() {
  /** orgId → query shape → offset → cursor of the row at that offset. */
  const byOrg = new Map<number, Map<string, Map<number, Cursor>>>()
  let seenVersion: number | undefined
  /** Bumped when everything is dropped; per org, when that org's repos change. */
  let generation = 0
  const orgGenerations = new Map<number, number>()

  function clear(): void {
    byOrg.clear()
    orgGenerations.clear()
    generation++
  }

  return {
    /** Forgets everything when the database was changed by another connection. */
    sync(dataVersion: number): void {
      if (seenVersion !== dataVersion) clear()
      seenVersion = dataVersion
    },

    /** The version of the org's repo lists: equal versions mean equal lists. Call `sync` first. */
    version(orgId: number): string {
      return `${generation}.${orgGenerations.get(orgId) ?? 0}`
    },

    /** The remembered position closest before (or at) `offset`. */
    nearest(orgId: number, shape: string, offset: number): { offset: number; cursor: Cursor } | undefined {
      const positions = byOrg.get(orgId)?.get(shape)
      if (!positions) return undefined
      const exact = positions.get(offset)
      if (exact) return { offset, cursor: exact }
      let best: { offset: number; cursor: Cursor } | undefined
      for (const [at, cursor] of positions) {
        if (at <= offset && (!best || at > best.offset)) best = { offset: at, cursor }
      }
      return best
    },

    remember(orgId: number, shape: string, offset: number, cursor: Cursor): void {
      let shapes = byOrg.get(orgId)
      if (!shapes) {
        shapes = new Map()
        byOrg.set(orgId, shapes)
      }
      let positions = shapes.get(shape)
      if (!positions) {
        if (shapes.size >= MAX_QUERIES_PER_ORG) shapes.clear()
        positions = new Map()
        shapes.set(shape, positions)
      }
      if (positions.size >= MAX_POSITIONS_PER_QUERY) positions.clear()
      positions.set(offset, cursor)
    },

    invalidateOrg(orgId: number): void {
      byOrg.delete(orgId)
      orgGenerations.set(orgId, (orgGenerations.get(orgId) ?? 0) + 1)
    },

    clear,
  }
}

export type ListCursorCache = ReturnType<typeof createListCursorCache>
