import { z } from 'zod'
import type {
  Actor,
  IssueRules,
  IssueRulesPolicyDefault,
  LabelSettings,
  LicensePolicy,
  OrgPolicy,
} from '../db/models.js'
import type { LabelRepository, OrgSettingsRepository } from '../db/types.js'
import { alertTypes, issueActions } from './alert-types.js'
import { auditEvent } from './audit-service.js'
import { ConflictError } from './errors.js'
import type { RepoService } from './repo-service.js'
import { parseOrThrow } from './validation.js'

/** What a new org starts from (docs/org-policies.md). */
export const defaultOrgPolicy: OrgPolicy = Object.freeze({
  securityPolicyDefault: 'default',
  securityPolicyRules: {},
  licensePolicy: {},
}) as OrgPolicy

/** Policy defaults from least to most strict. */
const policyDefaultStrictness: readonly IssueRulesPolicyDefault[] = ['default', 'low', 'medium', 'high']

const licenseOptions = ['toplevelOnly', 'applyToUnidentified'] as const
const licensePolicySchema = z.strictObject({
  allow: z.array(z.string().max(1000)).max(10_000).optional(),
  warn: z.array(z.string().max(1000)).max(10_000).optional(),
  options: z.array(z.enum(licenseOptions)).optional(),
})

export interface SecurityPolicyUpdate {
  policyDefault?: IssueRulesPolicyDefault
  policyRules?: IssueRules
  resetPolicyRules?: boolean
}

export interface SecurityPolicyView {
  securityPolicyRules: IssueRules
  securityPolicyDefault: IssueRulesPolicyDefault
}

/** Where a value of the effective policy comes from. */
export type PolicySource = { kind: 'org' } | { kind: 'label'; labelId: string; labelName: string }

export interface EffectivePolicy {
  labels: { id: string; name: string }[]
  securityPolicyDefault: { value: IssueRulesPolicyDefault; source: PolicySource }
  securityPolicyRules: Record<string, { action: string; source: PolicySource }>
  licensePolicy: { value: Record<string, unknown>; source: PolicySource }
  recentlyPublishedThresholdMs: { value: number; source: PolicySource } | null
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}

export function createOrgPolicyService(deps: {
  settings: OrgSettingsRepository
  labels: LabelRepository
  repos: Pick<RepoService, 'resolve'>
  now: () => number
}) {
  const { settings, labels, repos, now } = deps

  async function policyOf(orgId: string): Promise<OrgPolicy> {
    return (await settings.find(orgId)) ?? defaultOrgPolicy
  }

  /** Every alert type: the customized rules, and `defer` (to the policy default) for the others. */
  function securityView(policy: OrgPolicy, customRulesOnly: boolean): SecurityPolicyView {
    const rules: IssueRules = {}
    if (customRulesOnly) Object.assign(rules, policy.securityPolicyRules)
    else for (const type of alertTypes) rules[type] = policy.securityPolicyRules[type] ?? { action: 'defer' }
    return { securityPolicyRules: rules, securityPolicyDefault: policy.securityPolicyDefault }
  }

  function settingEvent(orgId: string, actor: Actor | undefined, setting: string, before: unknown, after: unknown) {
    return actor && JSON.stringify(before) !== JSON.stringify(after)
      ? [auditEvent(orgId, 'UpdateOrganizationSetting', actor, { setting, before, after })]
      : []
  }

  return {
    async getSecurityPolicy(orgId: string, customRulesOnly: boolean): Promise<SecurityPolicyView> {
      return securityView(await policyOf(orgId), customRulesOnly)
    },

    /**
     * Sets the default and merges the rules given over the customized ones (the others stay);
     * `resetPolicyRules` drops every customized rule and cannot be combined with rules (409).
     */
    async updateSecurityPolicy(
      orgId: string,
      update: SecurityPolicyUpdate,
      customRulesOnly: boolean,
      actor?: Actor,
    ): Promise<SecurityPolicyView> {
      if (update.resetPolicyRules === true && update.policyRules && Object.keys(update.policyRules).length > 0) {
        throw new ConflictError('resetPolicyRules cannot be combined with policyRules updates')
      }
      const after = await settings.update(
        orgId,
        defaultOrgPolicy,
        (current) => ({
          ...current,
          securityPolicyDefault: update.policyDefault ?? current.securityPolicyDefault,
          securityPolicyRules: update.resetPolicyRules
            ? {}
            : { ...current.securityPolicyRules, ...(update.policyRules ?? {}) },
        }),
        now(),
        ({ before, after: changed }) =>
          settingEvent(
            orgId,
            actor,
            'securityPolicy',
            { securityPolicyDefault: before.securityPolicyDefault, securityPolicyRules: before.securityPolicyRules },
            { securityPolicyDefault: changed.securityPolicyDefault, securityPolicyRules: changed.securityPolicyRules },
          ),
      )
      return securityView(after, customRulesOnly)
    },

    async getLicensePolicy(orgId: string): Promise<LicensePolicy> {
      return (await policyOf(orgId)).licensePolicy
    },

    /**
     * `merge`: each list given is added to the stored one (order kept, duplicates dropped); lists not
     * given stay. Otherwise the body replaces the whole policy.
     */
    async updateLicensePolicy(orgId: string, body: unknown, merge: boolean, actor?: Actor): Promise<LicensePolicy> {
      const given = parseOrThrow(licensePolicySchema, body ?? {}) as LicensePolicy
      const after = await settings.update(
        orgId,
        defaultOrgPolicy,
        (current) => {
          if (!merge) return { ...current, licensePolicy: given }
          const merged: LicensePolicy = { ...current.licensePolicy }
          for (const key of ['allow', 'warn', 'options'] as const) {
            const list = given[key]
            if (list) merged[key] = unique([...(current.licensePolicy[key] ?? []), ...list])
          }
          return { ...current, licensePolicy: merged }
        },
        now(),
        ({ before, after: changed }) =>
          settingEvent(orgId, actor, 'licensePolicy', before.licensePolicy, changed.licensePolicy),
      )
      return after.licensePolicy
    },

    /** The policy a repo gets from its org and its labels (docs/org-policies.md, "Effective policy"). */
    async effectivePolicy(orgId: string, repoSlug: string, workspace: string | undefined) {
      const repo = await repos.resolve(orgId, repoSlug, workspace)
      const org = await policyOf(orgId)
      const repoLabels = await labels.settingsOfRepo(orgId, repo.id)
      return { repo, policy: combine(org, repoLabels) }
    },
  }
}

