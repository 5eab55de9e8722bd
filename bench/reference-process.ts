/**
 * The references (bench/reference-app.ts), in a process of their own like the server under test, with
 * nothing else running; driven by the runner over IPC.
 */
import type { AddressInfo } from 'node:net'
import { type FromChild, serveIpc } from './ipc.js'
import { buildReference } from './reference-app.js'

const path = process.env.DATABASE_PATH
if (!path) throw new Error('DATABASE_PATH is required')

const app = await buildReference(path)
serveIpc({ close: () => app.close() })
await app.listen({ port: 0, host: '127.0.0.1' })
process.send?.({ type: 'ready', port: (app.server.address() as AddressInfo).port } satisfies FromChild)
