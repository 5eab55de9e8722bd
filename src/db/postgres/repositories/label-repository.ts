import { IdsExhaustedError, toRowId } from '../../ids.js'
import type { AuditOf, Label, LabelSettingKey, LabelSettings, Page } from '../../models.js'
import {
  type LabelRow,
  type LabelRowWithIds,
  labelSettingValue,
  toLabel,
  toLabelSettings,
  toLabelWithIds,
} from '../../rows.js'
import type { AssociationResult, LabelRepository, LabelWriteResult, NewLabel } from '../../types.js'
import {
  isForeignKeyViolation,
  isIdsExhausted,
  isUniqueViolation,
  type Queryable,
  rows,
  violatedConstraint,
} from '../client.js'
import type { PgContext } from '../context.js'
import { bumpStep } from '../data-versions.js'
import { asciiFoldSql } from '../schema.js'
import { recordAudit } from './audit-repository.js'

const settingColumns = {
  issueRules: 'issue_rules',
  issueRulesPolicyDefault: 'issue_rules_policy_default',
  licensePolicy: 'license_policy',
  recentlyPublishedThresholdMs: 'recently_published_threshold_ms',
} as const satisfies Record<LabelSettingKey, string>

const labelColumns = `id, org_id AS "orgId", name, issue_rules AS "issueRules",
  issue_rules_policy_default AS "issueRulesPolicyDefault", license_policy AS "licensePolicy",
  recently_published_threshold_ms AS "recentlyPublishedThresholdMs", created_at AS "createdAt", updated_at AS "updatedAt"`

/** The same columns read back from a CTE that returned `labelColumns`. */
const aliasedColumns = `id, "orgId", name, "issueRules", "issueRulesPolicyDefault", "licensePolicy",
  "recentlyPublishedThresholdMs", "createdAt", "updatedAt"`

/** The ids of label `labelId` (SQL) 's repos, ascending, as text: read from the primary key (label_id, repo_id). */
const repositoryIdsOf = (labelId: string) =>
  `ARRAY(SELECT rl.repo_id::text FROM repo_labels rl WHERE rl.label_id = ${labelId} ORDER BY rl.repo_id) AS "repositoryIds"`

const labelWithRepositoryIds = `${labelColumns}, ${repositoryIdsOf('labels.id')}`

const insertColumns = `org_id, name, issue_rules, issue_rules_policy_default, license_policy,
  recently_published_threshold_ms, created_at, updated_at`
const insertValues = '$1::bigint, $2::text, $3::text, $4::text, $5::text, $6::bigint, $7::bigint, $8::bigint'

/**
 * Inserts a label unless the org has one of that name (ASCII case ignored) — the lookup in the
 * INSERT's own SELECT over the unique index, so a refused duplicate consumes no id — and bumps the
 * org's labels version, in one statement. A concurrent insert of the name fails on the unique index.
 */
function insertSql(pinnedId: boolean) {
  return `WITH inserted AS (
      INSERT INTO labels (${pinnedId ? 'id, ' : ''}${insertColumns})
      SELECT ${pinnedId ? '$9::bigint, ' : ''}${insertValues}
      WHERE NOT EXISTS (SELECT 1 FROM labels WHERE org_id = $1 AND ${asciiFoldSql('name')} = ${asciiFoldSql('$2::text')})
      RETURNING org_id, ${labelColumns}
    ), bumped AS (${bumpStep('inserted', 'labels')})
    SELECT ${aliasedColumns} FROM inserted`
}

/** A pinned id (fixtures, imports) moves the id sequence past it, so later generated ids never collide with it. */
const advanceSequenceSql = `SELECT setval(pg_get_serial_sequence('labels', 'id'), $1::bigint)
  FROM labels_id_seq WHERE $1::bigint > (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)`

/**
 * Associates or dissociates (`change`) a label and a repo of the same org, bumping the labels version
 * when that changed anything, in one statement; says whether each was found and whether it changed.
 * $1 org, $2 label, $3 repo, $4 now (only to insert).
 */
