import type { Config } from '../config.js'
import type { Repositories } from '../db/index.js'
import { createLabelService } from './label-service.js'
import { createOrgService } from './org-service.js'
import { createQuotaService } from './quota-service.js'
import { createRepoService } from './repo-service.js'
import { createStateService } from './state-service.js'
import { createTokenService } from './token-service.js'

export interface ServiceOptions {
  config: Pick<Config, 'quota' | 'authCacheTtlMs'>
  /** The clock (epoch ms); tests move it to cross quota windows. */
  now?: () => number
}

/** Every service over one set of repositories. */
export function createServices(repositories: Repositories, { config, now = Date.now }: ServiceOptions) {
  const quota = createQuotaService({
    tokens: repositories.tokens,
    now,
    windowSeconds: config.quota.windowSeconds,
    // Changes by another process (the admin CLI) are seen as late as a cached token is: no later.
    leaseTtlMs: config.authCacheTtlMs,
  })
  const tokens = createTokenService({
    tokens: repositories.tokens,
    orgs: repositories.orgs,
    quota,
    now,
    defaultMaxQuota: config.quota.defaultMax,
    cacheTtlMs: config.authCacheTtlMs,
  })
  return {
    orgs: createOrgService({ orgs: repositories.orgs, now }),
    tokens,
    quota,
    repos: createRepoService({ repos: repositories.repos, now }),
    labels: createLabelService({ labels: repositories.labels, now }),
    health: repositories.health,
    state: createStateService({
      state: repositories.state,
      orgs: repositories.orgs,
      now,
      beforeTokensChange: () => quota.releaseAll(),
      onTokensChanged: () => tokens.clearCache(),
    }),
    /** Gives back what the services hold in memory (quota leases); the app calls it on close. */
    close: () => quota.releaseAll(),
  }
}

export type Services = ReturnType<typeof createServices>
