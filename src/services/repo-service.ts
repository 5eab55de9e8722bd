import { z } from 'zod'
import type { Actor, Page, Repo, RepoSortKey } from '../db/models.js'
import type { RepoPatch, RepoRepository } from '../db/types.js'
import { auditEvent } from './audit-service.js'
import { ConflictError, InvalidInputError, NotFoundError, refuseWhenIdsExhausted } from './errors.js'
import { deriveSlug, RESERVED_REPO_SLUGS, repoDefaults, repoFields, repoSlug } from './field-rules.js'
import { parseOrThrow } from './validation.js'

const createInput = z.object({ ...repoFields, slug: repoSlug.optional() }).partial()
const updateInput = z.object(repoFields).partial()

export type CreateRepoInput = z.input<typeof createInput>
export type UpdateRepoInput = z.input<typeof updateInput>

export interface ListReposInput {
  sort: RepoSortKey
  direction: 'asc' | 'desc'
  perPage: number
  page: number
  includeArchived: boolean
  workspace: string | undefined
}

export interface RepoPage {
  repos: Repo[]
  nextPage: number | null
}

export function createRepoService(deps: { repos: RepoRepository; now: () => number }) {
  const { repos, now } = deps

  /**
   * Finds the repo a slug names. With a workspace, only that workspace. Without one, the default
   * ('') workspace first, then the one repo of that slug in any workspace; several are ambiguous.
   */
  async function resolve(orgId: string, repoSlug: string, workspace: string | undefined): Promise<Repo> {
    if (workspace !== undefined) {
      const repo = await repos.findInWorkspace(orgId, workspace, repoSlug)
      if (!repo) throw new NotFoundError('Repository not found', { slug: repoSlug, workspace })
      return repo
    }
    const inDefault = await repos.findInWorkspace(orgId, '', repoSlug)
    if (inDefault) return inDefault
    const matches = await repos.findAllWithSlug(orgId, repoSlug, 2)
    const [only, second] = matches
    if (!only) throw new NotFoundError('Repository not found', { slug: repoSlug })
    if (second) {
      throw new InvalidInputError(
        `Repository slug "${repoSlug}" exists in several workspaces; pass the workspace query parameter`,
        { slug: repoSlug },
      )
    }
    return only
  }

  return {
    resolve,

    /**
     * Creates a repo. A duplicate (org, workspace, slug) is a ConflictError, unless `returnExisting`
     * asks for the existing repo instead (`on_duplicate=redirect`).
     */
    async create(
      orgId: string,
      input: CreateRepoInput,
      options: { returnExisting: boolean },
    ): Promise<{ created: boolean; repo: Repo }> {
      const data = parseOrThrow(createInput, input)
      const slug = data.slug || deriveSlugFromName(data.name)
      const workspace = data.workspace ?? ''
      const result = await refuseWhenIdsExhausted(
        repos.create({ ...repoDefaults, ...given(data), orgId, slug, name: data.name || slug }, now()),
      )
      if (result.created) return { created: true, repo: result.repo }
      if (options.returnExisting) return { created: false, repo: result.existing }
      throw new ConflictError(`Repository "${slug}" already exists`, { slug: slug, workspace })
    },

    /** A value that changes whenever any list of the org's repos would (to check a cached list). */
    listVersion(orgId: string): Promise<string> {
      return repos.listVersion(orgId)
    },

    async list(orgId: string, input: ListReposInput): Promise<RepoPage> {
      const offset = (input.page - 1) * input.perPage
      // A page this far out cannot exist (the offset would not even be exact); answer an empty last page.
      if (!Number.isSafeInteger(offset + input.perPage)) return { repos: [], nextPage: null }
      const page: Page<Repo> = await repos.list({
        orgId,
        sort: input.sort,
        direction: input.direction,
        limit: input.perPage,
        offset,
        includeArchived: input.includeArchived,
        workspace: input.workspace,
      })
      return { repos: page.items, nextPage: page.hasMore ? input.page + 1 : null }
    },

    get: resolve,

    /** Applies the fields given (all optional; the slug never changes) and bumps updated_at. */
    async update(
      orgId: string,
      repoSlug: string,
      workspace: string | undefined,
      input: UpdateRepoInput,
    ): Promise<Repo> {
      const patch: RepoPatch = parseOrThrow(updateInput, input)
      const repo = await resolve(orgId, repoSlug, workspace)
      const result = await repos.update(repo.id, patch, now())
      if (result.updated) return result.repo
      if (result.reason === 'conflict') {
        // updateOrgRepo declares no 409: a move onto a taken slug is a bad request.
        throw new InvalidInputError(
          `Repository "${repo.slug}" already exists in workspace "${patch.workspace ?? ''}"`,
          { slug: repo.slug, workspace: patch.workspace ?? '' },
        )
      }
      throw new NotFoundError('Repository not found', { slug: repoSlug })
    },

    /** Deletes the repo and its label associations. */
    async delete(orgId: string, repoSlug: string, workspace: string | undefined, actor?: Actor): Promise<void> {
      const repo = await resolve(orgId, repoSlug, workspace)
      const deleted = await repos.delete(repo.id, now(), (gone) =>
        actor
          ? [
              auditEvent(orgId, 'DeleteRepository', actor, {
                repository: { id: gone.id, slug: gone.slug, workspace: gone.workspace, name: gone.name },
              }),
            ]
          : [],
      )
      if (!deleted) throw new NotFoundError('Repository not found', { slug: repoSlug })
    },
  }
}

/** The fields given: a key present with `undefined` counts as absent, as it does in JSON. */
function given<T extends object>(data: T): Partial<T> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined)) as Partial<T>
}

function deriveSlugFromName(name: string | undefined): string {
  if (!name) throw new InvalidInputError('Either name or slug is required')
  const derived = deriveSlug(name)
  if (!derived || RESERVED_REPO_SLUGS.has(derived)) {
    throw new InvalidInputError(`Cannot derive a valid slug from name "${name}"; pass a slug`, { name })
  }
  return derived
}

export type RepoService = ReturnType<typeof createRepoService>
