import { NotFoundError } from '../../services/errors.js'
import { organizationBody } from '../presenters.js'
import { type OperationHandler, principalOf } from './types.js'

export const getQuota: OperationHandler<'getQuota'> = async function (request) {
  const status = await this.services.quota.read(principalOf(request))
  return {
    quota: status.remaining,
    maxQuota: status.limit,
    nextWindowRefresh: status.resetsAt === null ? null : new Date(status.resetsAt).toISOString(),
  }
}

/** An org token sees exactly one organization, its own, keyed by id. */
export const getOrganizations: OperationHandler<'getOrganizations'> = async function (request) {
  const org = await this.services.orgs.findById(principalOf(request).orgId)
  if (!org) throw new NotFoundError('Organization not found')
  return { organizations: { [org.id]: organizationBody(org) } }
}
