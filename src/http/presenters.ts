import type { AuditEvent, FullScan, Label, Org, Repo, Token } from '../db/models.js'
import { policyFlags } from '../services/label-service.js'
import { sriHash } from '../services/token-service.js'
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

/** A token as Socket's list shows it: never its value (`token_values=include` shows the stored prefix only). */
export function apiTokenBody(token: Token, includeValue: boolean): Schemas['ApiTokenList']['tokens'][number] {
  return {
    // Stored as given: only the fields the caller sent.
    committers: token.committers as Schemas['ApiTokenCommitter'][],
    created_by: null,
    created_at: iso(token.createdAt),
    group_uuid: token.groupUuid,
    hash: sriHash(token.tokenHash),
    id: token.id,
    // Required and not nullable in Socket's schema: a token never used reads as its schema default, ''.
    last_used_at: token.lastUsedAt === null ? '' : iso(token.lastUsedAt),
    max_quota: token.maxQuota,
    name: token.name,
    scopes: token.scopes as Schemas['ApiTokenScopes'],
    token: includeValue ? `${token.tokenPrefix}…` : null,
    visibility: token.visibility,
  }
}

export function createdTokenBody(token: Token, secret: string): Schemas['ApiTokenCreated'] {
  return { created_by: null, group_uuid: token.groupUuid, token: secret, hash: sriHash(token.tokenHash) }
}

export function rotatedTokenBody(token: Token, secret: string): Schemas['ApiTokenRotated'] {
  return { id: token.id, group_uuid: token.groupUuid, created_by: null, token: secret, hash: sriHash(token.tokenHash) }
}

export function tokenHashBody(token: Token): Schemas['ApiTokenUpdated'] {
  return { hash: sriHash(token.tokenHash) }
}

/** An audit event as Socket's audit log lists it; the actor (token id and name) is in the payload. */
export function auditEventBody(
  event: AuditEvent,
  organizationName: string,
): Schemas['AuditLogPage']['results'][number] {
  const at = iso(event.createdAt)
  return {
    event_id: event.id,
    created_at: at,
    updated_at: at,
    country_code: null,
    organization_id: event.orgId,
    ip_address: null,
    payload: {
      ...event.payload,
      actor: event.actor ? { type: 'api-token', token_id: event.actor.tokenId, token_name: event.actor.name } : null,
    },
    status_code: 200,
    type: event.type,
    user_agent: null,
    user_id: null,
    // No Socket user is behind a token request: the user fields are empty, the token is in payload.actor.
    user_email: '',
    user_image: '',
    organization_name: organizationName,
  }
}

/** The dashboard page of a full scan, as Socket's scanners link to it. */
export function fullScanReportUrl(scan: FullScan, orgSlug: string, dashboardBaseUrl: string): string {
  return `${dashboardBaseUrl}/dashboard/org/${encodeURIComponent(orgSlug)}/sbom/${encodeURIComponent(scan.id)}`
}

/** A full scan's metadata. There is no analysis here, so no scan state: null, not a made-up stage. */
export function fullScanBody(scan: FullScan, orgSlug: string, dashboardBaseUrl: string): Required<Schemas['FullScan']> {
  const reportUrl = fullScanReportUrl(scan, orgSlug, dashboardBaseUrl)
  return {
    id: scan.id,
    created_at: iso(scan.createdAt),
    updated_at: iso(scan.updatedAt),
    organization_id: scan.orgId,
    organization_slug: orgSlug,
    repository_id: scan.repoId,
    repository_slug: scan.repoSlug,
    branch: scan.branch,
    commit_message: scan.commitMessage,
    commit_hash: scan.commitHash,
    pull_request: scan.pullRequest,
    committers: scan.committers,
    html_url: reportUrl,
    api_url: null,
    workspace: scan.workspace,
    repo: scan.repoSlug,
    html_report_url: reportUrl,
    integration_type: scan.integrationType,
    integration_repo_url: null,
    integration_branch_url: null,
    integration_commit_url: null,
    integration_pull_request_url: null,
    scan_type: scan.scanType,
    scan_state: null,
  }
}
