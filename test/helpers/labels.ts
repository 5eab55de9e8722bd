import { expect } from 'vitest'
import type { components } from '../../src/http/generated/api.js'
import { request, type TestApp } from './app.js'

/** A label as the API answers it: the spec's schema, every key present (the server always writes each). */
export type LabelJson = Required<components['schemas']['Label']>

/** Creates a label, which must succeed (201). */
export async function createLabel(t: TestApp, name: string, orgSlug = 'acme', token?: string): Promise<LabelJson> {
  const response = await request(t, 'POST', `/v0/orgs/${orgSlug}/repos/labels`, { token, payload: { name } })
  expect(response.statusCode, response.body).toBe(201)
  return response.json() as LabelJson
}
