import { eq } from 'drizzle-orm'
import { toRowId } from '../../ids.js'
import type { AuditOf, IssueRules, LicensePolicy, OrgPolicy } from '../../models.js'
import type { Db } from '../client.js'
import { orgSettings } from '../schema.js'
import { type AuditWriter, recordAudit } from './audit-repository.js'

/** An org's own security and license policy; an org without a row has the defaults the service defines. */
export function createOrgSettingsRepository(db: Db, audit?: AuditWriter) {
  function read(orgId: number): OrgPolicy | undefined {
    const row = db.select().from(orgSettings).where(eq(orgSettings.orgId, orgId)).get()
    if (!row) return undefined
    return {
      securityPolicyDefault: row.securityPolicyDefault,
      securityPolicyRules: JSON.parse(row.securityPolicyRules) as IssueRules,
      licensePolicy: JSON.parse(row.licensePolicy) as LicensePolicy,
    }
  }

  return {
    async find(orgId: string): Promise<OrgPolicy | undefined> {
      const id = toRowId(orgId)
      return id === undefined ? undefined : read(id)
    },

    /**
     * Reads the org's policy (or `defaults`), lets `change` derive the new one, and stores it with its
     * audit event, all in one write transaction: concurrent updates (a merge) never lose each other.
     */
    async update(
      orgId: string,
      defaults: OrgPolicy,
      change: (current: OrgPolicy) => OrgPolicy,
      now: number,
      auditOf?: AuditOf<{ before: OrgPolicy; after: OrgPolicy }>,
    ): Promise<OrgPolicy> {
      const id = toRowId(orgId)
      if (id === undefined) throw new Error(`not an org id: ${orgId}`)
      return db.transaction(
        () => {
          const before = read(id) ?? defaults
          const after = change(before)
          const values = {
            securityPolicyDefault: after.securityPolicyDefault,
            securityPolicyRules: JSON.stringify(after.securityPolicyRules),
            licensePolicy: JSON.stringify(after.licensePolicy),
            updatedAt: now,
          }
          db.insert(orgSettings)
            .values({ orgId: id, ...values })
            .onConflictDoUpdate({ target: orgSettings.orgId, set: values })
            .run()
          recordAudit(audit, auditOf, { before, after }, now)
          return after
        },
        { behavior: 'immediate' },
      )
    },
  }
}

export type OrgSettingsRepository = ReturnType<typeof createOrgSettingsRepository>
