import { and, eq, sql } from 'drizzle-orm'
import { checkedRowId, toRowId } from '../../ids.js'
import type { AuditOf, Label, LabelSettingKey, LabelSettings, Page } from '../../models.js'
import {
  type LabelRow,
  type LabelRowWithIds,
  labelSettingValue,
  toLabel,
  toLabelSettings,
  toLabelWithIds,
} from '../../rows.js'
import type { AssociationResult, LabelWriteResult, NewLabel } from '../../types.js'
import type { Db } from '../client.js'
import type { DataVersions } from '../data-versions.js'
import { labels, repoLabels, repos } from '../schema.js'
import { type AuditWriter, recordAudit } from './audit-repository.js'

const settingColumns = {
  issueRules: 'issueRules',
  issueRulesPolicyDefault: 'issueRulesPolicyDefault',
  licensePolicy: 'licensePolicy',
  recentlyPublishedThresholdMs: 'recentlyPublishedThresholdMs',
} as const satisfies Record<LabelSettingKey, keyof LabelRow>

/** Settings as stored: JSON text for the object-valued keys. */
function settingsToColumns(settings: Partial<LabelSettings>): Partial<LabelRow> {
  const columns: Partial<LabelRow> = {}
  for (const key of Object.keys(settings) as LabelSettingKey[]) {
    const value = settings[key]
    if (value === undefined) continue
    ;(columns as Record<string, unknown>)[settingColumns[key]] = labelSettingValue(key, value)
  }
  return columns
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Resolves a label and a repo of the same org to rowids, or says which of the two is missing. */
function findPair(
  tx: Tx,
  orgId: string,
  labelId: string,
  repoId: string,
): { labelId: number; repoId: number } | Exclude<AssociationResult, 'ok'> {
  const org = Number(orgId)
  const label = toRowId(labelId)
  const repo = toRowId(repoId)
  const labelFound =
    label !== undefined &&
    tx
      .select({ id: labels.id })
      .from(labels)
      .where(and(eq(labels.orgId, org), eq(labels.id, label)))
      .get()
  if (!labelFound) return 'label_not_found'
  const repoFound =
    repo !== undefined &&
    tx
      .select({ id: repos.id })
      .from(repos)
      .where(and(eq(repos.orgId, org), eq(repos.id, repo)))
      .get()
  if (!repoFound) return 'repo_not_found'
  return { labelId: label, repoId: repo }
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE'
}

// Reads on the request path are plain prepared statements, built once.
const labelColumns = `id, org_id AS orgId, name, issue_rules AS issueRules,
  issue_rules_policy_default AS issueRulesPolicyDefault, license_policy AS licensePolicy,
  recently_published_threshold_ms AS recentlyPublishedThresholdMs, created_at AS createdAt, updated_at AS updatedAt`

/**
 * A label with the ids of its repos, ascending, in the same row: one statement for a whole page, each
 * label's ids read from the primary key (label_id, repo_id).
 */
const labelWithRepositoryIds = `${labelColumns},
  (SELECT group_concat(repo_id, ',' ORDER BY repo_id) FROM repo_labels WHERE label_id = labels.id) AS repositoryIds`

export function createLabelRepository(db: Db, versions: DataVersions, audit?: AuditWriter) {
  const sqlite = db.$client
  function record<R>(auditOf: AuditOf<R> | undefined, result: R, now: number): void {
    recordAudit(audit, auditOf, result, now)
  }
  const selectLabel = sqlite.prepare<{ orgId: number; id: number }, LabelRow>(
    `SELECT ${labelColumns} FROM labels WHERE org_id = @orgId AND id = @id`,
  )
  const selectLabelWithIds = sqlite.prepare<{ orgId: number; id: number }, LabelRowWithIds>(
    `SELECT ${labelWithRepositoryIds} FROM labels WHERE org_id = @orgId AND id = @id`,
  )
  const selectPage = sqlite.prepare<{ orgId: number; limit: number; offset: number }, LabelRowWithIds>(
    `SELECT ${labelWithRepositoryIds} FROM labels WHERE org_id = @orgId ORDER BY id LIMIT @limit OFFSET @offset`,
  )

  const selectRepoLabels = sqlite.prepare<{ orgId: number; repoId: number }, LabelRow>(
    `SELECT ${labelColumns} FROM labels WHERE org_id = @orgId
       AND id IN (SELECT label_id FROM repo_labels WHERE repo_id = @repoId) ORDER BY id`,
  )

  function load(orgId: number, labelId: number): Label | undefined {
    const row = selectLabelWithIds.get({ orgId, id: labelId })
    return row ? toLabelWithIds(row) : undefined
  }

  /**
   * Inserts a label; `conflict` when the org already has a label of that name (ASCII case ignored).
   * The lookup comes first, under the write lock: a refused duplicate writes nothing (not even an id).
   * Synchronous: usable inside a transaction.
   */
  function insert(input: NewLabel, now: number, auditOf?: AuditOf<Label>): LabelWriteResult {
    const orgId = Number(input.orgId)
    return db.transaction(
      (tx) => {
        const taken = tx
          .select({ id: labels.id })
          .from(labels)
          .where(and(eq(labels.orgId, orgId), sql`${labels.name} = ${input.name} COLLATE NOCASE`))
          .get()
        if (taken) return { ok: false, reason: 'conflict' } as const
        const row = tx
          .insert(labels)
          .values({
            id: input.id === undefined ? undefined : toRowId(input.id),
            orgId,
            name: input.name,
            ...settingsToColumns(input.settings ?? {}),
            createdAt: input.createdAt ?? now,
            updatedAt: input.updatedAt ?? input.createdAt ?? now,
          })
          .returning()
          .get()
        checkedRowId(row.id, 'labels')
        const label = toLabel(row, [])
        record(auditOf, label, now)
        versions.bump(orgId, 'labels')
        return { ok: true, label } as const
      },
      { behavior: 'immediate' },
    )
  }

  /** Associates a repo of the same org with the label; a no-op when they are. Synchronous: usable inside a transaction. */
  function associate(
    orgId: string,
    labelId: string,
    repoId: string,
    now: number,
    auditOf?: AuditOf<{ labelId: string; repoId: string; changed: boolean }>,
  ): AssociationResult {
    return db.transaction(
      (tx) => {
        const pair = findPair(tx, orgId, labelId, repoId)
        if (typeof pair === 'string') return pair
        const changed =
          tx
            .insert(repoLabels)
            .values({ ...pair, createdAt: now })
            .onConflictDoNothing()
            .run().changes > 0
        record(auditOf, { labelId: String(pair.labelId), repoId: String(pair.repoId), changed }, now)
        if (changed) versions.bump(Number(orgId), 'labels')
        return 'ok'
      },
      { behavior: 'immediate' },
    )
  }

  const selectAllOfOrg = sqlite.prepare<{ orgId: number }, LabelRowWithIds>(
    `SELECT ${labelWithRepositoryIds} FROM labels WHERE org_id = @orgId ORDER BY id`,
  )

  return {
    insert,
    associateSync: associate,

    /** The org's labels with their repository ids, by id. Synchronous: usable inside a transaction. */
    allOfOrg(orgId: string): Label[] {
      return selectAllOfOrg.all({ orgId: Number(orgId) }).map(toLabelWithIds)
    },

    /** The version of the org's label list: it changes with every change to its labels, here or elsewhere. */
    async listVersion(orgId: string): Promise<string> {
      return versions.of('labels', Number(orgId))
    },

    async create(input: NewLabel, now: number, auditOf?: AuditOf<Label>): Promise<LabelWriteResult> {
      return insert(input, now, auditOf)
    },

    async findById(orgId: string, labelId: string): Promise<Label | undefined> {
      const id = toRowId(labelId)
      return id === undefined ? undefined : load(Number(orgId), id)
    },

    /** Labels in creation order (ascending id). */
    async list(orgId: string, limit: number, offset: number): Promise<Page<Label>> {
      const rows = selectPage.all({ orgId: Number(orgId), limit: limit + 1, offset })
      return { items: rows.slice(0, limit).map(toLabelWithIds), hasMore: rows.length > limit }
    },

    /** The label's settings alone (its associations are not read); undefined when there is no such label. */
    async findSettings(orgId: string, labelId: string): Promise<LabelSettings | undefined> {
      const id = toRowId(labelId)
      const row = id === undefined ? undefined : selectLabel.get({ orgId: Number(orgId), id })
      return row ? toLabelSettings(row) : undefined
    },

    async rename(
      orgId: string,
      labelId: string,
      name: string,
      now: number,
      auditOf?: AuditOf<{ before: Label; after: Label }>,
    ): Promise<LabelWriteResult> {
      const id = toRowId(labelId)
      if (id === undefined) return { ok: false, reason: 'not_found' }
      return db.transaction(
        (): LabelWriteResult => {
          const before = load(Number(orgId), id)
          if (!before) return { ok: false, reason: 'not_found' }
          try {
            db.update(labels)
              .set({ name, updatedAt: now })
              .where(and(eq(labels.orgId, Number(orgId)), eq(labels.id, id)))
              .run()
          } catch (error) {
            if (isUniqueViolation(error)) return { ok: false, reason: 'conflict' }
            throw error
          }
          const label = load(Number(orgId), id)
          if (!label) return { ok: false, reason: 'not_found' }
          record(auditOf, { before, after: label }, now)
          versions.bump(Number(orgId), 'labels')
          return { ok: true, label }
        },
        { behavior: 'immediate' },
      )
    },

    /** Deletes the label; its associations and settings go with it in the same statement. */
    async delete(orgId: string, labelId: string, now: number, auditOf?: AuditOf<Label>): Promise<boolean> {
      const id = toRowId(labelId)
      if (id === undefined) return false
      return db.transaction(
        () => {
          const label = auditOf ? load(Number(orgId), id) : undefined
          const deleted =
            db
              .delete(labels)
              .where(and(eq(labels.orgId, Number(orgId)), eq(labels.id, id)))
              .run().changes > 0
          if (deleted && label) record(auditOf, label, now)
          if (deleted) versions.bump(Number(orgId), 'labels')
          return deleted
        },
        { behavior: 'immediate' },
      )
    },

    /** Associates a repo of the same org with the label; associating twice is a no-op. */
    async associate(
      orgId: string,
      labelId: string,
      repoId: string,
      now: number,
      auditOf?: AuditOf<{ labelId: string; repoId: string; changed: boolean }>,
    ): Promise<AssociationResult> {
      return associate(orgId, labelId, repoId, now, auditOf)
    },

    /** Removes the association; removing one that does not exist is a no-op. */
    async disassociate(
      orgId: string,
      labelId: string,
      repoId: string,
      now: number,
      auditOf?: AuditOf<{ labelId: string; repoId: string; changed: boolean }>,
    ): Promise<AssociationResult> {
      return db.transaction(
        (tx) => {
          const pair = findPair(tx, orgId, labelId, repoId)
          if (typeof pair === 'string') return pair
          const changed =
            tx
              .delete(repoLabels)
              .where(and(eq(repoLabels.labelId, pair.labelId), eq(repoLabels.repoId, pair.repoId)))
              .run().changes > 0
          record(auditOf, { labelId: String(pair.labelId), repoId: String(pair.repoId), changed }, now)
          if (changed) versions.bump(Number(orgId), 'labels')
          return 'ok'
        },
        { behavior: 'immediate' },
      )
    },

    /** Writes the given setting keys (null clears one) and leaves the others alone. */
    async updateSettings(
      orgId: string,
      labelId: string,
      settings: Partial<LabelSettings>,
      now: number,
      auditOf?: AuditOf<{ labelId: string; before: LabelSettings; after: LabelSettings }>,
    ): Promise<boolean> {
      const id = toRowId(labelId)
      if (id === undefined) return false
      return db.transaction(
        () => {
          const before = auditOf ? selectLabel.get({ orgId: Number(orgId), id }) : undefined
          const changed =
            db
              .update(labels)
              .set({ ...settingsToColumns(settings), updatedAt: now })
              .where(and(eq(labels.orgId, Number(orgId)), eq(labels.id, id)))
              .run().changes > 0
          const after = before ? selectLabel.get({ orgId: Number(orgId), id }) : undefined
          if (changed && before && after) {
            record(
              auditOf,
              { labelId: String(id), before: toLabelSettings(before), after: toLabelSettings(after) },
              now,
            )
          }
          if (changed) versions.bump(Number(orgId), 'labels')
          return changed
        },
        { behavior: 'immediate' },
      )
    },

    /** The settings of every label associated with the repo, by ascending label id. */
    async settingsOfRepo(
      orgId: string,
      repoId: string,
    ): Promise<{ id: string; name: string; settings: LabelSettings }[]> {
      const id = toRowId(repoId)
      if (id === undefined) return []
      return selectRepoLabels.all({ orgId: Number(orgId), repoId: id }).map((row) => ({
        id: String(row.id),
        name: row.name,
        settings: toLabelSettings(row),
      }))
    },
  }
}

export type SqliteLabelRepository = ReturnType<typeof createLabelRepository>
