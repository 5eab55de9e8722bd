import type { RepoSortKey } from '../../db/models.js'
import type { CreateRepoInput, UpdateRepoInput } from '../../services/repo-service.js'
import { actorOf } from '../../services/token-service.js'
import { repoBody } from '../presenters.js'
import { API_PREFIX } from '../spec-loader.js'
import { type OperationHandler, principalOf } from './types.js'

const JSON_TYPE = 'application/json; charset=utf-8'

type RepoFields = {
  name?: string
  description?: string | null
  homepage?: string | null
  visibility?: 'public' | 'private'
  archived?: boolean
  default_branch?: string | null
  workspace?: string
}

/** Wire body → service input, keeping only the fields that were sent. */
function repoInput(body: RepoFields & { slug?: string }): CreateRepoInput & UpdateRepoInput {
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

/**
 * Lists are served from the response cache while the org's repos are unchanged (the version comes
 * from the same invalidation as the list positions); otherwise rendered, serialized and kept.
 */
export const getOrgRepoList: OperationHandler<'getOrgRepoList'> = async function (request, reply) {
  const principal = principalOf(request)
  const q = request.query
  const query = {
    sort: (q.sort ?? 'created_at') as RepoSortKey,
    direction: q.direction === 'asc' ? ('asc' as const) : ('desc' as const),
    perPage: q.per_page ?? 30,
    page: q.page ?? 1,
    includeArchived: q.include_archived ?? false,
    workspace: q.workspace,
  }
  const version = await this.services.repos.listVersion(principal.orgId)
  const key = [principal.orgId, query.sort, query.direction, query.perPage, query.page, query.includeArchived]
    .concat(query.workspace === undefined ? [] : ['ws', query.workspace])
    .join('\u0000')
  const cached = this.listCache.get(key, version)
  if (cached !== undefined) return reply.type(JSON_TYPE).send(cached)

  const page = await this.services.repos.list(principal.orgId, query)
  const base = this.config.dashboardBaseUrl
  // The route's own serializer (from the spec) renders it: for a JSON schema that is always a string.
  const body = reply.serialize({
    results: page.repos.map((repo) => repoBody(repo, principal.orgSlug, base)),
    nextPage: page.nextPage,
  }) as string
  this.listCache.set(key, version, body)
  return reply.type(JSON_TYPE).send(body)
}

export const createOrgRepo: OperationHandler<'createOrgRepo'> = async function (request, reply) {
  const principal = principalOf(request)
  const { created, repo } = await this.services.repos.create(principal.orgId, repoInput(request.body ?? {}), {
    returnExisting: request.query.on_duplicate === 'redirect',
  })
  const body = repoBody(repo, principal.orgSlug, this.config.dashboardBaseUrl)
  if (created) {
    reply.code(201)
    return body
  }
  // on_duplicate=redirect: 302 "to the existing repo", whose body is that repo.
  const location = `${API_PREFIX}/orgs/${encodeURIComponent(principal.orgSlug)}/repos/${encodeURIComponent(repo.slug)}`
  reply
    .code(302)
    .header('location', repo.workspace ? `${location}?workspace=${encodeURIComponent(repo.workspace)}` : location)
  return body
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
