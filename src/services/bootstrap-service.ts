import { ConflictError } from './errors.js'
import type { OrgService } from './org-service.js'
import type { TokenService } from './token-service.js'

export interface BootstrapOptions {
  enabled: boolean
  orgSlug: string
  orgName: string | undefined
  /** A fixed token value; generated when absent. */
  token: string | undefined
}

export interface BootstrapResult {
  orgSlug: string
  /** The token value, when one was created now. */
  token: string
  /** Whether the value came from configuration (and so is already known to the operator). */
  tokenFromConfig: boolean
}

/**
 * First-run setup. On an empty database: an org and an all-scopes token. With a fixed token
 * configured, also whenever that token has never been stored (so a known CI token always works),
 * without recreating one an operator revoked.
 *
 * Several instances may start together on one empty PostgreSQL database: the org's creation decides
 * which of them bootstraps. The others find it taken and create nothing (with a fixed token, the
 * token's own uniqueness decides), so one first-run token is printed, by one instance.
 */
export async function bootstrap(
  services: { orgs: OrgService; tokens: TokenService },
  options: BootstrapOptions,
): Promise<BootstrapResult | undefined> {
  if (!options.enabled) return undefined
  const empty = (await services.orgs.count()) === 0
  const fixedTokenMissing = options.token !== undefined && !(await services.tokens.exists(options.token))
  if (!empty && !fixedTokenMissing) return undefined
  let org = await services.orgs.findBySlug(options.orgSlug)
  if (!org) {
    try {
      org = await services.orgs.create({ slug: options.orgSlug, name: options.orgName ?? options.orgSlug })
    } catch (error) {
      // Another instance created it a moment ago: that instance bootstraps.
      if (error instanceof ConflictError && options.token === undefined) return undefined
      if (!(error instanceof ConflictError)) throw error
      org = await services.orgs.findBySlug(options.orgSlug)
      if (!org) throw error
    }
  } else if (options.token === undefined) {
    // The org exists but the database was empty a moment ago: another instance is bootstrapping.
    if (empty) return undefined
  }
  try {
    const { secret } = await services.tokens.issue({
      orgSlug: org.slug,
      name: 'bootstrap',
      ...(options.token === undefined ? {} : { token: options.token }),
    })
    return { orgSlug: org.slug, token: secret, tokenFromConfig: options.token !== undefined }
  } catch (error) {
    // The fixed token was stored by another instance meanwhile.
    if (error instanceof ConflictError && options.token !== undefined) return undefined
    throw error
  }
}