function associationSql(change: 'insert' | 'delete') {
  const write =
    change === 'insert'
      ? `INSERT INTO repo_labels (label_id, repo_id, created_at) SELECT l.id, r.id, $4::bigint FROM l, r
           ON CONFLICT DO NOTHING RETURNING $1::bigint AS org_id`
      : `DELETE FROM repo_labels USING l, r WHERE repo_labels.label_id = l.id AND repo_labels.repo_id = r.id
           RETURNING $1::bigint AS org_id`
  return `WITH l AS (SELECT id FROM labels WHERE org_id = $1::bigint AND id = $2::bigint),
      r AS (SELECT id FROM repos WHERE org_id = $1::bigint AND id = $3::bigint),
      changed AS (${write}),
      bumped AS (${bumpStep('changed', 'labels')})
    SELECT EXISTS (SELECT 1 FROM l) AS "labelFound", EXISTS (SELECT 1 FROM r) AS "repoFound",
      EXISTS (SELECT 1 FROM changed) AS changed`
}

/** The unique index of label names refused the row: another label of the org has the name. */
function isNameTaken(error: unknown): boolean {
  return isUniqueViolation(error) && violatedConstraint(error) === 'labels_org_name_uq'
}

type AssociationAudit = AuditOf<{ labelId: string; repoId: string; changed: boolean }>

