/**
 * The references, in a process of their own like the server under test:
 *   (a) GET /fixed/orgs/:org_slug/repos/:repo_slug — bare Fastify answering a fixed repo body;
 *   (b) GET /v0/orgs/:org_slug/repos/:repo_slug    — bare Fastify + better-sqlite3: one prepared lookup by
 *       (org_id, workspace, slug) in the same database file, mapped to the same JSON shape.
 * Both serialize with getOrgRepo's 200 schema from the spec (fast-json-stringify), as the server does.
 * No auth, no quota, no logging, no hooks: the floor the server is measured against.
 */
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import { loadSpec } from '../src/http/spec-loader.js'
import { type FromChild, serveIpc } from './ipc.js'

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

const path = process.env.DATABASE_PATH
if (!path) throw new Error('DATABASE_PATH is required')
const dashboard = 'https://socket.dev'

const sqlite = new Database(path)
sqlite.pragma('journal_mode = WAL')
sqlite.pragma('synchronous = NORMAL')
const orgIds = new Map(
  (sqlite.prepare('SELECT id, slug FROM orgs').all() as { id: number; slug: string }[]).map((o) => [o.slug, o.id]),
)
const find = sqlite.prepare('SELECT * FROM repos WHERE org_id = ? AND workspace = ? AND slug = ?')

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

serveIpc({
  close: async () => {
    await app.close()
    sqlite.close()
  },
})
await app.listen({ port: 0, host: '127.0.0.1' })
process.send?.({ type: 'ready', port: (app.server.address() as AddressInfo).port } satisfies FromChild)
