/**
 * Keyset seeking behind the page-number API. A list query remembers, for the rows it returned,
 * where each page starts: (sort value, id) of the row at that offset. A later request for that
 * page — or a page after it — seeks from the nearest remembered position through the index
 * instead of stepping over every earlier row with OFFSET, so deep pages cost about what page 1
 * costs. Positions hold while the org's repos version (data-versions.ts) is the one they were
 * found under: any change to the org's repos, here or in another process, drops them.
 */

export interface Cursor {
  /** The sort column's value in the row (a number, or the name for name sort). */
  value: number | string
  id: number
}

const MAX_POSITIONS_PER_QUERY = 4096
const MAX_QUERIES_PER_ORG = 256

export function createListCursorCache() {
  /** orgId → the repos version the positions were found under, and per query shape: offset → cursor. */
  const byOrg = new Map<number, { version: string; shapes: Map<string, Map<number, Cursor>> }>()

  /** The org's positions found under `version`; older ones are dropped. */
  function current(orgId: number, version: string) {
    let org = byOrg.get(orgId)
    if (org?.version !== version) {
      org = { version, shapes: new Map() }
      byOrg.set(orgId, org)
    }
    return org.shapes
  }

  return {
    /** The remembered position closest before (or at) `offset`. */
    nearest(
      orgId: number,
      version: string,
      shape: string,
      offset: number,
    ): { offset: number; cursor: Cursor } | undefined {
      const positions = current(orgId, version).get(shape)
      if (!positions) return undefined
      const exact = positions.get(offset)
      if (exact) return { offset, cursor: exact }
      let best: { offset: number; cursor: Cursor } | undefined
      for (const [at, cursor] of positions) {
        if (at <= offset && (!best || at > best.offset)) best = { offset: at, cursor }
      }
      return best
    },

    remember(orgId: number, version: string, shape: string, offset: number, cursor: Cursor): void {
      const shapes = current(orgId, version)
      let positions = shapes.get(shape)
      if (!positions) {
        if (shapes.size >= MAX_QUERIES_PER_ORG) shapes.clear()
        positions = new Map()
        shapes.set(shape, positions)
      }
      if (positions.size >= MAX_POSITIONS_PER_QUERY) positions.clear()
      positions.set(offset, cursor)
    },
  }
}

export type ListCursorCache = ReturnType<typeof createListCursorCache>
