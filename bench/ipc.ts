/** Messages between the bench runner and its server children (over the IPC channel of `spawn`). */
export type ToChild =
  | { type: 'profile-start'; id: number }
  | { type: 'profile-stop'; id: number; file: string }
  /** Answers with a `MemoryReport`; with `gc`, after a full garbage collection (live memory only). */
  | { type: 'memory'; id: number; gc?: boolean }
  | { type: 'shutdown'; id: number }

export type FromChild =
  | { type: 'ready'; port: number }
  | { type: 'done'; id: number; error?: string; data?: MemoryReport }

/** `process.memoryUsage()` and V8's heap spaces, in bytes: where the server's RSS goes. */
export interface MemoryReport {
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
  spaces: Record<string, { size: number; used: number }>
}

async function memoryReport(collect: boolean): Promise<MemoryReport> {
  const { getHeapSpaceStatistics, setFlagsFromString } = await import('node:v8')
  if (collect) {
    setFlagsFromString('--expose-gc')
    const { runInNewContext } = await import('node:vm')
    ;(runInNewContext('gc') as () => void)()
  }
  const spaces: MemoryReport['spaces'] = {}
  for (const space of getHeapSpaceStatistics()) {
    spaces[space.space_name] = { size: space.space_size, used: space.space_used_size }
  }
  return { ...process.memoryUsage(), spaces }
}

/** Answers each numbered request of the runner; `profile-*` drive a V8 CPU profile of this process. */
export function serveIpc(handlers: { close: () => Promise<void> }): void {
  let session: import('node:inspector/promises').Session | undefined
  process.on('message', (message: ToChild) => {
    const reply = (error?: unknown, data?: MemoryReport) =>
      process.send?.({
        type: 'done',
        id: message.id,
        ...(error === undefined ? {} : { error: String(error) }),
        ...(data === undefined ? {} : { data }),
      } satisfies FromChild)
    const run = async () => {
      if (message.type === 'profile-start') {
        const inspector = await import('node:inspector/promises')
        session = new inspector.Session()
        session.connect()
        await session.post('Profiler.enable')
        // 250 µs sampling (`node --cpu-prof` samples every 1 ms): more samples in a short phase.
        await session.post('Profiler.setSamplingInterval', { interval: 250 })
        await session.post('Profiler.start')
      } else if (message.type === 'profile-stop') {
        if (!session) throw new Error('no profile running')
        const { profile } = await session.post('Profiler.stop')
        const { writeFile } = await import('node:fs/promises')
        await writeFile(message.file, JSON.stringify(profile))
        session.disconnect()
        session = undefined
      } else if (message.type === 'memory') {
        reply(undefined, await memoryReport(message.gc === true))
        return
      } else if (message.type === 'shutdown') {
        await handlers.close()
        reply()
        // Exit on the next turn so the reply is flushed (and `--cpu-prof`, if given, writes its profile).
        setImmediate(() => process.exit(0))
        return
      }
      reply()
    }
    run().catch((error: unknown) => reply(error))
  })
  // The runner going away (Ctrl-C, crash) takes the child with it.
  process.on('disconnect', () => process.exit(0))
}
