import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { components } from '../../src/http/generated/api.js'
import type { TestApp } from './app.js'

/** A label as the API answers it: the spec's schema, every key present (the server always writes each). */
export type LabelJson = Required<components['schemas']['Label']>

/** One request; `token` is a token of the fixture's org by default, null for no credentials. */
export function request(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  url: string,
  options: { token?: string | null; payload?: unknown } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: options.token === null ? {} : t.auth(options.token),
    ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }),
  })
}

/** Creates a label, which must succeed (201). */
export async function createLabel(t: TestApp, name: string, orgSlug = 'acme', token?: string): Promise<LabelJson> {
  const response = await request(t, 'POST', `/v0/orgs/${orgSlug}/repos/labels`, { token, payload: { name } })
  expect(response.statusCode, response.body).toBe(201)
  return response.json() as LabelJson
}
