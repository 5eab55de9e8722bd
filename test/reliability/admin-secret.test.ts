import { describe, expect, it, vi } from 'vitest'
import { useTestApp } from '../helpers/app.js'

/**
 * The admin secret is compared in constant time (issue 10, row 13): both the presented and the
 * configured secret are reduced to fixed-length digests and those compared with timingSafeEqual,
 * so a wrong length takes the same path as a wrong value instead of returning early.
 */

const compared = vi.hoisted(() => ({ lengths: [] as [number, number][] }))
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>()
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    compared.lengths.push([a.byteLength, b.byteLength])
    return crypto.timingSafeEqual(a, b)
  }
  return { ...crypto, default: { ...crypto, timingSafeEqual }, timingSafeEqual }
})

const SECRET = 'constant-time-admin-secret-0123'

describe('the admin secret comparison', () => {
  const t = useTestApp({ config: { adminSecret: SECRET } }, { shared: true })

  const attempt = (presented: string) =>
    t.app.inject({ method: 'GET', url: '/_admin/faults', headers: { 'x-admin-secret': presented } })

  it.each([
    ['one character', 'x'],
    ['the secret less its last character', SECRET.slice(0, -1)],
    ['the secret and more', `${SECRET}-and-more`],
    ['a value of the same length', 'x'.repeat(SECRET.length)],
    ['4,000 characters', 'y'.repeat(4000)],
  ])('%s: one comparison of two 32-byte digests, then the same 401', async (_name, presented) => {
    compared.lengths = []
    const response = await attempt(presented)
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual({ error: { message: 'Invalid admin secret', details: null } })
    expect(compared.lengths).toEqual([[32, 32]])
  })

  it('the secret itself passes through the same comparison', async () => {
    compared.lengths = []
    expect((await attempt(SECRET)).statusCode).toBe(200)
    expect(compared.lengths).toEqual([[32, 32]])
  })
})