export function createLabelRepository(ctx: PgContext) {
  /** Runs `work` with its audit event in one transaction; a write with no audit is one statement. */
  function write<T>(auditOf: unknown, work: (q: Queryable) => Promise<T>): Promise<T> {
    return auditOf ? ctx.tx(work) : work(ctx.q)
  }

  const selectLabelSql = `SELECT ${labelColumns} FROM labels WHERE org_id = $1 AND id = $2`
  const selectLabelWithIdsSql = `SELECT ${labelWithRepositoryIds} FROM labels WHERE org_id = $1 AND id = $2`
  const selectPageSql = `SELECT ${labelWithRepositoryIds} FROM labels WHERE org_id = $1 ORDER BY id LIMIT $2 OFFSET $3`
  const selectRepoLabelsSql = `SELECT ${labelColumns} FROM labels WHERE org_id = $1
    AND id IN (SELECT label_id FROM repo_labels WHERE repo_id = $2) ORDER BY id`
  const selectAllOfOrgSql = `SELECT ${labelWithRepositoryIds} FROM labels WHERE org_id = $1 ORDER BY id`
  const insertPlainSql = insertSql(false)
  const insertPinnedSql = insertSql(true)
  const associateSql = associationSql('insert')
  const disassociateSql = associationSql('delete')
  const deleteSql = `WITH deleted AS (DELETE FROM labels WHERE org_id = $1 AND id = $2 RETURNING org_id, ${labelColumns}),
      bumped AS (${bumpStep('deleted', 'labels')})
    SELECT ${aliasedColumns}, ${repositoryIdsOf('deleted.id')} FROM deleted`

  async function load(q: Queryable, orgId: number, labelId: number): Promise<Label | undefined> {
    const [found] = await rows<LabelRowWithIds>(q, selectLabelWithIdsSql, [orgId, labelId], 'labels_find_by_id')
    return found ? toLabelWithIds(found) : undefined
  }

  /** Inserts a label; `conflict` when the org already has a label of that name (ASCII case ignored). */
  async function insert(input: NewLabel, now: number, auditOf?: AuditOf<Label>): Promise<LabelWriteResult> {
    const pinned = input.id === undefined ? undefined : toRowId(input.id)
    const settings = input.settings ?? {}
    const values: unknown[] = [Number(input.orgId), input.name]
    for (const key of Object.keys(settingColumns) as LabelSettingKey[]) {
      const value = settings[key]
      values.push(value === undefined ? null : labelSettingValue(key, value))
    }
    values.push(input.createdAt ?? now, input.updatedAt ?? input.createdAt ?? now)
    if (pinned !== undefined) values.push(pinned)
    try {
      return await write(auditOf, async (q): Promise<LabelWriteResult> => {
        const [found] = await rows<LabelRow>(
          q,
          pinned === undefined ? insertPlainSql : insertPinnedSql,
          values,
          pinned === undefined ? 'labels_insert' : 'labels_insert_pinned',
        )
        if (!found) return { ok: false, reason: 'conflict' }
        if (pinned !== undefined) {
          await q.query({ name: 'labels_advance_id', text: advanceSequenceSql, values: [pinned] })
        }
        const label = toLabel(found, [])
        await recordAudit(q, auditOf, label, now)
        return { ok: true, label }
      })
    } catch (error) {
      if (isNameTaken(error)) return { ok: false, reason: 'conflict' }
      if (isIdsExhausted(error, 'labels')) throw new IdsExhaustedError('labels')
      throw error
    }
  }

  /** Associates (or dissociates) a label and a repo of the same org; a no-op when already so. */
  async function changeAssociation(
    change: 'insert' | 'delete',
    orgId: string,
    labelId: string,
    repoId: string,
    now: number,
    auditOf?: AssociationAudit,
  ): Promise<AssociationResult> {
    const label = toRowId(labelId) ?? null
    const repo = toRowId(repoId) ?? null
    if (label === null) return 'label_not_found'
    for (let attempt = 1; ; attempt++) {
      try {
        return await write(auditOf, async (q): Promise<AssociationResult> => {
          const [found] = await rows<{ labelFound: boolean; repoFound: boolean; changed: boolean }>(
            q,
            change === 'insert' ? associateSql : disassociateSql,
            change === 'insert' ? [Number(orgId), label, repo, now] : [Number(orgId), label, repo],
            change === 'insert' ? 'labels_associate' : 'labels_disassociate',
          )
          if (!found?.labelFound) return 'label_not_found'
          if (!found.repoFound) return 'repo_not_found'
          await recordAudit(q, auditOf, { labelId: String(label), repoId: String(repo), changed: found.changed }, now)
          return 'ok'
        })
      } catch (error) {
        // The label or the repo was deleted by a concurrent request after this statement's snapshot:
        // run it again, to answer which one is gone.
        if (isForeignKeyViolation(error) && attempt < 3) continue
        throw error
      }
    }
  }

  const repository = {
    /** `create` (for the whole-state import, in its transaction context). */
    insert,

    /** The org's labels with their repository ids, by id. */
    async allOfOrg(orgId: string): Promise<Label[]> {
      return (await rows<LabelRowWithIds>(ctx.q, selectAllOfOrgSql, [Number(orgId)], 'labels_all_of_org')).map(
        toLabelWithIds,
      )
    },

    /** The version of the org's label list: it changes with every change to its labels, in any process. */
    async listVersion(orgId: string): Promise<string> {
      return ctx.versions.of(ctx.q, 'labels', Number(orgId))
    },

    create: insert,

    async findById(orgId: string, labelId: string): Promise<Label | undefined> {
      const id = toRowId(labelId)
      return id === undefined ? undefined : load(ctx.q, Number(orgId), id)
    },

    /** Labels in creation order (ascending id). */
    async list(orgId: string, limit: number, offset: number): Promise<Page<Label>> {
      const found = await rows<LabelRowWithIds>(
        ctx.q,
        selectPageSql,
        [Number(orgId), limit + 1, Math.min(offset, Number.MAX_SAFE_INTEGER)],
        'labels_page',
      )
      return { items: found.slice(0, limit).map(toLabelWithIds), hasMore: found.length > limit }
    },

    /** The label's settings alone (its associations are not read); undefined when there is no such label. */
    async findSettings(orgId: string, labelId: string): Promise<LabelSettings | undefined> {
      const id = toRowId(labelId)
      if (id === undefined) return undefined
      const [found] = await rows<LabelRow>(ctx.q, selectLabelSql, [Number(orgId), id], 'labels_find_settings')
      return found ? toLabelSettings(found) : undefined
    },

    /** Renames the label; `conflict` when another label of the org has the name (ASCII case ignored). */
    async rename(
      orgId: string,
      labelId: string,
      name: string,
      now: number,
      auditOf?: AuditOf<{ before: Label; after: Label }>,
    ): Promise<LabelWriteResult> {
      const id = toRowId(labelId)
      if (id === undefined) return { ok: false, reason: 'not_found' }
      const org = Number(orgId)
      try {
        return await ctx.tx(async (q): Promise<LabelWriteResult> => {
          const [before] = await rows<LabelRowWithIds>(
            q,
            `${selectLabelWithIdsSql} FOR UPDATE`,
            [org, id],
            'labels_find_by_id_for_update',
          )
          if (!before) return { ok: false, reason: 'not_found' }
          const [after] = await rows<LabelRowWithIds>(
            q,
            `WITH updated AS (UPDATE labels SET name = $3, updated_at = $4 WHERE org_id = $1 AND id = $2
                 RETURNING org_id, ${labelColumns}),
               bumped AS (${bumpStep('updated', 'labels')})
             SELECT ${aliasedColumns}, ${repositoryIdsOf('updated.id')} FROM updated`,
            [org, id, name, now],
            'labels_rename',
          )
          if (!after) return { ok: false, reason: 'not_found' }
          const label = toLabelWithIds(after)
          await recordAudit(q, auditOf, { before: toLabelWithIds(before), after: label }, now)
          return { ok: true, label }
        })
      } catch (error) {
        if (isUniqueViolation(error)) return { ok: false, reason: 'conflict' }
        throw error
      }
    },

    /** Deletes the label; its associations and settings go with it in the same statement. */
    async delete(orgId: string, labelId: string, now: number, auditOf?: AuditOf<Label>): Promise<boolean> {
      const id = toRowId(labelId)
      if (id === undefined) return false
      return write(auditOf, async (q) => {
        // The statement's snapshot still holds the label's associations, which the cascade removes.
        const [deleted] = await rows<LabelRowWithIds>(q, deleteSql, [Number(orgId), id], 'labels_delete')
        if (deleted) await recordAudit(q, auditOf, toLabelWithIds(deleted), now)
        return deleted !== undefined
      })
    },

    /** Associates a repo of the same org with the label; associating twice is a no-op. */
    associate(
      orgId: string,
      labelId: string,
      repoId: string,
      now: number,
      auditOf?: AssociationAudit,
    ): Promise<AssociationResult> {
      return changeAssociation('insert', orgId, labelId, repoId, now, auditOf)
    },

    /** Removes the association; removing one that does not exist is a no-op. */
    disassociate(
      orgId: string,
      labelId: string,
      repoId: string,
      now: number,
      auditOf?: AssociationAudit,
    ): Promise<AssociationResult> {
      return changeAssociation('delete', orgId, labelId, repoId, now, auditOf)
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
      const org = Number(orgId)
      const values: unknown[] = [org, id, now]
      const sets = ['updated_at = $3']
      for (const key of Object.keys(settingColumns) as LabelSettingKey[]) {
        const value = settings[key]
        if (value === undefined) continue
        values.push(labelSettingValue(key, value))
        sets.push(`${settingColumns[key]} = $${values.length}`)
      }
      const update = `WITH updated AS (UPDATE labels SET ${sets.join(', ')} WHERE org_id = $1 AND id = $2
          RETURNING org_id, ${labelColumns}),
        bumped AS (${bumpStep('updated', 'labels')})
      SELECT ${aliasedColumns} FROM updated`
      return write(auditOf, async (q) => {
        const [before] = auditOf
          ? await rows<LabelRow>(q, `${selectLabelSql} FOR UPDATE`, [org, id], 'labels_find_settings_for_update')
          : []
        const [after] = await rows<LabelRow>(q, update, values)
        if (after && before) {
          await recordAudit(
            q,
            auditOf,
            { labelId: String(id), before: toLabelSettings(before), after: toLabelSettings(after) },
            now,
          )
        }
        return after !== undefined
      })
    },

    /** The settings of every label associated with the repo, by ascending label id. */
    async settingsOfRepo(
      orgId: string,
      repoId: string,
    ): Promise<{ id: string; name: string; settings: LabelSettings }[]> {
      const id = toRowId(repoId)
      if (id === undefined) return []
      const found = await rows<LabelRow>(ctx.q, selectRepoLabelsSql, [Number(orgId), id], 'labels_of_repo')
      return found.map((row) => ({ id: String(row.id), name: row.name, settings: toLabelSettings(row) }))
    },
  }
  return repository satisfies LabelRepository
}
