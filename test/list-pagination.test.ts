import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from './helpers/app.js'

/**
 * Deep pages seek from remembered positions instead of OFFSET (src/db/list-cursor-cache.ts). Every
 * page, in every order and filter, reached in order or at random, before and after writes, must
 * be exactly the slice a plain sort of all repos gives.
 */
describe('pagination against a reference sort', () => {
  const t = useTestApp(() => ({ now: () => clock }), { shared: true })
  let clock = Date.parse('2026-03-01T00:00:00.000Z')
  let seed = 42
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  const names = ['alpha', 'Alpha', 'beta', 'BETA', 'gamma', 'Delta', 'delta', 'epsilon', 'Zeta', 'eta']

  beforeAll(async () => {
    for (let i = 0; i < 120; i++) {
      // Several repos share a timestamp and a name, so the id tie-break matters.
      if (random() < 0.6) clock += 1000
      const name = `${names[Math.floor(random() * names.length)]}`
      await create({ slug: `r-${i}`, name, archived: random() < 0.15, workspace: random() < 0.2 ? 'team' : '' })
    }
  })

  async function create(body: Record<string, unknown>) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v0/orgs/acme/repos',
      headers: t.auth(),
      payload: body,
    })
    expect(response.statusCode).toBe(201)
  }

  interface Row {
    id: string
    name: string
    created_at: string
    updated_at: string
    archived: boolean
    workspace: string
  }

  async function all(): Promise<Row[]> {
    const rows: Row[] = []
    for (let page = 1; ; page++) {
      const response = await t.app.inject({
        method: 'GET',
        url: `/v0/orgs/acme/repos?include_archived=true&per_page=100&page=${page}&direction=asc`,
        headers: t.auth(),
      })
      const body = response.json() as { results: Row[]; nextPage: number | null }
      rows.push(...body.results)
      if (body.nextPage === null) return rows
    }
  }

  const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase())
  function expected(rows: Row[], sort: string, direction: string, archived: boolean, workspace?: string) {
    const key = (r: Row): string | number =>
      sort === 'name' ? asciiLower(r.name) : Date.parse(sort === 'updated_at' ? r.updated_at : r.created_at)
    const sorted = rows
      .filter((r) => (archived || !r.archived) && (workspace === undefined || r.workspace === workspace))
      .sort((a, b) => {
        const ka = key(a)
        const kb = key(b)
        const byKey = ka < kb ? -1 : ka > kb ? 1 : 0
        return byKey !== 0 ? byKey : Number(a.id) - Number(b.id)
      })
    return direction === 'desc' ? sorted.reverse() : sorted
  }

  async function page(query: string, pageNumber: number, perPage: number) {
    const response = await t.app.inject({
      method: 'GET',
      url: `/v0/orgs/acme/repos?${query}&per_page=${perPage}&page=${pageNumber}`,
      headers: t.auth(),
    })
    expect(response.statusCode).toBe(200)
    return response.json() as { results: Row[]; nextPage: number | null }
  }

  async function checkEveryOrder() {
    const rows = await all()
    for (const sort of ['created_at', 'updated_at', 'name']) {
      for (const direction of ['asc', 'desc']) {
        for (const [archived, workspace] of [
          [false, undefined],
          [true, undefined],
          [false, 'team'],
        ] as const) {
          const want = expected(rows, sort, direction, archived, workspace).map((r) => r.id)
          const query = `sort=${sort}&direction=${direction}&include_archived=${archived}${workspace === undefined ? '' : `&workspace=${workspace}`}`
          const perPage = 7
          const pages = Math.ceil(want.length / perPage) + 1
          // In order, then at random (hitting remembered positions and falling between them).
          const order = [...Array(pages).keys()].map((i) => i + 1)
          const shuffled = [...order].sort(() => random() - 0.5)
          // Random first: positions remembered before the last writes must not be trusted.
          for (const n of [...shuffled, ...order]) {
            const got = await page(query, n, perPage)
            expect(
              got.results.map((r) => r.id),
              `${query} page ${n}`,
            ).toEqual(want.slice((n - 1) * perPage, n * perPage))
            expect(got.nextPage).toBe(n * perPage < want.length ? n + 1 : null)
          }
        }
      }
    }
  }

  it('matches the reference on every page before writes', async () => {
    await checkEveryOrder()
  })

  it('still matches after updates, archiving, deletes and creates move rows around', async () => {
    for (let i = 0; i < 20; i++) {
      clock += 500
      const slug = `r-${Math.floor(random() * 120)}`
      const choice = random()
      if (choice < 0.4) {
        await t.app.inject({
          method: 'POST',
          url: `/v0/orgs/acme/repos/${slug}`,
          headers: t.auth(),
          payload: { name: names[Math.floor(random() * names.length)], archived: random() < 0.3 },
        })
      } else if (choice < 0.7) {
        await t.app.inject({ method: 'DELETE', url: `/v0/orgs/acme/repos/${slug}`, headers: t.auth() })
      } else {
        await create({ slug: `new-${i}`, name: names[Math.floor(random() * names.length)] })
      }
      // Deep pages between writes: a position remembered before the write must not be used after it.
      const rows = await all()
      for (const [query, sort, direction, archived] of [
        ['sort=name&direction=desc&include_archived=false', 'name', 'desc', false],
        ['sort=updated_at&direction=asc&include_archived=true', 'updated_at', 'asc', true],
        ['sort=created_at&direction=desc&include_archived=false', 'created_at', 'desc', false],
      ] as const) {
        const want = expected(rows, sort, direction, archived).map((r) => r.id)
        for (const n of [8, 9, 3]) {
          const got = await page(query, n, 7)
          expect(
            got.results.map((r) => r.id),
            `${query} page ${n} after write ${i}`,
          ).toEqual(want.slice((n - 1) * 7, n * 7))
        }
      }
    }
    await checkEveryOrder()
  })
})
