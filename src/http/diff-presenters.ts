import type { DiffScan, FullScan } from '../db/models.js'
import type { DiffEntry, ScanDiff, ScanPackage } from '../services/scan-diff.js'
import type { Schemas } from './handlers/types.js'
import { fullScanBody, iso } from './presenters.js'

/**
 * Domain → wire for diff scans (docs/diff-scans.md). A package is written as a package URL plus how
 * it changed and where it was read from; nothing here is ever an alert, a score or a licence.
 */

type DiffArtifact = Schemas['SocketDiffArtifact']
type PurlType = Schemas['SocketPURL_Type']

/** Links that depend on where the server is reached: its API base, e.g. `https://host:3443/v0`. */
export interface DiffLinks {
  apiBaseUrl: string
  dashboardBaseUrl: string
  orgSlug: string
}

/** An npm scope is the package URL's namespace (`@angular/core` → `@angular`, `core`). */
function purlOf(pkg: ScanPackage): { type: PurlType; namespace?: string; name: string; version?: string } {
  const slash = pkg.name.indexOf('/')
  const scoped = pkg.type === 'npm' && pkg.name.startsWith('@') && slash > 0
  return {
    type: pkg.type as PurlType,
    ...(scoped ? { namespace: pkg.name.slice(0, slash), name: pkg.name.slice(slash + 1) } : { name: pkg.name }),
    ...(pkg.version !== null ? { version: pkg.version } : {}),
  }
}

/** The package URL (purl-spec) of a package: its id in a diff, the same in every diff. */
export function packageId(pkg: ScanPackage): string {
  const purl = purlOf(pkg)
  const namespace = purl.namespace === undefined ? '' : `${encodeURIComponent(purl.namespace)}/`
  const version = purl.version === undefined ? '' : `@${encodeURIComponent(purl.version)}`
  return `pkg:${purl.type}/${namespace}${encodeURIComponent(purl.name)}${version}`
}

/**
 * One side of a package in a diff: the manifests it was read from. The dependency tree is not
 * resolved here, so `topLevelAncestors` (which Socket's Python scanner requires) is empty.
 */
function linkOf(pkg: ScanPackage): Schemas['SocketArtifactLink'] {
  return {
    manifestFiles: pkg.manifests.map((file) => ({ file })),
    topLevelAncestors: [],
    artifact: { ...purlOf(pkg), id: packageId(pkg) },
  }
}

function artifactOf(entry: DiffEntry): DiffArtifact {
  return {
    ...purlOf(entry.package),
    diffType: entry.diffType,
    id: packageId(entry.package),
    base: entry.base.map(linkOf),
    head: entry.head.map(linkOf),
    alerts: [],
  }
}

export function diffArtifactsBody(diff: ScanDiff, omitUnchanged: boolean): Schemas['DiffArtifacts'] {
  return {
    added: diff.added.map(artifactOf),
    removed: diff.removed.map(artifactOf),
    unchanged: omitUnchanged ? null : diff.unchanged.map(artifactOf),
    replaced: diff.replaced.map(artifactOf),
    updated: diff.updated.map(artifactOf),
  }
}

export function fullScanSummaryBody(scan: FullScan, links: DiffLinks): Schemas['FullScanSummary'] {
  // The full scan's first fields, as the full-scan operations present them.
  const full = fullScanBody(scan, links.orgSlug, links.dashboardBaseUrl)
  return {
    id: full.id,
    created_at: full.created_at,
    updated_at: full.updated_at,
    organization_id: full.organization_id,
    organization_slug: full.organization_slug,
    repository_id: full.repository_id,
    repository_slug: full.repository_slug,
    branch: full.branch,
    commit_message: full.commit_message,
    commit_hash: full.commit_hash,
    pull_request: full.pull_request,
    committers: full.committers,
    html_url: full.html_url,
    api_url: full.api_url,
  }
}

/** The dashboard's page of two scans compared, the address Socket's Python scanner itself builds. */
export function diffReportUrl(beforeId: string, afterId: string, links: DiffLinks): string {
  const org = encodeURIComponent(links.orgSlug)
  return `${links.dashboardBaseUrl}/dashboard/org/${org}/diff/${encodeURIComponent(beforeId)}/${encodeURIComponent(afterId)}`
}

/** Where this server serves the diff scan (`getDiffScanById`). */
export function diffScanApiUrl(id: string, links: DiffLinks): string {
  return `${links.apiBaseUrl}/orgs/${encodeURIComponent(links.orgSlug)}/diff-scans/${encodeURIComponent(id)}`
}

export function diffScanBody(
  view: { diffScan: DiffScan; before: FullScan; after: FullScan },
  links: DiffLinks,
): Schemas['DiffScan'] {
  const { diffScan, before, after } = view
  return {
    id: diffScan.id,
    organization_id: diffScan.orgId,
    repository_id: diffScan.repoId,
    created_at: iso(diffScan.createdAt),
    updated_at: iso(diffScan.updatedAt),
    before_full_scan: fullScanSummaryBody(before, links),
    after_full_scan: fullScanSummaryBody(after, links),
    description: diffScan.description,
    external_href: diffScan.externalHref,
    merge: diffScan.merge,
    html_url: diffReportUrl(before.id, after.id, links),
    api_url: diffScanApiUrl(diffScan.id, links),
  }
}

export function diffScanListItemBody(diffScan: DiffScan, links: DiffLinks): Schemas['DiffScanList']['results'][number] {
  return {
    id: diffScan.id,
    organization_id: diffScan.orgId,
    repository_id: diffScan.repoId,
    created_at: iso(diffScan.createdAt),
    updated_at: iso(diffScan.updatedAt),
    before_full_scan_id: diffScan.beforeScanId,
    after_full_scan_id: diffScan.afterScanId,
    description: diffScan.description,
    external_href: diffScan.externalHref,
    merge: diffScan.merge,
    html_url: diffReportUrl(diffScan.beforeScanId, diffScan.afterScanId, links),
    api_url: diffScanApiUrl(diffScan.id, links),
  }
}
