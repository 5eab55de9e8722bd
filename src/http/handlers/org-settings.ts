import type { IssueRules, IssueRulesPolicyDefault } from '../../db/models.js'
import type { PolicySource } from '../../services/org-policy-service.js'
import { actorOf } from '../../services/token-service.js'
import { auditEventBody } from '../presenters.js'
import { type OperationHandler, principalOf, type Schemas } from './types.js'

export const getOrgSecurityPolicy: OperationHandler<'getOrgSecurityPolicy'> = async function (request) {
  const principal = principalOf(request)
  return this.services.orgPolicies.getSecurityPolicy(principal.orgId, request.query.custom_rules_only ?? false)
}

export const updateOrgSecurityPolicy: OperationHandler<'updateOrgSecurityPolicy'> = async function (request) {
  const principal = principalOf(request)
  const body = request.body ?? {}
  return this.services.orgPolicies.updateSecurityPolicy(
    principal.orgId,
    {
      ...(body.policyDefault === undefined ? {} : { policyDefault: body.policyDefault as IssueRulesPolicyDefault }),
      ...(body.policyRules === undefined ? {} : { policyRules: body.policyRules as IssueRules }),
      ...(body.resetPolicyRules === undefined ? {} : { resetPolicyRules: body.resetPolicyRules }),
    },
    request.query.custom_rules_only ?? false,
    actorOf(principal),
  )
}

export const getOrgLicensePolicy: OperationHandler<'getOrgLicensePolicy'> = async function (request) {
  return (await this.services.orgPolicies.getLicensePolicy(principalOf(request).orgId)) as Record<string, unknown>
}

export const updateOrgLicensePolicy: OperationHandler<'updateOrgLicensePolicy'> = async function (request) {
  const principal = principalOf(request)
  const policy = await this.services.orgPolicies.updateLicensePolicy(
    principal.orgId,
    request.body,
    request.query.merge_update,
    actorOf(principal),
  )
  return policy as Record<string, unknown>
}

export const getAuditLogEvents: OperationHandler<'getAuditLogEvents'> = async function (request) {
  const principal = principalOf(request)
  const q = request.query
  const { events, nextPage } = await this.services.audit.list(principal.orgId, {
    ...(q.type === undefined ? {} : { type: q.type }),
    perPage: q.per_page ?? 30,
    page: q.page ?? '1',
    ...(q.from === undefined ? {} : { from: q.from }),
  })
  const org = await this.services.orgs.findById(principal.orgId)
  const orgName = org?.name ?? principal.orgSlug
  return { results: events.map((event) => auditEventBody(event, orgName)), nextPage }
}

function sourceBody(source: PolicySource): Schemas['PolicySource'] {
  return source.kind === 'org'
    ? { kind: 'org' }
    : { kind: 'label', label_id: source.labelId, label_name: source.labelName }
}

/** Extension (not Socket's): the policy a repo gets from its org and labels. */
export const getRepoEffectivePolicy: OperationHandler<'getRepoEffectivePolicy'> = async function (request) {
  const principal = principalOf(request)
  const { repo, policy } = await this.services.orgPolicies.effectivePolicy(
    principal.orgId,
    request.params.repo_slug,
    request.query.workspace,
  )
  return {
    repository: { id: repo.id, slug: repo.slug, workspace: repo.workspace },
    labels: policy.labels,
    securityPolicyDefault: {
      value: policy.securityPolicyDefault.value,
      source: sourceBody(policy.securityPolicyDefault.source),
    },
    securityPolicyRules: Object.fromEntries(
      Object.entries(policy.securityPolicyRules).map(([type, rule]) => [
        type,
        { action: rule.action as IssueRules[string]['action'], source: sourceBody(rule.source) },
      ]),
    ),
    licensePolicy: { value: policy.licensePolicy.value, source: sourceBody(policy.licensePolicy.source) },
    recentlyPublishedThresholdMs:
      policy.recentlyPublishedThresholdMs === null
        ? null
        : {
            value: policy.recentlyPublishedThresholdMs.value,
            source: sourceBody(policy.recentlyPublishedThresholdMs.source),
          },
  }
}
