/** Parses an opaque id from the API back to a rowid; anything but a canonical positive integer is no id at all. */
export function toRowId(id: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined
  const n = Number(id)
  return Number.isSafeInteger(n) ? n : undefined
}
