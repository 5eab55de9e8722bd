import type { Config } from '../config.js'
import type { Repositories } from '../db/index.js'
import { createAuditService } from './audit-service.js'
import { createDiffScanService } from './diff-scan-service.js'
import { createFullScanService } from './full-scan-service.js'
import { createLabelService } from './label-service.js'
import { createOrgPolicyService } from './org-policy-service.js'
import { createOrgService } from './org-service.js'
import { createQuotaService } from './quota-service.js'
import { createRepoService } from './repo-service.js'
import { createStateService } from './state-service.js'
import { createTokenService } from './token-service.js'

export interface ServiceOptions {
  config: Pick<Config, 'quota' | 'authCacheTtlMs'> & Partial<Pick<Config, 'auditLogRetentionDays'>>
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
  const repos = createRepoService({ repos: repositories.repos, now })
  return {
    orgs: createOrgService({ orgs: repositories.orgs, now }),
    tokens,
    quota,
    repos,
    orgPolicies: createOrgPolicyService({
      settings: repositories.orgSettings,
      labels: repositories.labels,
      repos,
      now,
    }),
    audit: createAuditService({
      audit: repositories.audit,
      now,
      retentionDays: config.auditLogRetentionDays ?? 0,
    }),
    labels: createLabelService({ labels: repositories.labels, now }),
    fullScans: createFullScanService({ fullScans: repositories.fullScans, now }),
    diffScans: createDiffScanService({
      diffScans: repositories.diffScans,
      fullScans: repositories.fullScans,
      repos: repositories.repos,
      now,
    }),
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
