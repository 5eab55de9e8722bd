import type { FastifyRequest } from 'fastify'
import type { Principal } from '../../services/principal.js'
import {
  type DiffLinks,
  diffArtifactsBody,
  diffReportUrl,
  diffScanApiUrl,
  diffScanBody,
  diffScanListItemBody,
  fullScanSummaryBody,
} from '../diff-presenters.js'
import { API_PREFIX } from '../spec-loader.js'
import { decodeCursor, encodeCursor } from './cursors.js'
import { created, type OperationHandler, principalOf, redirect } from './types.js'

/**
 * `scheme://host[:port]` as the caller addressed this server (a default port left out); without a
 * usable Host header, nothing: the links are then relative to this server.
 */
function originOf(request: FastifyRequest): string {
  try {
    const origin = new URL(`${request.protocol}://${request.host}`).origin
    return origin === 'null' ? '' : origin
  } catch {
    return ''
  }
}

/** The server's own addresses as the caller reached it (scheme and Host), for `api_url` and next-page links. */
function linksOf(request: FastifyRequest, principal: Principal, dashboardBaseUrl: string): DiffLinks {
  return {
    apiBaseUrl: `${originOf(request)}${API_PREFIX}`,
    dashboardBaseUrl,
    orgSlug: principal.orgSlug,
  }
}

export const createOrgDiffScanFromIds: OperationHandler<'createOrgDiffScanFromIds'> = async function (request) {
  const principal = principalOf(request)
  const q = request.query
  const view = await this.services.diffScans.createFromIds(principal.orgId, {
    before: q.before,
    after: q.after,
    merge: q.merge ?? false,
    returnExisting: q.on_duplicate === 'redirect',
    ...(q.description !== undefined ? { description: q.description } : {}),
    ...(q.external_href !== undefined ? { externalHref: q.external_href } : {}),
  })
  const links = linksOf(request, principal, this.config.dashboardBaseUrl)
  const body = { diff_scan: diffScanBody(view, links) }
  if (view.created) return created(body)
  // on_duplicate=redirect: 302 to the diff scan of the same two scans, whose metadata is the body.
  return redirect(diffScanApiUrl(view.diffScan.id, { ...links, apiBaseUrl: API_PREFIX }), body)
}

/** The diff scan and its comparison; ready as soon as it exists, so never a 202 (`cached` changes nothing). */
export const getDiffScanById: OperationHandler<'getDiffScanById'> = async function (request) {
  const principal = principalOf(request)
  const { diff, ...view } = await this.services.diffScans.get(principal.orgId, request.params.diff_scan_id)
  const links = linksOf(request, principal, this.config.dashboardBaseUrl)
  return {
    diff_scan: {
      ...diffScanBody(view, links),
      incomplete: false,
      artifacts: diffArtifactsBody(diff, request.query.omit_unchanged === true),
    },
  }
}

export const deleteOrgDiffScan: OperationHandler<'deleteOrgDiffScan'> = async function (request) {
  const principal = principalOf(request)
  await this.services.diffScans.delete(principal.orgId, request.params.diff_scan_id)
  return { status: 'ok' }
}

/** Paged by an opaque `cursor`; `next_page_href` is this request's URL with the next cursor. */
export const listOrgDiffScans: OperationHandler<'listOrgDiffScans'> = async function (request) {
  const principal = principalOf(request)
  const q = request.query
  const perPage = q.per_page ?? 20
  const page = await this.services.diffScans.list(principal.orgId, {
    sort: q.sort ?? 'created_at',
    direction: q.direction ?? 'desc',
    perPage,
    offset: q.cursor === undefined ? 0 : decodeCursor(q.cursor, 'cursor'),
    ...(q.repository_id !== undefined ? { repositoryId: q.repository_id } : {}),
    ...(q.before_full_scan_id !== undefined ? { beforeScanId: q.before_full_scan_id } : {}),
    ...(q.after_full_scan_id !== undefined ? { afterScanId: q.after_full_scan_id } : {}),
  })
  const links = linksOf(request, principal, this.config.dashboardBaseUrl)
  const next = page.nextOffset === null ? null : encodeCursor(page.nextOffset)
  let nextHref: string | null = null
  if (next !== null) {
    const origin = originOf(request)
    const url = new URL(request.url, 'http://placeholder')
    url.searchParams.set('cursor', next)
    nextHref = `${origin}${url.pathname}${url.search}`
  }
  return {
    results: page.diffScans.map((diffScan) => diffScanListItemBody(diffScan, links)),
    next_page_href: nextHref,
    next_cursor: next,
  }
}

/** Socket's older diff: the same comparison, of two scans given by id, not stored. */
export const GetOrgDiffScan: OperationHandler<'GetOrgDiffScan'> = async function (request) {
  const principal = principalOf(request)
  const q = request.query
  const { before, after, diff } = await this.services.diffScans.compare(principal.orgId, q.before, q.after)
  const links = linksOf(request, principal, this.config.dashboardBaseUrl)
  return {
    before: fullScanSummaryBody(before, links),
    after: fullScanSummaryBody(after, links),
    artifacts: diffArtifactsBody(diff, q.omit_unchanged === true),
    // Which dependencies are direct is not read from the manifests here: never claimed to have changed.
    directDependenciesChanged: false,
    diff_report_url: diffReportUrl(before.id, after.id, links),
  }
}
