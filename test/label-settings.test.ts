import type { LightMyRequestResponse } from 'fastify'
import { beforeEach, describe, expect, it } from 'vitest'
import { alertTypes } from '../src/services/alert-types.js'
import { issueToken, request, type TestApp, useTestApp } from './helpers/app.js'
import { createLabel, type LabelJson } from './helpers/labels.js'

/**
 * Label settings (docs/labels.md "Settings"): getOrgRepoLabelSetting, updateOrgRepoLabelSetting and
 * deleteOrgRepoLabelSetting.
 */

const LABELS = '/v0/orgs/acme/repos/labels'
const SETTING_KEYS = ['issueRules', 'issueRulesPolicyDefault', 'licensePolicy', 'recentlyPublishedThresholdMs'] as const
type SettingKey = (typeof SETTING_KEYS)[number]
const ACTIONS = ['defer', 'error', 'warn', 'monitor', 'ignore'] as const
const POLICY_DEFAULTS = ['default', 'low', 'medium', 'high'] as const

/** Our alert types: the published spec's 136, in its order, plus two of Socket's current spec. */
const ALERT_TYPES: readonly string[] = alertTypes
const ADDED_ALERT_TYPES = ['missingLockfile', 'oversizedManifest']

function settingUrl(labelId: string, key?: string, orgSlug = 'acme'): string {
  const url = `/v0/orgs/${orgSlug}/repos/labels/${labelId}/label-setting`
  return key === undefined ? url : `${url}?setting_key=${encodeURIComponent(key)}`
}

function getSetting(t: TestApp, labelId: string, key?: string, token?: string | null) {
  return request(t, 'GET', settingUrl(labelId, key), { token })
}

function putSettings(t: TestApp, labelId: string, payload?: unknown, token?: string | null) {
  return request(t, 'PUT', settingUrl(labelId), { token, payload })
}

function deleteSetting(t: TestApp, labelId: string, key?: string, token?: string | null) {
  return request(t, 'DELETE', settingUrl(labelId, key), { token })
}

/** PUT that must succeed with Socket's `{"status":"ok"}`. */
async function put(t: TestApp, labelId: string, payload: unknown): Promise<void> {
  const response = await putSettings(t, labelId, payload)
  expect(response.statusCode, response.body).toBe(200)
  expect(response.json()).toEqual({ status: 'ok' })
}

/** The value of one setting key, read through the API. */
async function read(t: TestApp, labelId: string, key: SettingKey): Promise<unknown> {
  const response = await getSetting(t, labelId, key)
  expect(response.statusCode, response.body).toBe(200)
  const json = response.json() as Record<string, unknown>
  expect(Object.keys(json)).toEqual([key])
  return json[key]
}

async function flags(t: TestApp, labelId: string): Promise<{ security: boolean; license: boolean }> {
  const response = await request(t, 'GET', `${LABELS}/${labelId}`)
  expect(response.statusCode).toBe(200)
  const label = response.json() as LabelJson
  return { security: label.has_security_policy, license: label.has_license_policy }
}

/** Every key except issueRulesPolicyDefault (whose unset value is covered by its own test), read back. */
async function readOthers(t: TestApp, labelId: string): Promise<Record<string, unknown>> {
  return {
    issueRules: await read(t, labelId, 'issueRules'),
    licensePolicy: await read(t, labelId, 'licensePolicy'),
    recentlyPublishedThresholdMs: await read(t, labelId, 'recentlyPublishedThresholdMs'),
  }
}

function expectError(response: LightMyRequestResponse, status: number, message?: string | RegExp) {
  expect(response.statusCode, response.body).toBe(status)
  const json = response.json() as { error: { message: string; details: unknown } }
  expect(Object.keys(json.error).sort()).toEqual(['details', 'message'])
  if (typeof message === 'string') expect(json.error.message).toBe(message)
  else if (message) expect(json.error.message).toMatch(message)
}

