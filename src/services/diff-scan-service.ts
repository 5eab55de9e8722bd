import { z } from 'zod'
import type { DiffScan, FullScan } from '../db/models.js'
import type { DiffScanRepository, FullScanRepository, RepoRepository } from '../db/types.js'
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js'
import { anyText, line } from './field-rules.js'
import { diffScans, type ScanDiff } from './scan-diff.js'
import { parseOrThrow } from './validation.js'

// Two scans by id; an empty one is no id at all (400), an unknown one a 404.
const scanPair = z.object({
  before: z.string().min(1, 'before must be the id of a full scan'),
  after: z.string().min(1, 'after must be the id of a full scan'),
})

const createInput = scanPair.extend({
  description: anyText('description', 100_000).optional(),
  externalHref: line('external_href', 2048).optional(),
  merge: z.boolean(),
  /** `on_duplicate=redirect`: answer the diff scan of the same two scans instead of refusing a second one. */
  returnExisting: z.boolean(),
})

export type CreateDiffScanInput = z.input<typeof createInput>

export interface ListDiffScansInput {
  sort: 'created_at' | 'updated_at'
  direction: 'asc' | 'desc'
  perPage: number
  offset: number
  repositoryId?: string
  beforeScanId?: string
  afterScanId?: string
}

/** A diff scan with its two scans, and (when asked) their comparison. */
export interface DiffScanView {
  diffScan: DiffScan
  before: FullScan
  after: FullScan
}

const scanNotFound = (id: string) => new NotFoundError('Full scan not found', { id })
const diffScanNotFound = (id: string) => new NotFoundError('Diff scan not found', { id })

export function createDiffScanService(deps: {
  diffScans: DiffScanRepository
  fullScans: FullScanRepository
  repos: RepoRepository
  now: () => number
}) {
  const { fullScans, repos, now } = deps
  const repository = deps.diffScans

  async function scanOf(orgId: string, id: string): Promise<FullScan> {
    const scan = await fullScans.findById(orgId, id)
    if (!scan) throw scanNotFound(id)
    return scan
  }

  async function view(orgId: string, diffScan: DiffScan): Promise<DiffScanView> {
    // The scans go with their diff scans (a cascade): one gone now means the diff scan went with it.
    const before = await fullScans.findById(orgId, diffScan.beforeScanId)
    const after = await fullScans.findById(orgId, diffScan.afterScanId)
    if (!before || !after) throw diffScanNotFound(diffScan.id)
    return { diffScan, before, after }
  }

  return {
    /**
     * Stores a diff scan of two full scans of one repo. A second one of the same two scans is a
     * conflict, or with `returnExisting` the first one (`created: false`).
     */
    async createFromIds(orgId: string, input: CreateDiffScanInput): Promise<DiffScanView & { created: boolean }> {
      const data = parseOrThrow(createInput, input)
      const result = await repository.create(
        {
          orgId,
          beforeScanId: data.before,
          afterScanId: data.after,
          description: data.description ?? null,
          externalHref: data.externalHref ?? null,
          merge: data.merge,
        },
        now(),
      )
      switch (result.outcome) {
        case 'missing':
          throw scanNotFound(result.scanId)
        case 'different-repos':
          throw new InvalidInputError('The full scans must be in the same repository', {
            before: data.before,
            after: data.after,
          })
        case 'duplicate':
          if (!data.returnExisting) {
            throw new ConflictError('A diff scan of these two full scans already exists', {
              id: result.diffScan.id,
            })
          }
          return { ...(await view(orgId, result.diffScan)), created: false }
        case 'created':
          return { ...(await view(orgId, result.diffScan)), created: true }
      }
    },

    /** A stored diff scan with the comparison of its two scans, computed from their packages. */
    async get(orgId: string, id: string): Promise<DiffScanView & { diff: ScanDiff }> {
      const diffScan = await repository.findById(orgId, id)
      if (!diffScan) throw diffScanNotFound(id)
      const found = await view(orgId, diffScan)
      return { ...found, diff: diffScans(found.before.artifacts, found.after.artifacts) }
    },

    /** Two full scans compared, nothing stored (Socket's older `full-scans/diff`). */
    async compare(
      orgId: string,
      beforeId: string,
      afterId: string,
    ): Promise<{ before: FullScan; after: FullScan; diff: ScanDiff }> {
      parseOrThrow(scanPair, { before: beforeId, after: afterId })
      const before = await scanOf(orgId, beforeId)
      const after = await scanOf(orgId, afterId)
      return { before, after, diff: diffScans(before.artifacts, after.artifacts) }
    },

    async list(
      orgId: string,
      input: ListDiffScansInput,
    ): Promise<{ diffScans: DiffScan[]; nextOffset: number | null }> {
      // A filter naming a repo or a scan the org does not have is a 404, not an empty page.
      if (input.repositoryId !== undefined && !(await repos.findById(orgId, input.repositoryId))) {
        throw new NotFoundError('Repository not found', { repository_id: input.repositoryId })
      }
      for (const id of [input.beforeScanId, input.afterScanId]) if (id !== undefined) await scanOf(orgId, id)
      if (!Number.isSafeInteger(input.offset + input.perPage)) return { diffScans: [], nextOffset: null }
      const page = await repository.list({
        orgId,
        sort: input.sort,
        direction: input.direction,
        limit: input.perPage,
        offset: input.offset,
        ...(input.repositoryId !== undefined ? { repoId: input.repositoryId } : {}),
        ...(input.beforeScanId !== undefined ? { beforeScanId: input.beforeScanId } : {}),
        ...(input.afterScanId !== undefined ? { afterScanId: input.afterScanId } : {}),
      })
      return { diffScans: page.items, nextOffset: page.hasMore ? input.offset + input.perPage : null }
    },

    async delete(orgId: string, id: string): Promise<void> {
      if (!(await repository.delete(orgId, id))) throw diffScanNotFound(id)
    },
  }
}

export type DiffScanService = ReturnType<typeof createDiffScanService>
