import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { openDb, runMigrations } from '../src/db/index.js'
import { createResponseCache } from '../src/http/plugins/list-cache.js'
import { createTestApp, type TestApp } from './helpers/app.js'

const slugsOf = (response: { json(): { results: { slug: string }[] } }) => response.json().results.map((r) => r.slug)

describe('cached repo list pages (docs/pagination-and-sorting.md)', () => {
  const list = (t: TestApp, query = '') =>
    t.app.inject({ method: 'GET', url: `/v0/orgs/acme/repos${query}`, headers: t.auth() })
  const send = (t: TestApp, method: 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url: `/v0/orgs/acme/repos${url}`, headers: t.auth(), ...(payload ? { payload } : {}) })

  it('answer the same bytes while nothing changes, and every write of the org shows at once', async () => {
    const t = await createTestApp()
    try {
      await send(t, 'POST', '', { name: 'one' })
      const first = await list(t, '?sort=name&direction=asc')
      const again = await list(t, '?sort=name&direction=asc')
      expect(again.statusCode).toBe(200)
      expect(again.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(again.body).toBe(first.body)
      expect(t.app.listCache.size).toBe(1)

      await send(t, 'POST', '', { name: 'two' })
      expect(slugsOf(await list(t, '?sort=name&direction=asc'))).toEqual(['one', 'two'])
      await send(t, 'POST', '/two', { archived: true })
      expect(slugsOf(await list(t, '?sort=name&direction=asc'))).toEqual(['one'])
      expect(slugsOf(await list(t, '?sort=name&direction=asc&include_archived=true'))).toEqual(['one', 'two'])
      await send(t, 'DELETE', '/one')
      expect(slugsOf(await list(t, '?sort=name&direction=asc'))).toEqual([])
      await t.services.state.reset()
      expect(slugsOf(await list(t, '?sort=name&direction=asc&include_archived=true'))).toEqual([])
    } finally {
      await t.close()
    }
  })

  it('show what another process wrote to the database file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'socket-repos-list-cache-'))
    const path = join(dir, 'cache.db')
    const db = openDb({ path })
    runMigrations(db)
    const t = await createTestApp({ db })
    const other = new Database(path)
    try {
      await send(t, 'POST', '', { name: 'mine' })
      expect(slugsOf(await list(t))).toEqual(['mine'])
      other.prepare("UPDATE repos SET name = 'renamed elsewhere' WHERE slug = 'mine'").run()
      expect((await list(t)).json().results[0].name).toBe('renamed elsewhere')
    } finally {
      other.close()
      await t.close()
      db.$client.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('createResponseCache', () => {
  it('answers only the version an entry was made from', () => {
    const cache = createResponseCache({ maxChars: 100, maxEntryChars: 50 })
    cache.set('k', 'v1', 'body')
    expect(cache.get('k', 'v1')).toBe('body')
    expect(cache.get('k', 'v2')).toBeUndefined()
    expect(cache.get('k', 'v1')).toBeUndefined()
  })

  it('drops the least recently used entries past its size, and keeps no entry over the entry limit', () => {
    const cache = createResponseCache({ maxChars: 30, maxEntryChars: 20 })
    cache.set('a', 'v', 'x'.repeat(10))
    cache.set('b', 'v', 'y'.repeat(10))
    expect(cache.get('a', 'v')).toBe('x'.repeat(10))
    cache.set('c', 'v', 'z'.repeat(15))
    expect(cache.get('b', 'v')).toBeUndefined()
    expect(cache.get('a', 'v')).toBe('x'.repeat(10))
    expect(cache.get('c', 'v')).toBe('z'.repeat(15))
    cache.set('huge', 'v', 'h'.repeat(21))
    expect(cache.get('huge', 'v')).toBeUndefined()
    expect(cache.size).toBe(2)
  })
})
