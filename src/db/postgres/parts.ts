import type { PgContext } from './context.js'
import { createDiffScanRepository } from './repositories/diff-scan-repository.js'
import { createFullScanRepository } from './repositories/full-scan-repository.js'
import { createLabelRepository } from './repositories/label-repository.js'
import { createOrgRepository } from './repositories/org-repository.js'
import { createRepoRepository } from './repositories/repo-repository.js'
import { createTokenRepository } from './repositories/token-repository.js'

/** The repositories whose writes a whole-state import runs inside its own transaction. */
export function createPgParts(ctx: PgContext) {
  return {
    orgs: createOrgRepository(ctx),
    tokens: createTokenRepository(ctx),
    repos: createRepoRepository(ctx),
    labels: createLabelRepository(ctx),
    fullScans: createFullScanRepository(ctx),
    diffScans: createDiffScanRepository(ctx),
  }
}

export type PgParts = ReturnType<typeof createPgParts>
