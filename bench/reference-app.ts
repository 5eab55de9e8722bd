/**
 * The references the server is measured against, one Fastify app over a seeded database file:
 *   (a) GET /fixed/orgs/:org_slug/repos/:repo_slug — bare Fastify answering a fixed repo body;
 *   (b) GET /v0/orgs/:org_slug/repos/:repo_slug    — bare Fastify + better-sqlite3: one prepared lookup by
 *       (org_id, workspace, slug) in the same database file, mapped to the same JSON shape.
 * Both serialize with getOrgRepo's 200 schema from the spec (fast-json-stringify), as the server does.
 * No auth, no quota, no logging, no hooks: the floor the server is measured against.
 */
import Database from 'better-sqlite3'
import Fastify, { type FastifyInstance } from 'fastify'
import { loadSpec } from '../src/http/spec-loader.js'

interface RepoRow {
  id: number
  workspace: string
  slug: string
  name: string
  description: string | null
  homepage: string | null
  visibility: string
  archived: number
  default_branch: string | null
  head_full_scan_id: string | null
  integration_meta: string | null
  created_at: number
  updated_at: number
}

const dashboard = 'https://socket.dev'

function body(row: RepoRow, orgSlug: string) {
  return {
    id: String(row.id),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    html_url: `${dashboard}/dashboard/org/${encodeURIComponent(orgSlug)}/repo/${encodeURIComponent(row.slug)}`,
    head_full_scan_id: row.head_full_scan_id,
    integration_meta: row.integration_meta === null ? null : JSON.parse(row.integration_meta),
    slug: row.slug,
    name: row.name,
    description: row.description,
    homepage: row.homepage,
    visibility: row.visibility,
    archived: row.archived === 1,
    default_branch: row.default_branch,
    workspace: row.workspace,
    slig: row.slug,
  }
}

/** The reference app over the seeded database at `path` (repo `repo-000001` must exist); closing it closes the database. */
export async function buildReference(path: string): Promise<FastifyInstance> {
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  const orgIds = new Map(
    (sqlite.prepare('SELECT id, slug FROM orgs').all() as { id: number; slug: string }[]).map((o) => [o.slug, o.id]),
  )
  const find = sqlite.prepare('SELECT * FROM repos WHERE org_id = ? AND workspace = ? AND slug = ?')

  const spec = await loadSpec()
  const getOrgRepo = spec.operations.find((op) => op.operationId === 'getOrgRepo')
  if (!getOrgRepo) throw new Error('getOrgRepo is not in the spec')
  const schema = { response: { 200: getOrgRepo.schema.response['200'] } }

  const [firstOrg] = orgIds
  const sample = firstOrg && (find.get(firstOrg[1], '', 'repo-000001') as RepoRow | undefined)
  if (!firstOrg || !sample) throw new Error('the database is not seeded')
  const fixed = body(sample, firstOrg[0])

  type Params = { org_slug: string; repo_slug: string }
  const app = Fastify({ logger: false })
  app.get<{ Params: Params }>('/fixed/orgs/:org_slug/repos/:repo_slug', { schema }, async () => fixed)
  app.get<{ Params: Params }>('/v0/orgs/:org_slug/repos/:repo_slug', { schema }, async (request, reply) => {
    const orgId = orgIds.get(request.params.org_slug)
    const row = orgId === undefined ? undefined : (find.get(orgId, '', request.params.repo_slug) as RepoRow | undefined)
    if (!row) return reply.code(404).send({ error: { message: 'Repository not found' } })
    return body(row, request.params.org_slug)
  })
  app.addHook('onClose', async () => {
    sqlite.close()
  })
  return app
}
