import { type Actor, type Label, type LabelSettingKey, type LabelSettings, labelSettingKeys } from '../db/models.js'
import type { LabelRepository } from '../db/types.js'
import { auditEvent } from './audit-service.js'
import { ConflictError, InvalidInputError, NotFoundError, refuseWhenIdsExhausted } from './errors.js'
import { labelName, MAX_POLICY_DEPTH, nestsDeeperThan } from './field-rules.js'
import { parseOrThrow } from './validation.js'

export interface LabelPage {
  labels: Label[]
  nextPage: number | null
}

export function isLabelSettingKey(key: string): key is LabelSettingKey {
  return (labelSettingKeys as readonly string[]).includes(key)
}

/** The label's policy flags, derived from its settings: a policy is active while its key is set. */
export function policyFlags(settings: LabelSettings): { hasSecurityPolicy: boolean; hasLicensePolicy: boolean } {
  return {
    hasSecurityPolicy: settings.issueRulesPolicyDefault !== null,
    hasLicensePolicy: settings.licensePolicy !== null,
  }
}

export function createLabelService(deps: { labels: LabelRepository; now: () => number }) {
  const { labels, now } = deps

  async function get(orgId: string, labelId: string): Promise<Label> {
    const label = await labels.findById(orgId, labelId)
    if (!label) throw new NotFoundError('Label not found', { label_id: labelId })
    return label
  }

  function settingKey(key: string): LabelSettingKey {
    if (!isLabelSettingKey(key)) {
      throw new InvalidInputError(`setting_key must be one of ${labelSettingKeys.join(', ')}`, { setting_key: key })
    }
    return key
  }

  return {
    get,

    async create(orgId: string, name: string, actor?: Actor): Promise<Label> {
      const result = await refuseWhenIdsExhausted(
        labels.create({ orgId, name: parseOrThrow(labelName, name) }, now(), (label) =>
          actor ? [auditEvent(orgId, 'CreateLabel', actor, { label: { id: label.id, name: label.name } })] : [],
        ),
      )
      if (!result.ok) throw new ConflictError(`Label "${name}" already exists`, { name })
      return result.label
    },

    /** A value that changes whenever the org's label list would (to check a cached list). */
    listVersion(orgId: string): Promise<string> {
      return labels.listVersion(orgId)
    },

    async list(orgId: string, page: number, perPage: number): Promise<LabelPage> {
      const offset = (page - 1) * perPage
      if (!Number.isSafeInteger(offset + perPage)) return { labels: [], nextPage: null }
      const result = await labels.list(orgId, perPage, offset)
      return { labels: result.items, nextPage: result.hasMore ? page + 1 : null }
    },

    /** Renames; renaming a label to its own name (in any case) is allowed, another label's name is a conflict. */
    async rename(orgId: string, labelId: string, name: string, actor?: Actor): Promise<Label> {
      const result = await labels.rename(orgId, labelId, parseOrThrow(labelName, name), now(), ({ before, after }) =>
        actor
          ? [
              auditEvent(orgId, 'UpdateLabel', actor, {
                label_id: after.id,
                before: { name: before.name },
                after: { name: after.name },
              }),
            ]
          : [],
      )
      if (result.ok) return result.label
      if (result.reason === 'conflict') throw new ConflictError(`Label "${name}" already exists`, { name })
      throw new NotFoundError('Label not found', { label_id: labelId })
    },

    /** Deletes the label with its associations and settings. */
    async delete(orgId: string, labelId: string, actor?: Actor): Promise<void> {
      const deleted = await labels.delete(orgId, labelId, now(), (label) =>
        actor
          ? [
              auditEvent(orgId, 'DeleteLabel', actor, {
                label: { id: label.id, name: label.name, repository_ids: label.repositoryIds },
              }),
            ]
          : [],
      )
      if (!deleted) throw new NotFoundError('Label not found', { label_id: labelId })
    },

    /** Associating twice changes nothing and records nothing. */
    async associate(orgId: string, labelId: string, repositoryId: string | undefined, actor?: Actor): Promise<void> {
      const result = await labels.associate(orgId, labelId, requireRepositoryId(repositoryId), now(), (pair) =>
        actor && pair.changed
          ? [auditEvent(orgId, 'AssociateLabel', actor, { label_id: pair.labelId, repository_id: pair.repoId })]
          : [],
      )
      throwForAssociation(result, labelId, repositoryId)
    },

    async disassociate(orgId: string, labelId: string, repositoryId: string | undefined, actor?: Actor): Promise<void> {
      const result = await labels.disassociate(orgId, labelId, requireRepositoryId(repositoryId), now(), (pair) =>
        actor && pair.changed
          ? [auditEvent(orgId, 'DisassociateLabel', actor, { label_id: pair.labelId, repository_id: pair.repoId })]
          : [],
      )
      throwForAssociation(result, labelId, repositoryId)
    },

    /** The value of one setting key; null when it is not set. */
    async getSetting(orgId: string, labelId: string, key: string): Promise<{ key: LabelSettingKey; value: unknown }> {
      const k = settingKey(key)
      const settings = await labels.findSettings(orgId, labelId)
      if (!settings) throw new NotFoundError('Label not found', { label_id: labelId })
      return { key: k, value: settings[k] }
    },

    /** Writes the keys given and leaves the others alone; each given key is replaced whole. */
    async updateSettings(
      orgId: string,
      labelId: string,
      settings: Partial<LabelSettings>,
      actor?: Actor,
    ): Promise<void> {
      const given = Object.fromEntries(
        Object.entries(settings).filter(([key, value]) => isLabelSettingKey(key) && value !== undefined),
      ) as Partial<LabelSettings>
      if (nestsDeeperThan(given.licensePolicy, MAX_POLICY_DEPTH)) {
        throw new InvalidInputError(`licensePolicy must not nest deeper than ${MAX_POLICY_DEPTH} levels`, {
          max_depth: MAX_POLICY_DEPTH,
        })
      }
      const keys = Object.keys(given) as LabelSettingKey[]
      const updated = await labels.updateSettings(orgId, labelId, given, now(), ({ labelId: id, before, after }) =>
        actor && keys.length > 0
          ? [
              auditEvent(orgId, 'UpdateLabelSetting', actor, {
                label_id: id,
                before: Object.fromEntries(keys.map((key) => [key, before[key]])),
                after: Object.fromEntries(keys.map((key) => [key, after[key]])),
              }),
            ]
          : [],
      )
      if (!updated) throw new NotFoundError('Label not found', { label_id: labelId })
    },

    /** Unsets one key; unsetting a key that is not set succeeds. */
    async deleteSetting(orgId: string, labelId: string, key: string, actor?: Actor): Promise<void> {
      const k = settingKey(key)
      const updated = await labels.updateSettings(orgId, labelId, { [k]: null }, now(), ({ labelId: id, before }) =>
        actor && before[k] !== null
          ? [auditEvent(orgId, 'DeleteLabelSetting', actor, { label_id: id, setting_key: k, before: before[k] })]
          : [],
      )
      if (!updated) throw new NotFoundError('Label not found', { label_id: labelId })
    },

    /** The settings of the labels associated with a repo, by ascending label id. */
    settingsOfRepo(orgId: string, repoId: string) {
      return labels.settingsOfRepo(orgId, repoId)
    },
  }
}

function requireRepositoryId(repositoryId: string | undefined): string {
  if (!repositoryId) throw new InvalidInputError('repository_id is required')
  return repositoryId
}

function throwForAssociation(result: 'ok' | 'label_not_found' | 'repo_not_found', labelId: string, repoId?: string) {
  if (result === 'label_not_found') throw new NotFoundError('Label not found', { label_id: labelId })
  if (result === 'repo_not_found') throw new NotFoundError('Repository not found', { repository_id: repoId ?? '' })
}

export type LabelService = ReturnType<typeof createLabelService>
