/**
 * The server under test, in its own process: `startServer()` from src/server.ts exactly as `npm start`
 * runs it (config from the environment, migrations, hooks, listen), driven by the runner over IPC.
 */
import type { AddressInfo } from 'node:net'
import { startServer } from '../src/server.js'
import { type FromChild, serveIpc } from './ipc.js'

const app = await startServer()
serveIpc({ close: () => app.close() })
const { port } = app.server.address() as AddressInfo
process.send?.({ type: 'ready', port } satisfies FromChild)
