import { toRowId } from '../../ids.js'
import type { IssueRules, LicensePolicy, OrgPolicy } from '../../models.js'
import type { OrgSettingsRepository } from '../../types.js'
import { row } from '../client.js'
import type { PgContext } from '../context.js'
import { recordAudit } from './audit-repository.js'

interface SettingsRow {
  securityPolicyDefault: OrgPolicy['securityPolicyDefault'] | null
  securityPolicyRules: string | null
  licensePolicy: string | null
}

function toPolicy(found: SettingsRow | undefined): OrgPolicy | undefined {
  if (!found || found.securityPolicyDefault === null) return undefined
  return {
    securityPolicyDefault: found.securityPolicyDefault,
    securityPolicyRules: JSON.parse(found.securityPolicyRules ?? '{}') as IssueRules,
    licensePolicy: JSON.parse(found.licensePolicy ?? '{}') as LicensePolicy,
  }
}

const settingsColumns = `s.security_policy_default AS "securityPolicyDefault",
  s.security_policy_rules AS "securityPolicyRules", s.license_policy AS "licensePolicy"`

/** An org's own security and license policy; an org without a row has the defaults the service defines. */
export function createOrgSettingsRepository(ctx: PgContext): OrgSettingsRepository {
  return {
    async find(orgId) {
      const id = toRowId(orgId)
      if (id === undefined) return undefined
      return toPolicy(
        await row<SettingsRow>(
          ctx.q,
          `SELECT ${settingsColumns} FROM org_settings s WHERE s.org_id = $1`,
          [id],
          'org_settings_find',
        ),
      )
    },

    /**
     * Reads the org's policy (or `defaults`), lets `change` derive the new one, and stores it with its
     * audit event, all in one transaction: the org's row is locked first (whether or not it has a
     * settings row yet), so concurrent updates from any process run one after the other and never
     * lose each other.
     */
    async update(orgId, defaults, change, now, auditOf) {
      const id = toRowId(orgId)
      if (id === undefined) throw new Error(`not an org id: ${orgId}`)
      return ctx.tx(async (q) => {
        // The org's row first, then (in a statement of its own, so it reads what the previous holder
        // of the lock committed) its settings.
        await q.query({
          name: 'org_settings_lock',
          text: 'SELECT id FROM orgs WHERE id = $1 FOR NO KEY UPDATE',
          values: [id],
        })
        const current = await row<SettingsRow>(
          q,
          `SELECT ${settingsColumns} FROM org_settings s WHERE s.org_id = $1`,
          [id],
          'org_settings_find',
        )
        const before = toPolicy(current) ?? defaults
        const after = change(before)
        await q.query({
          name: 'org_settings_upsert',
          text: `INSERT INTO org_settings (org_id, security_policy_default, security_policy_rules, license_policy, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (org_id) DO UPDATE SET security_policy_default = excluded.security_policy_default,
                   security_policy_rules = excluded.security_policy_rules, license_policy = excluded.license_policy,
                   updated_at = excluded.updated_at`,
          values: [
            id,
            after.securityPolicyDefault,
            JSON.stringify(after.securityPolicyRules),
            JSON.stringify(after.licensePolicy),
            now,
          ],
        })
        await recordAudit(q, auditOf, { before, after }, now)
        return after
      })
    },
  }
}
