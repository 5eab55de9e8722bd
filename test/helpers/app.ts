import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { type Config, testConfig } from '../../src/config.js'
import type { Db } from '../../src/db/index.js'
import type { Services } from '../../src/services/index.js'
import { installContractCheck } from './contract.js'

export interface TestApp {
  app: FastifyInstance
  services: Services
  /** The default org of the fixture. */
  org: { id: string; slug: string }
  /** An all-scopes token of that org. */
  token: string
  /** Authorization headers for a token (Bearer by default, Basic as Socket's clients send it). */
  auth(token?: string, scheme?: 'bearer' | 'basic'): { authorization: string }
  close(): Promise<void>
}

export interface TestAppOptions {
  config?: Partial<Config>
  now?: () => number
  db?: Db
  orgSlug?: string
}

/** The real app on an in-memory database, with one org and an all-scopes token, every response checked against the spec. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const app = await buildApp({
    config: testConfig(options.config),
    ...(options.now ? { now: options.now } : {}),
    ...(options.db ? { db: options.db } : {}),
  })
  installContractCheck(app)
  await app.ready()
  const services = app.services
  const slug = options.orgSlug ?? 'acme'
  const org = (await services.orgs.findBySlug(slug)) ?? (await services.orgs.create({ slug, name: 'Acme Inc.' }))
  const { secret } = await services.tokens.issue({ orgSlug: slug, name: 'test', maxQuota: 100_000 })
  return {
    app,
    services,
    org: { id: org.id, slug: org.slug },
    token: secret,
    auth: (token = secret, scheme = 'bearer') => ({
      authorization: scheme === 'bearer' ? `Bearer ${token}` : `Basic ${Buffer.from(`${token}:`).toString('base64')}`,
    }),
    close: () => app.close(),
  }
}

/** Issues a token of an existing org. */
export async function issueToken(
  services: Services,
  options: { orgSlug: string; scopes?: string[]; maxQuota?: number },
): Promise<string> {
  const { secret } = await services.tokens.issue({ name: 'fixture', ...options })
  return secret
}
