import type { Label, Org, Repo } from '../db/models.js'
import { policyFlags } from '../services/label-service.js'
import type { Schemas } from './handlers/types.js'

/**
 * Domain → wire. Every key of a response schema is set explicitly: fast-json-stringify would
 * otherwise write nothing (or, with a default, a made-up value) for a missing one.
 */

export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

export function repoBody(repo: Repo, orgSlug: string, dashboardBaseUrl: string): Required<Schemas['Repo']> {
  return {
    id: repo.id,
    created_at: iso(repo.createdAt),
    updated_at: iso(repo.updatedAt),
    html_url: `${dashboardBaseUrl}/dashboard/org/${encodeURIComponent(orgSlug)}/repo/${encodeURIComponent(repo.slug)}`,
    head_full_scan_id: repo.headFullScanId,
    integration_meta: repo.integrationMeta,
    slug: repo.slug,
    name: repo.name,
    description: repo.description,
    homepage: repo.homepage,
    visibility: repo.visibility,
    archived: repo.archived,
    default_branch: repo.defaultBranch,
    workspace: repo.workspace,
  }
}

export function labelBody(label: Label): Required<Schemas['Label']> {
  const flags = policyFlags(label.settings)
  return {
    id: label.id,
    name: label.name,
    repository_ids: label.repositoryIds,
    has_security_policy: flags.hasSecurityPolicy,
    has_license_policy: flags.hasLicensePolicy,
  }
}

export function organizationBody(org: Org): Schemas['Organization'] {
  return { id: org.id, name: org.name, image: org.image, plan: org.plan, slug: org.slug }
}
