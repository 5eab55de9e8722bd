/**
 * Serialized response bodies, each stored with the version of the data it was made from and
 * answered only while that version is current: a list page is rendered once per change of its
 * org's repos instead of once per request. Least recently used entries go first once the total
 * size passes `maxChars`.
 */
export function createResponseCache(options: { maxChars: number; maxEntryChars: number }) {
  const entries = new Map<string, { version: string; body: string }>()
  let size = 0

  function drop(key: string) {
    const entry = entries.get(key)
    if (!entry) return
    entries.delete(key)
    size -= entry.body.length
  }

  return {
    /** The body stored for `key` if it was made from `version`. */
    get(key: string, version: string): string | undefined {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.version !== version) {
        drop(key)
        return undefined
      }
      // Most recently used last.
      entries.delete(key)
      entries.set(key, entry)
      return entry.body
    },

    set(key: string, version: string, body: string): void {
      drop(key)
      if (body.length > options.maxEntryChars) return
      entries.set(key, { version, body })
      size += body.length
      for (const oldest of entries.keys()) {
        if (size <= options.maxChars) break
        drop(oldest)
      }
    },

    get size() {
      return entries.size
    },
  }
}

export type ResponseCache = ReturnType<typeof createResponseCache>
