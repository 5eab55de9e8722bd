import type { FastifyRequest } from 'fastify'
import type { ScanFile } from '../../db/models.js'
import { InvalidInputError } from '../../services/errors.js'
import { isSupportedFile } from '../../services/supported-files.js'
import { fullScanBody } from '../presenters.js'
import { decodeCursor, encodeCursor } from './cursors.js'
import { created, ndjson, type OperationHandler, principalOf, type Schemas } from './types.js'

/** 413 in Socket's error body (the error handler keeps the status of an error that carries one). */
class UploadTooLargeError extends Error {
  readonly statusCode = 413
  readonly code = 'SCAN_UPLOAD_TOO_LARGE'
}

/**
 * The uploaded files: every part of the multipart body, named by its form field (the relative
 * path, as both scanners send it). No body at all is a scan of no files.
 */
async function readFiles(request: FastifyRequest, limits: { maxTotalBytes: number }): Promise<ScanFile[]> {
  if (!request.isMultipart()) {
    if (request.body === undefined || request.body === null) return []
    throw new InvalidInputError('Expected a multipart/form-data body of manifest files')
  }
  const files: ScanFile[] = []
  let total = 0
  try {
    for await (const part of request.parts()) {
      const content = part.type === 'file' ? await part.toBuffer() : Buffer.from(String(part.value ?? ''), 'utf8')
      total += content.length
      if (total > limits.maxTotalBytes) {
        throw new UploadTooLargeError(`The files of a full scan may total at most ${limits.maxTotalBytes} bytes`)
      }
      files.push({ path: part.fieldname, content })
    }
  } catch (error) {
    // The multipart plugin's own refusals (a file too large: 413) carry their status; the parser's do
    // not ("Unexpected end of multipart data", a malformed part header): the body is the client's error.
    if (typeof (error as { statusCode?: unknown }).statusCode === 'number') throw error
    throw new InvalidInputError(`Malformed multipart/form-data body: ${(error as Error).message}`)
  }
  return files
}

/**
 * `committers` may be set more than once (all values are read from the URL; validation saw the
 * first), and the Python scanner sends one value that is a Python list literal: `['a', 'b']`.
 */
function committersOf(request: FastifyRequest): string[] {
  const search = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1))
  return search.getAll('committers').flatMap((value) => {
    const trimmed = value.trim()
    if (!/^\[.*\]$/s.test(trimmed)) return [value]
    return [...trimmed.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? m[2] ?? '')
  })
}

export const CreateOrgFullScan: OperationHandler<'CreateOrgFullScan'> = async function (request) {
  const principal = principalOf(request)
  const q = request.query
  const files = await readFiles(request, this.config.scans)
  const input = {
    repo: q.repo,
    committers: committersOf(request),
    makeDefaultBranch: q.make_default_branch ?? false,
    setAsPendingHead: q.set_as_pending_head ?? false,
    tmp: q.tmp ?? false,
    ...(q.workspace !== undefined ? { workspace: q.workspace } : {}),
    ...(q.branch !== undefined ? { branch: q.branch } : {}),
    ...(q.commit_message !== undefined ? { commitMessage: q.commit_message } : {}),
    ...(q.commit_hash !== undefined ? { commitHash: q.commit_hash } : {}),
    ...(q.pull_request !== undefined ? { pullRequest: q.pull_request } : {}),
    ...(q.integration_type !== undefined ? { integrationType: q.integration_type } : {}),
    ...(q.integration_org_slug !== undefined ? { integrationOrgSlug: q.integration_org_slug } : {}),
    ...(q.scan_type !== undefined ? { scanType: q.scan_type } : {}),
  }
  const { scan } = await this.services.fullScans.create(principal.orgId, input, files)
  return created({
    ...fullScanBody(scan, principal.orgSlug, this.config.dashboardBaseUrl),
    unmatchedFiles: files.map((file) => file.path).filter((path) => !isSupportedFile(path)),
  })
}

/** `page` pages by offset; `use_cursor` / `startAfterCursor` page by an opaque cursor (an encoded offset). */
export const getOrgFullScanList: OperationHandler<'getOrgFullScanList'> = async function (request) {
  const principal = principalOf(request)
  const q = request.query
  const perPage = q.per_page ?? 30
  const useCursor = q.use_cursor === true || q.startAfterCursor !== undefined
  const offset =
    q.startAfterCursor !== undefined
      ? decodeCursor(q.startAfterCursor, 'startAfterCursor')
      : ((q.page ?? 1) - 1) * perPage
  const from = q.from === undefined ? undefined : parseFrom(q.from)
  const pullRequest = q.pull_request === undefined ? undefined : parsePullRequest(q.pull_request)
  const page = await this.services.fullScans.list(principal.orgId, {
    sort: q.sort ?? 'created_at',
    direction: q.direction ?? 'desc',
    perPage,
    offset,
    ...(from !== undefined ? { from } : {}),
    ...(q.workspace !== undefined ? { workspace: q.workspace } : {}),
    ...(q.repo !== undefined ? { repo: q.repo } : {}),
    ...(q.branch !== undefined ? { branch: q.branch } : {}),
    ...(pullRequest !== undefined ? { pullRequest } : {}),
    ...(q.commit_hash !== undefined ? { commitHash: q.commit_hash } : {}),
    ...(q.scan_type !== undefined ? { scanType: q.scan_type } : {}),
  })
  const base = this.config.dashboardBaseUrl
  const next = page.nextOffset
  return {
    results: page.scans.map((scan) => fullScanBody(scan, principal.orgSlug, base)),
    nextPageCursor: useCursor && next !== null ? encodeCursor(next) : null,
    nextPage: !useCursor && next !== null ? (q.page ?? 1) + 1 : null,
  }
}

function parseFrom(from: string): number {
  if (!/^\d{1,12}$/.test(from)) throw new InvalidInputError('from must be a Unix timestamp in seconds', { from })
  return Number(from) * 1000
}

function parsePullRequest(value: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value))
    throw new InvalidInputError('pull_request must be a PR number', { pull_request: value })
  return Number(value)
}

export const getOrgFullScanMetadata: OperationHandler<'getOrgFullScanMetadata'> = async function (request) {
  const principal = principalOf(request)
  const scan = await this.services.fullScans.get(principal.orgId, request.params.full_scan_id)
  return fullScanBody(scan, principal.orgSlug, this.config.dashboardBaseUrl)
}

/** One NDJSON line per package read from the scan's manifests; never an alert, never a score. */
export const getOrgFullScan: OperationHandler<'getOrgFullScan'> = async function (request) {
  const principal = principalOf(request)
  const scan = await this.services.fullScans.get(principal.orgId, request.params.full_scan_id)
  return ndjson(
    scan.artifacts.map((artifact, index): Schemas['ScanArtifact'] => ({
      id: `${scan.id}-${index + 1}`,
      type: artifact.type,
      name: artifact.name,
      ...(artifact.version !== null ? { version: artifact.version } : {}),
      manifestFiles: [{ file: artifact.manifest }],
      alerts: [],
    })),
  )
}

export const deleteOrgFullScan: OperationHandler<'deleteOrgFullScan'> = async function (request) {
  const principal = principalOf(request)
  await this.services.fullScans.delete(principal.orgId, request.params.full_scan_id)
  return { status: 'ok' }
}
