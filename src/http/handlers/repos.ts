import type { RepoSortKey } from '../../db/models.js'
import type { CreateRepoInput, UpdateRepoInput } from '../../services/repo-service.js'
import { actorOf } from '../../services/token-service.js'
import { repoBody } from '../presenters.js'
import { API_PREFIX } from '../spec-loader.js'
import { created, type OperationHandler, principalOf, redirect, type Schemas } from './types.js'

/**
 * Wire body → service input, keeping only the fields that were sent. Every field is optional on the
 * wire: the generated type marks those with a documented default as present, but bodies get no defaults.
 */
function repoInput(body: Partial<Schemas['RepoCreateBody']>): CreateRepoInput & UpdateRepoInput {
  const input: CreateRepoInput & UpdateRepoInput = {}
  if (body.name !== undefined) input.name = body.name
  if (body.slug !== undefined) input.slug = body.slug
  if (body.description !== undefined) input.description = body.description
  if (body.homepage !== undefined) input.homepage = body.homepage
  if (body.visibility !== undefined) input.visibility = body.visibility
  if (body.archived !== undefined) input.archived = body.archived
  if (body.default_branch !== undefined) input.defaultBranch = body.default_branch
  if (body.workspace !== undefined) input.workspace = body.workspace
  return input
}

/** A page of the org's repos; answered from the list cache while they are unchanged (plugins/list-cache.ts). */
export const getOrgRepoList: OperationHandler<'getOrgRepoList'> = async function (request) {
  const principal = principalOf(request)
  const q = request.query
  const page = q.page ?? 1
  const { repos, nextPage } = await this.services.repos.list(principal.orgId, {
    sort: (q.sort ?? 'created_at') as RepoSortKey,
    direction: q.direction === 'asc' ? 'asc' : 'desc',
    perPage: q.per_page ?? 30,
    page,
    includeArchived: q.include_archived ?? false,
    workspace: q.workspace,
  })
  const base = this.config.dashboardBaseUrl
  return { results: repos.map((repo) => repoBody(repo, principal.orgSlug, base)), nextPage }
}

export const createOrgRepo: OperationHandler<'createOrgRepo'> = async function (request) {
  const principal = principalOf(request)
  const { created: isNew, repo } = await this.services.repos.create(principal.orgId, repoInput(request.body ?? {}), {
    returnExisting: request.query.on_duplicate === 'redirect',
  })
  const body = repoBody(repo, principal.orgSlug, this.config.dashboardBaseUrl)
  if (isNew) return created(body)
  // on_duplicate=redirect: 302 "to the existing repo", whose body is that repo.
  const location = `${API_PREFIX}/orgs/${encodeURIComponent(principal.orgSlug)}/repos/${encodeURIComponent(repo.slug)}`
  return redirect(repo.workspace ? `${location}?workspace=${encodeURIComponent(repo.workspace)}` : location, body)
}

export const getOrgRepo: OperationHandler<'getOrgRepo'> = async function (request) {
  const principal = principalOf(request)
  const repo = await this.services.repos.get(principal.orgId, request.params.repo_slug, request.query.workspace)
  return { ...repoBody(repo, principal.orgSlug, this.config.dashboardBaseUrl), slig: repo.slug }
}

export const updateOrgRepo: OperationHandler<'updateOrgRepo'> = async function (request) {
  const principal = principalOf(request)
  const repo = await this.services.repos.update(
    principal.orgId,
    request.params.repo_slug,
    request.query.workspace,
    repoInput(request.body ?? {}),
  )
  return repoBody(repo, principal.orgSlug, this.config.dashboardBaseUrl)
}

export const deleteOrgRepo: OperationHandler<'deleteOrgRepo'> = async function (request) {
  const principal = principalOf(request)
  await this.services.repos.delete(
    principal.orgId,
    request.params.repo_slug,
    request.query.workspace,
    actorOf(principal),
  )
  return { status: 'ok' }
}
