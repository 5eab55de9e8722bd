import { SocketSdk } from '@socketsecurity/sdk'
import { type TestApp, useTestApp } from './app.js'
import { useFixture } from './fixtures.js'

/**
 * Socket's JS SDK (the pinned devDependency, unchanged but for its base URL) against a listening
 * test app that the describe block shares: `sdk` holds the app's all-scopes token, `client(token)`
 * is the SDK of another token. No retries, so every answer is the server's first.
 */
export function useSdk(): { t: TestApp; sdk: SocketSdk; client(token: string): SocketSdk; readonly base: string } {
  const t = useTestApp({}, { shared: true })
  let base = ''
  const client = (token: string) => new SocketSdk(token, { baseUrl: base, retries: 0 })
  const sdk = useFixture(
    async () => {
      ;({ base } = await t.listen())
      return client(t.token)
    },
    { shared: true, close: () => undefined },
  )
  return {
    t,
    sdk,
    client,
    get base() {
      return base
    },
  }
}
