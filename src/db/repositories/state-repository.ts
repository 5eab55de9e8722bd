import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../client.js'
import { toRowId } from '../ids.js'
import type { ListCursorCache } from '../list-cursor-cache.js'
import type { IssueRules, OrgState, ResetScope, StateSnapshot } from '../models.js'
import { labels, orgs, repoLabels, repos, tokens } from '../schema.js'

export type ImportResult = { ok: true; counts: Record<string, number> } | { ok: false; conflict: string }

class ImportConflict extends Error {}

function isConstraintViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'code' in error && String(error.code).startsWith('SQLITE_CONSTRAINT')
  )
}

/**
 * Whole-state operations for the control plane: import (seed or replace), export and reset. Each
 * runs in one transaction: a fixture is applied whole or not at all.
 */
export function createStateRepository(db: Db, cursors?: ListCursorCache) {
  function insertOrg(tx: Parameters<Parameters<Db['transaction']>[0]>[0], org: OrgState, now: number) {
    const counts = { tokens: 0, repos: 0, labels: 0, associations: 0 }
    const orgRow = tx
      .insert(orgs)
      .values({
        id: org.id === undefined ? undefined : toRowId(org.id),
        slug: org.slug,
        name: org.name,
        image: org.image,
        plan: org.plan,
        createdAt: org.createdAt ?? now,
      })
      .onConflictDoNothing()
      .returning({ id: orgs.id })
      .get()
    if (!orgRow) throw new ImportConflict(`organization "${org.slug}" (or its id) already exists`)
    for (const token of org.tokens) {
      const row = tx
        .insert(tokens)
        .values({
          id: token.id === undefined ? undefined : toRowId(token.id),
          orgId: orgRow.id,
          name: token.name,
          tokenHash: token.tokenHash,
          tokenPrefix: token.tokenPrefix,
          scopes: token.scopes.join(' '),
          maxQuota: token.maxQuota,
          createdAt: token.createdAt ?? now,
          revokedAt: token.revokedAt,
        })
        .onConflictDoNothing()
        .returning({ id: tokens.id })
        .get()
      if (!row) throw new ImportConflict(`a token of "${org.slug}" (its value or id) already exists`)
      counts.tokens++
    }
    const repoIds = new Map<string, number>()
    for (const repo of org.repos) {
      const row = tx
        .insert(repos)
        .values({
          id: repo.id === undefined ? undefined : toRowId(repo.id),
          orgId: orgRow.id,
          workspace: repo.workspace,
          slug: repo.slug,
          name: repo.name,
          description: repo.description,
          homepage: repo.homepage,
          visibility: repo.visibility,
          archived: repo.archived,
          defaultBranch: repo.defaultBranch,
          headFullScanId: repo.headFullScanId,
          integrationMeta: repo.integrationMeta === null ? null : JSON.stringify(repo.integrationMeta),
          createdAt: repo.createdAt ?? now,
          updatedAt: repo.updatedAt ?? repo.createdAt ?? now,
        })
        .onConflictDoNothing()
        .returning({ id: repos.id })
        .get()
      if (!row) throw new ImportConflict(`repo "${repo.slug}" of "${org.slug}" (or its id) already exists`)
      repoIds.set(`${repo.workspace}\u0000${repo.slug}`, row.id)
      counts.repos++
    }
    for (const label of org.labels) {
      const row = tx
        .insert(labels)
        .values({
          id: label.id === undefined ? undefined : toRowId(label.id),
          orgId: orgRow.id,
          name: label.name,
          issueRules: label.settings.issueRules === null ? null : JSON.stringify(label.settings.issueRules),
          issueRulesPolicyDefault: label.settings.issueRulesPolicyDefault,
          licensePolicy: label.settings.licensePolicy === null ? null : JSON.stringify(label.settings.licensePolicy),
          recentlyPublishedThresholdMs: label.settings.recentlyPublishedThresholdMs,
          createdAt: label.createdAt ?? now,
          updatedAt: label.updatedAt ?? label.createdAt ?? now,
        })
        .onConflictDoNothing()
        .returning({ id: labels.id })
        .get()
      if (!row) throw new ImportConflict(`label "${label.name}" of "${org.slug}" (or its id) already exists`)
      counts.labels++
      for (const target of label.repositories) {
        const repoId = repoIds.get(`${target.workspace}\u0000${target.slug}`)
        if (repoId === undefined) {
          throw new ImportConflict(
            `label "${label.name}" names repo "${target.slug}", which "${org.slug}" does not have`,
          )
        }
        tx.insert(repoLabels).values({ labelId: row.id, repoId, createdAt: now }).onConflictDoNothing().run()
        counts.associations++
      }
    }
    return counts
  }

  function resetSequences(tx: Parameters<Parameters<Db['transaction']>[0]>[0], tables: string[]) {
    // Emptied tables number from 1 again, so a fixture without ids seeds the same ids every time.
    for (const table of tables) {
      const left = tx.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`)
      if (left?.n === 0) tx.run(sql`DELETE FROM sqlite_sequence WHERE name = ${table}`)
    }
  }

  return {
    /** Adds the orgs of `state` (with `replace`, instead of everything there is), all or nothing. */
    async importState(state: StateSnapshot, options: { replace: boolean }, now: number): Promise<ImportResult> {
      cursors?.clear()
      try {
        return db.transaction(
          (tx) => {
            if (options.replace) {
              tx.delete(orgs).run()
              resetSequences(tx, ['orgs', 'tokens', 'repos', 'labels'])
            }
            const counts = { orgs: 0, tokens: 0, repos: 0, labels: 0, associations: 0 }
            for (const org of state.orgs) {
              const added = insertOrg(tx, org, now)
              counts.orgs++
              counts.tokens += added.tokens
              counts.repos += added.repos
              counts.labels += added.labels
              counts.associations += added.associations
            }
            return { ok: true, counts } as const
          },
          { behavior: 'immediate' },
        )
      } catch (error) {
        if (error instanceof ImportConflict) return { ok: false, conflict: error.message }
        if (isConstraintViolation(error)) return { ok: false, conflict: String((error as Error).message) }
        throw error
      }
    },

    /** Everything, ordered by id, in the shape `importState` takes back. */
    async exportState(): Promise<StateSnapshot> {
      return db.transaction((tx) => {
        const orgRows = tx.select().from(orgs).orderBy(asc(orgs.id)).all()
        return {
          orgs: orgRows.map((org): OrgState => {
            const repoRows = tx.select().from(repos).where(eq(repos.orgId, org.id)).orderBy(asc(repos.id)).all()
            const repoKey = new Map(repoRows.map((r) => [r.id, { workspace: r.workspace, slug: r.slug }]))
            const labelRows = tx.select().from(labels).where(eq(labels.orgId, org.id)).orderBy(asc(labels.id)).all()
            const links = labelRows.length
              ? tx
                  .select()
                  .from(repoLabels)
                  .where(
                    inArray(
                      repoLabels.labelId,
                      labelRows.map((l) => l.id),
                    ),
                  )
                  .orderBy(asc(repoLabels.labelId), asc(repoLabels.repoId))
                  .all()
              : []
            return {
              id: String(org.id),
              slug: org.slug,
              name: org.name,
              image: org.image,
              plan: org.plan,
              createdAt: org.createdAt,
              tokens: tx
                .select()
                .from(tokens)
                .where(eq(tokens.orgId, org.id))
                .orderBy(asc(tokens.id))
                .all()
                .map((t) => ({
                  id: String(t.id),
                  name: t.name,
                  tokenHash: t.tokenHash,
                  tokenPrefix: t.tokenPrefix,
                  scopes: t.scopes.split(' ').filter(Boolean),
                  maxQuota: t.maxQuota,
                  createdAt: t.createdAt,
                  revokedAt: t.revokedAt,
                })),
              repos: repoRows.map((r) => ({
                id: String(r.id),
                workspace: r.workspace,
                slug: r.slug,
                name: r.name,
                description: r.description,
                homepage: r.homepage,
                visibility: r.visibility,
                archived: r.archived,
                defaultBranch: r.defaultBranch,
                headFullScanId: r.headFullScanId,
                integrationMeta: r.integrationMeta === null ? null : JSON.parse(r.integrationMeta),
                createdAt: r.createdAt,
                updatedAt: r.updatedAt,
              })),
              labels: labelRows.map((l) => ({
                id: String(l.id),
                name: l.name,
                settings: {
                  issueRules: l.issueRules === null ? null : (JSON.parse(l.issueRules) as IssueRules),
                  issueRulesPolicyDefault: l.issueRulesPolicyDefault,
                  licensePolicy: l.licensePolicy === null ? null : JSON.parse(l.licensePolicy),
                  recentlyPublishedThresholdMs: l.recentlyPublishedThresholdMs,
                },
                repositories: links
                  .filter((link) => link.labelId === l.id)
                  .flatMap((link) => {
                    const key = repoKey.get(link.repoId)
                    return key ? [key] : []
                  }),
                createdAt: l.createdAt,
                updatedAt: l.updatedAt,
              })),
            }
          }),
        }
      })
    },

    /**
     * `data`: repos, labels (with associations and settings) go — of one org or all — and token
     * quotas refill; orgs and tokens stay. `everything`: an empty database.
     */
    async reset(scope: ResetScope): Promise<boolean> {
      cursors?.clear()
      return db.transaction(
        (tx) => {
          if (scope.kind === 'everything') {
            tx.delete(orgs).run()
            resetSequences(tx, ['orgs', 'tokens', 'repos', 'labels'])
            return true
          }
          const orgId = scope.orgId === undefined ? undefined : toRowId(scope.orgId)
          if (scope.orgId !== undefined && orgId === undefined) return false
          if (orgId === undefined) {
            tx.delete(repos).run()
            tx.delete(labels).run()
            tx.update(tokens).set({ quotaUsed: 0, windowStartedAt: 0 }).run()
          } else {
            tx.delete(repos).where(eq(repos.orgId, orgId)).run()
            tx.delete(labels).where(eq(labels.orgId, orgId)).run()
            tx.update(tokens)
              .set({ quotaUsed: 0, windowStartedAt: 0 })
              .where(and(eq(tokens.orgId, orgId)))
              .run()
          }
          resetSequences(tx, ['repos', 'labels'])
          return true
        },
        { behavior: 'immediate' },
      )
    },
  }
}

export type StateRepository = ReturnType<typeof createStateRepository>
