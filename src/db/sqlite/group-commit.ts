import type Database from 'better-sqlite3'

interface Pending {
  write: () => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown }
}

/**
 * Group commit. Writes asked for in the same turn of the event loop (concurrent requests) run in
 * one IMMEDIATE transaction, each in a savepoint of its own, and every caller's promise settles
 * after that one COMMIT: a write is acknowledged only once it is committed, as before, but a burst
 * of N writes costs one commit (and one WAL append of the pages they share) instead of N. A write
 * that throws rolls back its savepoint only; a transaction that cannot start (the database is
 * locked past the busy timeout) fails every write of the batch.
 */
export function createGroupCommit(sqlite: Database.Database) {
  let queue: Pending[] = []
  // Called inside the batch's transaction, better-sqlite3 turns this into a SAVEPOINT.
  const inSavepoint = sqlite.transaction((write: () => unknown) => write())
  const commitBatch = sqlite.transaction((batch: Pending[]) => {
    for (const item of batch) {
      try {
        item.outcome = { ok: true, value: inSavepoint(item.write) }
      } catch (error) {
        item.outcome = { ok: false, error }
      }
    }
  })

  function flush() {
    const batch = queue
    queue = []
    try {
      commitBatch.immediate(batch)
    } catch (error) {
      for (const item of batch) item.reject(error)
      return
    }
    for (const item of batch) {
      const outcome = item.outcome
      if (outcome?.ok) item.resolve(outcome.value)
      else item.reject(outcome?.error)
    }
  }

  return {
    /** Runs `write` (synchronous SQL) in the next batch; resolves with its result once committed. */
    run<T>(write: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush)
        queue.push({ write, resolve: resolve as (value: unknown) => void, reject })
      })
    },
  }
}

export type GroupCommit = ReturnType<typeof createGroupCommit>
