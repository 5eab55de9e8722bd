/** The largest id the server hands out or accepts: ids beyond 2^53 − 1 are not stored exactly as JS numbers. */
export const MAX_ID = Number.MAX_SAFE_INTEGER

const CANONICAL_ID = /^[1-9][0-9]{0,15}$/

/** Parses an opaque id from the API back to a rowid; anything but a canonical integer in 1..MAX_ID is no id at all. */
export function toRowId(id: string): number | undefined {
  if (!CANONICAL_ID.test(id)) return undefined
  const n = Number(id)
  return Number.isSafeInteger(n) ? n : undefined
}

/**
 * Thrown inside an insert's transaction when SQLite handed out a rowid beyond MAX_ID (only after a
 * fixture pinned ids near it): the insert rolls back rather than create a row whose id would be
 * read back rounded, onto another row's.
 */
export class IdsExhaustedError extends Error {
  constructor(readonly table: string) {
    super(`no ids left in ${table}: ids are at most ${MAX_ID}`)
  }
}

/** Refuses (by throwing, to roll the insert back) a rowid beyond MAX_ID. */
export function checkedRowId(id: number, table: string): number {
  if (!Number.isSafeInteger(id)) throw new IdsExhaustedError(table)
  return id
}
