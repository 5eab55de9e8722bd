import { z } from 'zod'
import type { FullScan, Repo, ScanFile } from '../db/models.js'
import type { FullScanListQuery, FullScanRepository } from '../db/types.js'
import { InvalidInputError, NotFoundError, refuseWhenIdsExhausted } from './errors.js'
import { anyText, branchName, line, repoDefaults, repoSlug, scanFilePath, scanType, workspace } from './field-rules.js'
import { readArtifacts } from './manifest-parsers.js'
import { parseOrThrow } from './validation.js'

const createInput = z.object({
  repo: repoSlug,
  workspace: workspace.optional(),
  branch: branchName.optional(),
  commitMessage: anyText('commit_message', 100_000).optional(),
  commitHash: line('commit_hash', 200).optional(),
  pullRequest: z.number().int().min(1).optional(),
  committers: z.array(line('committers', 1000)).max(1000),
  integrationType: z.enum(['api', 'github', 'gitlab', 'bitbucket', 'azure', 'web']).optional(),
  integrationOrgSlug: line('integration_org_slug', 200).optional(),
  makeDefaultBranch: z.boolean(),
  setAsPendingHead: z.boolean(),
  tmp: z.boolean(),
  scanType: scanType.optional(),
})

export type CreateFullScanInput = z.input<typeof createInput>

/** The list's filters and order as the repository takes them, with the page size as the API names it. */
export type ListFullScansInput = Omit<FullScanListQuery, 'orgId' | 'limit'> & { perPage: number }

export function createFullScanService(deps: { fullScans: FullScanRepository; now: () => number }) {
  const { fullScans, now } = deps

  async function get(orgId: string, id: string): Promise<FullScan> {
    const scan = await fullScans.findById(orgId, id)
    if (!scan) throw new NotFoundError('Full scan not found', { id })
    return scan
  }

  return {
    get,

    /**
     * Stores a scan of the files given, reading its packages from them. The repo is created when
     * the org has none of that slug (in that workspace); `make_default_branch` and
     * `set_as_pending_head` then move its default branch and head as Socket documents them.
     */
    async create(
      orgId: string,
      input: CreateFullScanInput,
      files: ScanFile[],
    ): Promise<{ scan: FullScan; repo: Repo }> {
      const data = parseOrThrow(createInput, input)
      if ((data.makeDefaultBranch || data.setAsPendingHead) && data.branch === undefined) {
        throw new InvalidInputError('A branch name is required with make_default_branch or set_as_pending_head')
      }
      if (data.tmp && data.setAsPendingHead) {
        throw new InvalidInputError('tmp cannot be used when set_as_pending_head=true')
      }
      const seen = new Set<string>()
      for (const file of files) {
        parseOrThrow(scanFilePath, file.path)
        if (seen.has(file.path))
          throw new InvalidInputError(`File "${file.path}" was uploaded twice`, { file: file.path })
        seen.add(file.path)
      }
      const slug = data.repo
      return refuseWhenIdsExhausted(
        fullScans.create(
          {
            orgId,
            branch: data.branch ?? null,
            commitMessage: data.commitMessage ?? null,
            commitHash: data.commitHash ?? null,
            pullRequest: data.pullRequest ?? null,
            committers: data.committers,
            integrationType: data.integrationType ?? 'api',
            integrationOrgSlug: data.integrationOrgSlug ?? null,
            scanType: data.scanType ?? 'socket',
            tmp: data.tmp,
            artifacts: readArtifacts(files),
            files,
            repo: { ...repoDefaults, orgId, slug, name: slug, workspace: data.workspace ?? '' },
            makeDefaultBranch: data.makeDefaultBranch,
            setAsPendingHead: data.setAsPendingHead,
          },
          now(),
        ),
      )
    },

    async list(orgId: string, input: ListFullScansInput): Promise<{ scans: FullScan[]; nextOffset: number | null }> {
      // An offset this far out cannot exist; answer an empty last page.
      if (!Number.isSafeInteger(input.offset + input.perPage)) return { scans: [], nextOffset: null }
      const page = await fullScans.list({ orgId, limit: input.perPage, ...input })
      return { scans: page.items, nextOffset: page.hasMore ? input.offset + input.perPage : null }
    },

    async files(orgId: string, id: string): Promise<{ scan: FullScan; files: ScanFile[] }> {
      const scan = await get(orgId, id)
      return { scan, files: await fullScans.files(scan.id) }
    },

    async delete(orgId: string, id: string): Promise<void> {
      if (!(await fullScans.delete(orgId, id, now()))) throw new NotFoundError('Full scan not found', { id })
    },
  }
}

export type FullScanService = ReturnType<typeof createFullScanService>
