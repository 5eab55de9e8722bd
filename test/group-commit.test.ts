import Database from 'better-sqlite3'
import { beforeEach, describe, expect, it } from 'vitest'
import { createGroupCommit } from '../src/db/sqlite/group-commit.js'
import { closedAfterTest, tempDir } from './helpers/fixtures.js'

describe('group commit (src/db/sqlite/group-commit.ts)', () => {
  let sqlite: Database.Database
  let observer: Database.Database
  beforeEach(() => {
    const file = tempDir('group-commit').file('g.db')
    sqlite = closedAfterTest(new Database(file))
    sqlite.pragma('journal_mode = WAL')
    sqlite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)')
    observer = closedAfterTest(new Database(file))
  })

  const insert = (v: string) => sqlite.prepare('INSERT INTO t (v) VALUES (?)').run(v).lastInsertRowid
  const values = () => observer.prepare('SELECT v FROM t ORDER BY id').pluck().all()
  // Another connection sees data_version move once per commit it did not make.
  const commitsSeen = () => observer.pragma('data_version', { simple: true }) as number

  it('commits the writes asked for in one turn together, each settling only after that commit', async () => {
    const commits = createGroupCommit(sqlite)
    const before = commitsSeen()
    const pending = ['a', 'b', 'c', 'd'].map((v) => commits.run(() => insert(v)))
    expect(values()).toEqual([])
    expect(await Promise.all(pending)).toEqual([1, 2, 3, 4])
    expect(values()).toEqual(['a', 'b', 'c', 'd'])
    expect(commitsSeen()).toBe(before + 1)
    await commits.run(() => insert('e'))
    expect(commitsSeen()).toBe(before + 2)
  })

  it('rolls back only the write that threw', async () => {
    const commits = createGroupCommit(sqlite)
    const results = await Promise.allSettled([
      commits.run(() => insert('x')),
      commits.run(() => {
        insert('half-done')
        throw new Error('refused')
      }),
      commits.run(() => insert('x')),
      commits.run(() => insert('y')),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('refused'))
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' })
    expect(values()).toEqual(['x', 'y'])
  })

  it('fails every write of a batch whose transaction cannot start, and writes nothing', async () => {
    sqlite.pragma('busy_timeout = 50')
    const commits = createGroupCommit(sqlite)
    observer.exec('BEGIN IMMEDIATE')
    const results = await Promise.allSettled([commits.run(() => insert('p')), commits.run(() => insert('q'))])
    observer.exec('ROLLBACK')
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' })
    expect(values()).toEqual([])
  })
})
