import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, beforeEach, onTestFinished } from 'vitest'

/**
 * What a test opens is closed without the test saying so. Inside a test (or a `beforeEach`), the
 * creators register their own clean-up with `onTestFinished` (`createTestApp`, `tempDir`, …). For
 * something a whole describe block uses, `useFixture` builds it in the block's hook and closes it
 * after the block (or after each test).
 */

/**
 * A resource for each test of the enclosing describe block (`shared`: one for all its tests), built
 * by a `beforeEach` (`beforeAll`) and closed after the test (the block). The answer stands for the
 * current resource: reading it outside a test (while the file is collected) throws.
 */
export function useFixture<T extends object>(
  create: () => T | Promise<T>,
  options: { shared?: boolean; close?: (value: T) => unknown } = {},
): T {
  let current: T | undefined
  const close = options.close ?? ((value: T) => (value as unknown as { close(): unknown }).close())
  const build = async () => {
    const value = await create()
    current = value
    return async () => {
      current = undefined
      await close(value)
    }
  }
  if (options.shared) beforeAll(build)
  else {
    beforeEach(async () => {
      // The last of the test's clean-ups: after what the test itself opened (a server on a file of this folder).
      onTestFinished(await build())
    })
  }
  const live = (): T => {
    if (current === undefined) throw new Error('a fixture of useFixture() is only there while a test runs')
    return current
  }
  return new Proxy({} as T, {
    get: (_target, key) => {
      const value = Reflect.get(live(), key)
      // Methods run on the resource itself (a class may keep #private fields the proxy does not have).
      return typeof value === 'function' ? value.bind(live()) : value
    },
    set: (_target, key, value) => Reflect.set(live(), key, value),
    has: (_target, key) => Reflect.has(live(), key),
    ownKeys: () => Reflect.ownKeys(live()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(live(), key)
      return descriptor && { ...descriptor, configurable: true }
    },
  })
}

/** Closes `resource` when the running test finishes (call it in a test or a `beforeEach`). */
export function closedAfterTest<T extends { close(): unknown }>(resource: T): T {
  onTestFinished(async () => {
    await resource.close()
  })
  return resource
}

/** Runs `close` once, however often it is called (a test may close early; the clean-up closes again). */
export function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () => {
    closing ??= close()
    return closing
  }
}

export interface TempDir {
  path: string
  file(name: string): string
  remove(): void
}

function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `srs-${prefix}-`))
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** A fresh folder under the system's temp folder, removed when the test finishes. */
export function tempDir(prefix: string): TempDir {
  const dir = makeTempDir(prefix)
  onTestFinished(() => dir.remove())
  return dir
}

/** A fresh folder for each test of the describe block (`shared`: one for all), removed after it. */
export function useTempDir(prefix: string, options: { shared?: boolean } = {}): TempDir {
  return useFixture(() => makeTempDir(prefix), { ...options, close: (dir) => dir.remove() })
}