/**
 * Label settings override the org's policy; between several labels the strictest value wins, and on
 * a tie the label with the lowest id. The license policy, a free-form object, cannot be ordered: the
 * label with the lowest id that sets one wins.
 */
export function combine(
  org: OrgPolicy,
  labels: { id: string; name: string; settings: LabelSettings }[],
): EffectivePolicy {
  const orgSource: PolicySource = { kind: 'org' }
  const sourceOf = (label: { id: string; name: string }): PolicySource => ({
    kind: 'label',
    labelId: label.id,
    labelName: label.name,
  })

  let policyDefault: EffectivePolicy['securityPolicyDefault'] = { value: org.securityPolicyDefault, source: orgSource }
  const rules: EffectivePolicy['securityPolicyRules'] = {}
  for (const [type, rule] of Object.entries(org.securityPolicyRules))
    rules[type] = { action: rule.action, source: orgSource }
  let license: EffectivePolicy['licensePolicy'] = {
    value: org.licensePolicy as Record<string, unknown>,
    source: orgSource,
  }
  let threshold: EffectivePolicy['recentlyPublishedThresholdMs'] = null

  const labelDefaults = labels.filter((l) => l.settings.issueRulesPolicyDefault !== null)
  for (const [index, label] of labelDefaults.entries()) {
    const value = label.settings.issueRulesPolicyDefault as IssueRulesPolicyDefault
    const stricter =
      index === 0 || policyDefaultStrictness.indexOf(value) > policyDefaultStrictness.indexOf(policyDefault.value)
    if (stricter) policyDefault = { value, source: sourceOf(label) }
  }

  // A rule a label sets overrides the org's; among labels, the strictest action.
  const labelRules = new Map<string, { action: string; source: PolicySource }>()
  for (const label of labels) {
    for (const [type, rule] of Object.entries(label.settings.issueRules ?? {})) {
      const current = labelRules.get(type)
      if (!current || issueActions.indexOf(rule.action) < issueActions.indexOf(current.action as never)) {
        labelRules.set(type, { action: rule.action, source: sourceOf(label) })
      }
    }
  }
  for (const [type, rule] of labelRules) rules[type] = rule

  const licenseLabel = labels.find((l) => l.settings.licensePolicy !== null)
  if (licenseLabel) license = { value: licenseLabel.settings.licensePolicy ?? {}, source: sourceOf(licenseLabel) }

  for (const label of labels) {
    const value = label.settings.recentlyPublishedThresholdMs
    if (value !== null && (threshold === null || value > threshold.value))
      threshold = { value, source: sourceOf(label) }
  }

  return {
    labels: labels.map(({ id, name }) => ({ id, name })),
    securityPolicyDefault: policyDefault,
    securityPolicyRules: Object.fromEntries(
      alertTypes
        .filter((type) => rules[type] !== undefined)
        .map((type) => [type, rules[type] as { action: string; source: PolicySource }]),
    ),
    licensePolicy: license,
    recentlyPublishedThresholdMs: threshold,
  }
}

export type OrgPolicyService = ReturnType<typeof createOrgPolicyService>