/** All alert types, each with an action; `shift` rotates which action each gets. */
function allRules(shift: number): Record<string, { action: string }> {
  return Object.fromEntries(
    ALERT_TYPES.map((type, i) => [type, { action: ACTIONS[(i + shift) % ACTIONS.length] ?? 'error' }]),
  )
}

const LICENSE_POLICY = { allow: ['MIT', 'Apache-2.0'], warn: ['GPL-3.0'], options: ['toplevelOnly'] }

describe('label settings', () => {
  const t = useTestApp()
  let label: string
  beforeEach(async () => {
    label = (await createLabel(t, 'pci')).id
  })

  describe('the alert types', () => {
    it('are the 138 of Socket’s current spec: the 136 of the published spec plus two', () => {
      expect(ALERT_TYPES).toHaveLength(138)
      expect(new Set(ALERT_TYPES).size).toBe(138)
      const published = ALERT_TYPES.filter((type) => !ADDED_ALERT_TYPES.includes(type))
      expect(published).toHaveLength(136)
      // Spot checks against the published spec (socket-repos-api-openapi.yml), in its order.
      expect(published.slice(0, 3)).toEqual(['gptSecurity', 'gptAnomaly', 'gptMalware'])
      expect(published.slice(15, 20)).toEqual([
        'emptyPackage',
        'trivialPackage',
        'noREADME',
        'shrinkwrap',
        'tooManyFiles',
      ])
      expect(published.at(-1)).toBe('vsxExtensionPack')
      for (const type of ['malware', 'criticalCVE', 'installScripts', 'licenseSpdxDisj', 'gitDependency']) {
        expect(published, type).toContain(type)
      }
      // The two additions sit where Socket's current spec puts them: after noREADME.
      const at = ALERT_TYPES.indexOf('noREADME')
      expect(ALERT_TYPES.slice(at, at + 4)).toEqual(['noREADME', 'missingLockfile', 'oversizedManifest', 'shrinkwrap'])
    })

    it('round-trip, all 138 at once, with every action', async () => {
      for (let shift = 0; shift < ACTIONS.length; shift++) {
        const rules = allRules(shift)
        await put(t, label, { issueRules: rules })
        const stored = (await read(t, label, 'issueRules')) as Record<string, unknown>
        expect(stored).toEqual(rules)
        expect(Object.keys(stored)).toHaveLength(138)
      }
    })

    it.each(ALERT_TYPES)('%s is accepted on its own', async (type) => {
      await put(t, label, { issueRules: { [type]: { action: 'monitor' } } })
      expect(await read(t, label, 'issueRules')).toEqual({ [type]: { action: 'monitor' } })
    })

    it.each(ACTIONS)('the action %s round-trips', async (action) => {
      await put(t, label, { issueRules: { malware: { action }, missingLockfile: { action } } })
      expect(await read(t, label, 'issueRules')).toEqual({ malware: { action }, missingLockfile: { action } })
    })

    it('an empty rule map is stored as an empty map', async () => {
      await put(t, label, { issueRules: {} })
      expect(await read(t, label, 'issueRules')).toEqual({})
    })
  })

  describe('getOrgRepoLabelSetting', () => {
    it.each(['issueRules', 'licensePolicy', 'recentlyPublishedThresholdMs'] as const)(
      'answers {%s: null} when unset',
      async (key) => {
        const response = await getSetting(t, label, key)
        expect(response.statusCode).toBe(200)
        expect(response.headers['content-type']).toMatch(/^application\/json/)
        expect(response.json()).toEqual({ [key]: null })
        expect(response.body).toBe(`{"${key}":null}`)
      },
    )

    it('answers {issueRulesPolicyDefault: null} when unset', async () => {
      const response = await getSetting(t, label, 'issueRulesPolicyDefault')
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ issueRulesPolicyDefault: null })
    })

    it('answers {issueRulesPolicyDefault: null} after it was deleted', async () => {
      await put(t, label, { issueRulesPolicyDefault: 'high' })
      expect((await deleteSetting(t, label, 'issueRulesPolicyDefault')).statusCode).toBe(200)
      const response = await getSetting(t, label, 'issueRulesPolicyDefault')
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ issueRulesPolicyDefault: null })
    })

    it('answers only the key asked for', async () => {
      const all = {
        issueRules: { malware: { action: 'error' } },
        issueRulesPolicyDefault: 'medium',
        licensePolicy: LICENSE_POLICY,
        recentlyPublishedThresholdMs: 86_400_000,
      }
      await put(t, label, all)
      for (const key of SETTING_KEYS) {
        const response = await getSetting(t, label, key)
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual({ [key]: all[key] })
      }
    })

    it('answers with a list-only token', async () => {
      await put(t, label, { issueRulesPolicyDefault: 'low' })
      const listOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label:list'] })
      const response = await getSetting(t, label, 'issueRulesPolicyDefault', listOnly)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ issueRulesPolicyDefault: 'low' })
    })

    it('answers 400 without setting_key', async () => {
      expectError(await getSetting(t, label), 400, /setting_key/)
    })

    it.each(['', 'notAKey', 'issuerules', 'ISSUERULES', 'issueRules ', 'has_security_policy', '__proto__'])(
      'answers 400 for setting_key=%j',
      async (key) => {
        expectError(await getSetting(t, label, key), 400, /setting_key/)
      },
    )

    it('names the valid keys in the 400 message', async () => {
      expectError(
        await getSetting(t, label, 'nope'),
        400,
        'setting_key must be one of issueRules, issueRulesPolicyDefault, licensePolicy, recentlyPublishedThresholdMs',
      )
    })
  })

  describe('updateOrgRepoLabelSetting', () => {
    it('answers {"status":"ok"}', async () => {
      const response = await putSettings(t, label, { issueRules: { malware: { action: 'error' } } })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual({ status: 'ok' })
    })

    it.each(POLICY_DEFAULTS)('stores issueRulesPolicyDefault %s and switches on has_security_policy', async (level) => {
      expect(await flags(t, label)).toEqual({ security: false, license: false })
      await put(t, label, { issueRulesPolicyDefault: level })
      expect(await read(t, label, 'issueRulesPolicyDefault')).toBe(level)
      expect(await flags(t, label)).toEqual({ security: true, license: false })
    })

    it('stores a licensePolicy exactly as sent and switches on has_license_policy only', async () => {
      await put(t, label, { licensePolicy: LICENSE_POLICY })
      const stored = await read(t, label, 'licensePolicy')
      expect(stored).toEqual(LICENSE_POLICY)
      expect(JSON.stringify(stored)).toBe(JSON.stringify(LICENSE_POLICY))
      expect(await flags(t, label)).toEqual({ security: false, license: true })
    })

    it('stores a free-form licensePolicy whole (nested values, numbers, booleans, null)', async () => {
      const policy = {
        allow: ['MIT'],
        nested: { deep: { list: [1, 2.5, true, null, 'x'] }, empty: {} },
        flag: false,
        count: 0,
        nothing: null,
      }
      await put(t, label, { licensePolicy: policy })
      expect(await read(t, label, 'licensePolicy')).toEqual(policy)
    })

    it('stores a licensePolicy nested 32 levels deep, and refuses 33 with a 400 that changes nothing', async () => {
      const nest = (levels: number) => {
        let value: Record<string, unknown> = { allow: 'MIT' }
        for (let i = 1; i < levels; i++) value = { next: value }
        return value
      }
      await put(t, label, { licensePolicy: nest(32) })
      expect(await read(t, label, 'licensePolicy')).toEqual(nest(32))
      const deeper = await putSettings(t, label, { licensePolicy: nest(33) })
      expect(deeper.statusCode).toBe(400)
      expect(deeper.json()).toEqual({
        error: { message: 'licensePolicy must not nest deeper than 32 levels', details: { max_depth: 32 } },
      })
      // Far deeper than any stack could serialize (written out, as no client could stringify it): a 400, not a 500.
      const abyss = `{"licensePolicy":${'{"next":'.repeat(5000)}1${'}'.repeat(5000)}}`
      const response = await t.app.inject({
        method: 'PUT',
        url: settingUrl(label),
        headers: { ...t.auth(), 'content-type': 'application/json' },
        payload: abyss,
      })
      expect(response.statusCode).toBe(400)
      expect(await read(t, label, 'licensePolicy')).toEqual(nest(32))
    })

    it('stores an empty licensePolicy object, which still counts as set', async () => {
      await put(t, label, { licensePolicy: {} })
      expect(await read(t, label, 'licensePolicy')).toEqual({})
      expect(await flags(t, label)).toEqual({ security: false, license: true })
    })

    it('PUT of licensePolicy alone does not switch on issueRulesPolicyDefault (no schema defaults injected)', async () => {
      await put(t, label, { licensePolicy: LICENSE_POLICY })
      expect(await flags(t, label)).toEqual({ security: false, license: true })
      // Nor does any other key get a default (recentlyPublishedThresholdMs defaults to 0 in the spec).
      expect(await readOthers(t, label)).toEqual({
        issueRules: null,
        licensePolicy: LICENSE_POLICY,
        recentlyPublishedThresholdMs: null,
      })
    })

    it('PUT of issueRules alone does not switch on has_security_policy', async () => {
      await put(t, label, { issueRules: { malware: { action: 'error' } } })
      expect(await flags(t, label)).toEqual({ security: false, license: false })
    })

    it.each([0, 1, 86_400_000, 2_147_483_648])('stores recentlyPublishedThresholdMs %d', async (ms) => {
      await put(t, label, { recentlyPublishedThresholdMs: ms })
      expect(await read(t, label, 'recentlyPublishedThresholdMs')).toBe(ms)
      expect(await flags(t, label)).toEqual({ security: false, license: false })
    })

    it('merges top-level keys: a PUT leaves the keys it does not name alone', async () => {
      await put(t, label, { issueRules: { malware: { action: 'error' } } })
      await put(t, label, { licensePolicy: LICENSE_POLICY })
      await put(t, label, { recentlyPublishedThresholdMs: 5000 })
      expect(await readOthers(t, label)).toEqual({
        issueRules: { malware: { action: 'error' } },
        licensePolicy: LICENSE_POLICY,
        recentlyPublishedThresholdMs: 5000,
      })
      await put(t, label, { issueRulesPolicyDefault: 'high' })
      expect(await read(t, label, 'issueRulesPolicyDefault')).toBe('high')
      expect(await readOthers(t, label)).toEqual({
        issueRules: { malware: { action: 'error' } },
        licensePolicy: LICENSE_POLICY,
        recentlyPublishedThresholdMs: 5000,
      })
      expect(await flags(t, label)).toEqual({ security: true, license: true })
    })

    it('replaces a given key whole: a second issueRules replaces the whole rule map', async () => {
      await put(t, label, {
        issueRules: { malware: { action: 'error' }, installScripts: { action: 'warn' }, cve: { action: 'monitor' } },
      })
      await put(t, label, { issueRules: { gptMalware: { action: 'ignore' } } })
      expect(await read(t, label, 'issueRules')).toEqual({ gptMalware: { action: 'ignore' } })
    })

    it('replaces a licensePolicy whole', async () => {
      await put(t, label, { licensePolicy: LICENSE_POLICY })
      await put(t, label, { licensePolicy: { deny: ['AGPL-3.0'] } })
      expect(await read(t, label, 'licensePolicy')).toEqual({ deny: ['AGPL-3.0'] })
    })

    it('writes all four keys in one PUT', async () => {
      const all = {
        issueRules: allRules(2),
        issueRulesPolicyDefault: 'default',
        licensePolicy: LICENSE_POLICY,
        recentlyPublishedThresholdMs: 3_600_000,
      }
      await put(t, label, all)
      for (const key of SETTING_KEYS) expect(await read(t, label, key), key).toEqual(all[key])
      expect(await flags(t, label)).toEqual({ security: true, license: true })
    })

    it('is a no-op 200 for an empty body', async () => {
      const before = { issueRules: { malware: { action: 'error' } }, licensePolicy: LICENSE_POLICY }
      await put(t, label, { ...before, issueRulesPolicyDefault: 'low' })
      await put(t, label, {})
      expect(await readOthers(t, label)).toEqual({ ...before, recentlyPublishedThresholdMs: null })
      expect(await read(t, label, 'issueRulesPolicyDefault')).toBe('low')
      expect(await flags(t, label)).toEqual({ security: true, license: true })
    })

    it('is a no-op 200 without a body', async () => {
      await put(t, label, { licensePolicy: LICENSE_POLICY })
      const response = await putSettings(t, label)
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json()).toEqual({ status: 'ok' })
      expect(await readOthers(t, label)).toEqual({
        issueRules: null,
        licensePolicy: LICENSE_POLICY,
        recentlyPublishedThresholdMs: null,
      })
      expect(await flags(t, label)).toEqual({ security: false, license: true })
    })

    it('does not change the label’s name or associations', async () => {
      const repo = await request(t, 'POST', '/v0/orgs/acme/repos', { payload: { slug: 'web' } })
      const repoId = (repo.json() as { id: string }).id
      expect(
        (await request(t, 'POST', `${LABELS}/${label}/associate`, { payload: { repository_id: repoId } })).statusCode,
      ).toBe(200)
      await put(t, label, { issueRulesPolicyDefault: 'high', licensePolicy: LICENSE_POLICY })
      expect((await request(t, 'GET', `${LABELS}/${label}`)).json()).toEqual({
        id: label,
        name: 'pci',
        repository_ids: [repoId],
        has_security_policy: true,
        has_license_policy: true,
      })
    })

    it('keeps each label’s settings apart', async () => {
      const other = (await createLabel(t, 'other')).id
      await put(t, label, { issueRules: { malware: { action: 'error' } } })
      await put(t, other, { issueRules: { cve: { action: 'warn' } }, licensePolicy: LICENSE_POLICY })
      expect(await read(t, label, 'issueRules')).toEqual({ malware: { action: 'error' } })
      expect(await read(t, other, 'issueRules')).toEqual({ cve: { action: 'warn' } })
      expect(await read(t, label, 'licensePolicy')).toBeNull()
    })

    describe('validation (400, and nothing is stored)', () => {
      const stored = { issueRules: { malware: { action: 'warn' } }, licensePolicy: { allow: ['MIT'] } }
      beforeEach(async () => {
        await put(t, label, stored)
      })

      async function expectUnchanged() {
        expect(await readOthers(t, label)).toEqual({ ...stored, recentlyPublishedThresholdMs: null })
        expect(await flags(t, label)).toEqual({ security: false, license: true })
      }

      it.each([
        ['an unknown alert type', { issueRules: { notARule: { action: 'error' } } }],
        [
          'an unknown alert type among known ones',
          { issueRules: { malware: { action: 'error' }, notARule: { action: 'error' } } },
        ],
        ['an alert type in the wrong case', { issueRules: { Malware: { action: 'error' } } }],
        ['an unknown action', { issueRules: { malware: { action: 'block' } } }],
        ['an action in the wrong case', { issueRules: { malware: { action: 'ERROR' } } }],
        ['a rule with an extra property', { issueRules: { malware: { action: 'error', extra: 1 } } }],
        ['a rule without an action', { issueRules: { malware: {} } }],
        ['a rule that is not an object', { issueRules: { malware: 'error' } }],
        ['issueRules that is not an object', { issueRules: 'strict' }],
        ['issueRules that is an array', { issueRules: [{ malware: { action: 'error' } }] }],
        ['issueRules null', { issueRules: null }],
        ['an unknown top-level key', { notASetting: true }],
        ['an unknown top-level key beside a valid one', { issueRulesPolicyDefault: 'high', notASetting: true }],
        ['issueRulesPolicyDefault "critical"', { issueRulesPolicyDefault: 'critical' }],
        ['issueRulesPolicyDefault in the wrong case', { issueRulesPolicyDefault: 'HIGH' }],
        ['issueRulesPolicyDefault null', { issueRulesPolicyDefault: null }],
        ['a licensePolicy that is a string', { licensePolicy: 'MIT' }],
        ['a licensePolicy that is an array', { licensePolicy: ['MIT'] }],
        ['a licensePolicy that is a number', { licensePolicy: 1 }],
        ['a negative recentlyPublishedThresholdMs', { recentlyPublishedThresholdMs: -1 }],
        ['a fractional recentlyPublishedThresholdMs', { recentlyPublishedThresholdMs: 1.5 }],
        [
          'a valid key beside an invalid one',
          { issueRulesPolicyDefault: 'high', licensePolicy: { x: 1 }, issueRules: { notARule: { action: 'error' } } },
        ],
      ])('answers 400 for %s', async (_case, payload) => {
        const response = await putSettings(t, label, payload)
        expectError(response, 400)
        await expectUnchanged()
      })

      it('does not store an unknown alert type (it is not silently dropped either)', async () => {
        const response = await putSettings(t, label, { issueRules: { notARule: { action: 'error' } } })
        expectError(response, 400, /issueRules/)
        expect(await read(t, label, 'issueRules')).toEqual(stored.issueRules)
      })

      it('answers 400 for a body that is not an object', async () => {
        for (const payload of ['"high"', '[]', '42']) {
          const response = await t.app.inject({
            method: 'PUT',
            url: settingUrl(label),
            headers: { ...t.auth(), 'content-type': 'application/json' },
            payload,
          })
          expectError(response, 400)
        }
        await expectUnchanged()
      })
    })
  })

  describe('deleteOrgRepoLabelSetting', () => {
    it('answers {"status":"ok"} and unsets that key only', async () => {
      await put(t, label, {
        issueRules: { malware: { action: 'error' } },
        issueRulesPolicyDefault: 'high',
        licensePolicy: LICENSE_POLICY,
        recentlyPublishedThresholdMs: 1000,
      })
      const response = await deleteSetting(t, label, 'issueRules')
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual({ status: 'ok' })
      expect(await readOthers(t, label)).toEqual({
        issueRules: null,
        licensePolicy: LICENSE_POLICY,
        recentlyPublishedThresholdMs: 1000,
      })
      expect(await read(t, label, 'issueRulesPolicyDefault')).toBe('high')
      expect(await flags(t, label)).toEqual({ security: true, license: true })
    })

    it('switches off has_security_policy when issueRulesPolicyDefault is deleted, keeping the rules', async () => {
      await put(t, label, { issueRules: { malware: { action: 'error' } }, issueRulesPolicyDefault: 'medium' })
      expect(await flags(t, label)).toEqual({ security: true, license: false })
      expect((await deleteSetting(t, label, 'issueRulesPolicyDefault')).json()).toEqual({ status: 'ok' })
      expect(await flags(t, label)).toEqual({ security: false, license: false })
      expect(await read(t, label, 'issueRules')).toEqual({ malware: { action: 'error' } })
    })

    it('switches off has_license_policy when licensePolicy is deleted', async () => {
      await put(t, label, { licensePolicy: LICENSE_POLICY, issueRulesPolicyDefault: 'low' })
      expect(await flags(t, label)).toEqual({ security: true, license: true })
      expect((await deleteSetting(t, label, 'licensePolicy')).json()).toEqual({ status: 'ok' })
      expect(await flags(t, label)).toEqual({ security: true, license: false })
      expect(await read(t, label, 'licensePolicy')).toBeNull()
    })

    it('unsets recentlyPublishedThresholdMs', async () => {
      await put(t, label, { recentlyPublishedThresholdMs: 0 })
      expect(await read(t, label, 'recentlyPublishedThresholdMs')).toBe(0)
      expect((await deleteSetting(t, label, 'recentlyPublishedThresholdMs')).json()).toEqual({ status: 'ok' })
      expect(await read(t, label, 'recentlyPublishedThresholdMs')).toBeNull()
    })

    it.each(SETTING_KEYS)('answers 200 for %s when it is not set', async (key) => {
      await put(t, label, { licensePolicy: LICENSE_POLICY })
      const target = key === 'licensePolicy' ? 'issueRules' : key
      const response = await deleteSetting(t, label, target)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ status: 'ok' })
      expect(await read(t, label, 'licensePolicy')).toEqual(LICENSE_POLICY)
    })

    it('answers 200 when deleting the same key twice', async () => {
      await put(t, label, { issueRules: { malware: { action: 'error' } } })
      expect((await deleteSetting(t, label, 'issueRules')).statusCode).toBe(200)
      const again = await deleteSetting(t, label, 'issueRules')
      expect(again.statusCode).toBe(200)
      expect(again.json()).toEqual({ status: 'ok' })
      expect(await read(t, label, 'issueRules')).toBeNull()
    })

    it('lets a key be set again after a delete', async () => {
      await put(t, label, { issueRules: { malware: { action: 'error' } } })
      await deleteSetting(t, label, 'issueRules')
      await put(t, label, { issueRules: { cve: { action: 'warn' } } })
      expect(await read(t, label, 'issueRules')).toEqual({ cve: { action: 'warn' } })
    })

    it('answers 400 without setting_key and changes nothing', async () => {
      await put(t, label, { licensePolicy: LICENSE_POLICY })
      expectError(await deleteSetting(t, label), 400, /setting_key/)
      expect(await read(t, label, 'licensePolicy')).toEqual(LICENSE_POLICY)
    })

    it.each(['', 'notAKey', 'licensepolicy', 'name'])('answers 400 for setting_key=%j', async (key) => {
      await put(t, label, { licensePolicy: LICENSE_POLICY })
      expectError(await deleteSetting(t, label, key), 400, /setting_key/)
      expect(await read(t, label, 'licensePolicy')).toEqual(LICENSE_POLICY)
    })

    it('names the valid keys in the 400 message', async () => {
      expectError(
        await deleteSetting(t, label, 'nope'),
        400,
        'setting_key must be one of issueRules, issueRulesPolicyDefault, licensePolicy, recentlyPublishedThresholdMs',
      )
    })
  })

  /** Each operation on label `id` of org `org`, with a token (fixture's by default, null for none). */
  const operations: [
    string,
    'list' | 'update',
    (id: string, org: string, token?: string | null) => Promise<LightMyRequestResponse>,
  ][] = [
    [
      'getOrgRepoLabelSetting',
      'list',
      (id, org, token) => request(t, 'GET', settingUrl(id, 'licensePolicy', org), { token }),
    ],
    [
      'updateOrgRepoLabelSetting',
      'update',
      (id, org, token) =>
        request(t, 'PUT', settingUrl(id, undefined, org), {
          token,
          payload: { issueRulesPolicyDefault: 'high', licensePolicy: { deny: ['AGPL-3.0'] } },
        }),
    ],
    [
      'deleteOrgRepoLabelSetting',
      'update',
      (id, org, token) => request(t, 'DELETE', settingUrl(id, 'licensePolicy', org), { token }),
    ],
  ]

  describe.each(operations)('%s: errors', (_operationId, scope, call) => {
    beforeEach(async () => {
      await put(t, label, { licensePolicy: LICENSE_POLICY })
    })

    async function expectUntouched(id = label) {
      expect(await read(t, id, 'licensePolicy')).toEqual(LICENSE_POLICY)
      expect(await flags(t, id)).toEqual({ security: false, license: true })
    }

    it('answers 401 without credentials', async () => {
      const response = await call(label, 'acme', null)
      expectError(response, 401, 'Invalid API token')
      expect(response.json()).toEqual({ error: { message: 'Invalid API token', details: null } })
      await expectUntouched()
    })

    it('answers 401 for a revoked token', async () => {
      const { token, secret } = await t.services.tokens.issue({ orgSlug: 'acme' })
      await t.services.tokens.revoke(token.id)
      expectError(await call(label, 'acme', secret), 401, 'Invalid API token')
      await expectUntouched()
    })

    it('answers 403 Organization not allowed for another org’s slug', async () => {
      await t.services.orgs.create({ slug: 'other' })
      for (const org of ['other', 'no-such-org']) {
        const response = await call(label, org)
        expect(response.json()).toEqual({ error: { message: 'Organization not allowed', details: null } })
        expect(response.statusCode).toBe(403)
      }
      await expectUntouched()
    })

    it(`needs repo-label:${scope}`, async () => {
      const wrong = scope === 'list' ? 'repo-label:update' : 'repo-label:list'
      for (const scopes of [[wrong], ['repo-label:create', 'repo-label:delete'], ['repo']]) {
        const token = await issueToken(t.services, { orgSlug: 'acme', scopes })
        const response = await call(label, 'acme', token)
        expect(response.statusCode, scopes.join(',')).toBe(403)
        expect(response.json()).toEqual({
          error: {
            message: 'Insufficient permissions for API method',
            details: { requiredScopes: [expect.stringMatching(/^repo-label:/)] },
          },
        })
      }
      await expectUntouched()
      const allowed = await issueToken(t.services, { orgSlug: 'acme', scopes: [`repo-label:${scope}`] })
      expect((await call(label, 'acme', allowed)).statusCode).toBe(200)
      const umbrella = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label'] })
      expect((await call(label, 'acme', umbrella)).statusCode).toBe(200)
    })

    it.each(['999', 'abc', '01', '0'])('answers 404 Label not found for the label id %s', async (id) => {
      expectError(await call(id, 'acme'), 404, 'Label not found')
    })

    it('answers 404 for a deleted label', async () => {
      const gone = (await createLabel(t, 'gone')).id
      expect((await request(t, 'DELETE', `${LABELS}/${gone}`)).statusCode).toBe(200)
      expectError(await call(gone, 'acme'), 404, 'Label not found')
    })

    it('answers 404 for a label of another org and leaves its settings alone', async () => {
      await t.services.orgs.create({ slug: 'other' })
      const otherToken = await issueToken(t.services, { orgSlug: 'other' })
      const theirs = (await createLabel(t, 'theirs', 'other', otherToken)).id
      const theirPut = await request(t, 'PUT', settingUrl(theirs, undefined, 'other'), {
        token: otherToken,
        payload: { licensePolicy: { allow: ['BSD-3-Clause'] } },
      })
      expect(theirPut.statusCode).toBe(200)
      expectError(await call(theirs, 'acme'), 404, 'Label not found')
      const theirPolicy = await request(t, 'GET', settingUrl(theirs, 'licensePolicy', 'other'), { token: otherToken })
      expect(theirPolicy.json()).toEqual({ licensePolicy: { allow: ['BSD-3-Clause'] } })
      const theirLabel = await request(t, 'GET', `/v0/orgs/other/repos/labels/${theirs}`, { token: otherToken })
      expect((theirLabel.json() as LabelJson).has_security_policy).toBe(false)
    })

    it('answers 429 with Retry-After once the quota is spent', async () => {
      const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
      expect((await request(t, 'GET', LABELS, { token })).statusCode).toBe(200)
      const response = await call(label, 'acme', token)
      expectError(response, 429, 'Insufficient quota for API route')
      const retryAfter = response.headers['retry-after']
      expect(retryAfter).toMatch(/^[1-9][0-9]*$/)
      expect(Number(retryAfter)).toBeLessThanOrEqual(3600)
      expect(response.headers['x-ratelimit-remaining']).toBe('0')
      await expectUntouched()
    })
  })
})
