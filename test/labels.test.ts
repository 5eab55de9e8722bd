import type { LightMyRequestResponse } from 'fastify'
import { beforeEach, describe, expect, it } from 'vitest'
import { issueToken, request, type TestApp, useTestApp } from './helpers/app.js'
import { createLabel, type LabelJson } from './helpers/labels.js'

/**
 * The label operations (docs/labels.md, docs/pagination-and-sorting.md): create, list, get, rename, delete,
 * associate and disassociate.
 */

const LABELS = '/v0/orgs/acme/repos/labels'

async function createRepo(t: TestApp, slug: string, orgSlug = 'acme', token?: string): Promise<string> {
  const response = await request(t, 'POST', `/v0/orgs/${orgSlug}/repos`, { token, payload: { slug } })
  expect(response.statusCode, response.body).toBe(201)
  return (response.json() as { id: string }).id
}

async function getLabel(t: TestApp, id: string, orgSlug = 'acme', token?: string): Promise<LightMyRequestResponse> {
  return request(t, 'GET', `/v0/orgs/${orgSlug}/repos/labels/${id}`, { token })
}

function associate(t: TestApp, labelId: string, repositoryId: unknown, token?: string | null) {
  return request(t, 'POST', `${LABELS}/${labelId}/associate`, { token, payload: { repository_id: repositoryId } })
}

function disassociate(t: TestApp, labelId: string, repositoryId: unknown, token?: string | null) {
  return request(t, 'POST', `${LABELS}/${labelId}/disassociate`, { token, payload: { repository_id: repositoryId } })
}

function body(
  id: string,
  name: string,
  repositoryIds: string[] = [],
  flags: { security?: boolean; license?: boolean } = {},
): LabelJson {
  return {
    id,
    name,
    repository_ids: repositoryIds,
    has_security_policy: flags.security ?? false,
    has_license_policy: flags.license ?? false,
  }
}

function error(message: string) {
  return { error: { message, details: null } }
}

/** Socket's 403 for a missing scope, naming the scope required. */
function forbidden(scope: unknown) {
  return { error: { message: 'Insufficient permissions for API method', details: { requiredScopes: [scope] } } }
}

function expectError(response: LightMyRequestResponse, status: number, message: string) {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const json = response.json() as { error: { message: string; details: unknown } }
  expect(json.error.message).toBe(message)
  expect(Object.keys(json.error).sort()).toEqual(['details', 'message'])
}

/** Creates the org `other` with an all-scopes token. */
async function otherOrg(t: TestApp): Promise<string> {
  await t.services.orgs.create({ slug: 'other' })
  return issueToken(t.services, { orgSlug: 'other' })
}

describe('labels', () => {
  const t = useTestApp()

  describe('createOrgRepoLabel', () => {
    it('answers 201 with the new label', async () => {
      const response = await request(t, 'POST', LABELS, { payload: { name: 'production' } })
      expect(response.statusCode).toBe(201)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      const label = response.json() as LabelJson
      expect(label).toEqual(body(label.id, 'production'))
      expect(label.id).toMatch(/^[1-9][0-9]*$/)
      // The fields in the spec's order, nothing else.
      expect(response.body).toBe(
        `{"id":"${label.id}","name":"production","repository_ids":[],"has_security_policy":false,"has_license_policy":false}`,
      )
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'production'))
    })

    it('accepts Basic auth with the token as user, as Socket’s clients send it', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: LABELS,
        headers: t.auth(t.token, 'basic'),
        payload: { name: 'basic' },
      })
      expect(response.statusCode).toBe(201)
      expect((response.json() as LabelJson).name).toBe('basic')
    })

    it('stores the name as sent (spaces, case, unicode) and accepts 999 characters', async () => {
      const odd = '  Prod / EU — ünïcødé 🚀  '
      const label = await createLabel(t, odd)
      expect(label).toEqual(body(label.id, odd))
      const long = 'x'.repeat(999)
      const longLabel = await createLabel(t, long)
      expect(longLabel.name).toBe(long)
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, odd))
    })

    it('counts characters, not UTF-16 units: 999 emoji are accepted, 1000 are not', async () => {
      const label = await createLabel(t, '🚀'.repeat(999))
      expect(label.name).toBe('🚀'.repeat(999))
      expectError(
        await request(t, 'POST', LABELS, { payload: { name: '🚀'.repeat(1000) } }),
        400,
        'Label name must be less than 1000 characters',
      )
    })

    it('gives every label a new, ascending id', async () => {
      const a = await createLabel(t, 'a')
      const b = await createLabel(t, 'b')
      expect(Number(b.id)).toBeGreaterThan(Number(a.id))
    })

    it.each([
      ['a missing name', {}],
      ['an empty name', { name: '' }],
      ['a whitespace-only name', { name: '   ' }],
      ['a whitespace-only name with tabs and newlines', { name: ' \t\n ' }],
      ['a name of 1000 characters', { name: 'x'.repeat(1000) }],
    ])('answers 400 for %s', async (_case, payload) => {
      const response = await request(t, 'POST', LABELS, { payload })
      expect(response.statusCode, response.body).toBe(400)
      expect((response.json() as { error: { message: string } }).error.message).toMatch(/name/)
      const list = await request(t, 'GET', LABELS)
      expect(list.json()).toEqual({ results: [], nextPage: null })
    })

    it('names the rule broken in the 400 message', async () => {
      expectError(
        await request(t, 'POST', LABELS, { payload: { name: 'y'.repeat(1000) } }),
        400,
        'Label name must be less than 1000 characters',
      )
      expectError(await request(t, 'POST', LABELS, { payload: { name: '  ' } }), 400, 'Label name must be non-empty')
      expectError(await request(t, 'POST', LABELS, { payload: { name: '' } }), 400, 'Label name must be non-empty')
    })

    it('answers 400 without a body', async () => {
      const response = await request(t, 'POST', LABELS)
      expect(response.statusCode, response.body).toBe(400)
      expect((await request(t, 'GET', LABELS)).json()).toEqual({ results: [], nextPage: null })
    })

    it('answers 400 for an empty JSON body', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: LABELS,
        headers: { ...t.auth(), 'content-type': 'application/json' },
        payload: '',
      })
      expect(response.statusCode, response.body).toBe(400)
    })

    it('answers 409 for a duplicate name', async () => {
      const first = await createLabel(t, 'prod')
      const response = await request(t, 'POST', LABELS, { payload: { name: 'prod' } })
      expectError(response, 409, 'Label "prod" already exists')
      expect((await request(t, 'GET', LABELS)).json()).toEqual({ results: [first], nextPage: null })
    })

    it.each(['PROD', 'Prod', 'pRoD'])(
      'answers 409 for %s, which differs from "prod" only in ASCII case',
      async (name) => {
        await createLabel(t, 'prod')
        expectError(await request(t, 'POST', LABELS, { payload: { name } }), 409, `Label "${name}" already exists`)
      },
    )

    it('compares without regard to ASCII case only (É and é are different letters)', async () => {
      await createLabel(t, 'café')
      const upper = await createLabel(t, 'CAFÉ')
      expect(upper.name).toBe('CAFÉ')
      expectError(await request(t, 'POST', LABELS, { payload: { name: 'CAFé' } }), 409, 'Label "CAFé" already exists')
    })

    it('allows the same name in another org', async () => {
      await createLabel(t, 'prod')
      const otherToken = await otherOrg(t)
      const label = await createLabel(t, 'prod', 'other', otherToken)
      expect(label).toEqual(body(label.id, 'prod'))
    })

    it('drops unknown body properties (Socket’s CLI sends extras)', async () => {
      const response = await request(t, 'POST', LABELS, { payload: { name: 'extra', orgSlug: 'acme' } })
      expect(response.statusCode).toBe(201)
      expect(response.json()).toEqual(body((response.json() as LabelJson).id, 'extra'))
    })
  })

  describe('getOrgRepoLabelList', () => {
    const list = (query = '', token?: string) => request(t, 'GET', `${LABELS}${query}`, { token })

    it('answers an empty list with nextPage null', async () => {
      const response = await list()
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ results: [], nextPage: null })
    })

    it('lists labels in creation order with their full bodies', async () => {
      const b = await createLabel(t, 'b')
      const a = await createLabel(t, 'A')
      const c = await createLabel(t, 'c')
      const repo = await createRepo(t, 'web')
      expect((await associate(t, a.id, repo)).statusCode).toBe(200)
      const response = await list()
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({
        results: [body(b.id, 'b'), body(a.id, 'A', [repo]), body(c.id, 'c')],
        nextPage: null,
      })
    })

    it('keeps creation order after a rename', async () => {
      const first = await createLabel(t, 'zzz')
      const second = await createLabel(t, 'aaa')
      await request(t, 'PUT', `${LABELS}/${first.id}`, { payload: { name: 'mmm' } })
      expect((await list()).json()).toEqual({
        results: [body(first.id, 'mmm'), body(second.id, 'aaa')],
        nextPage: null,
      })
    })

    it('pages with per_page and page; nextPage is a number, then null on the last page', async () => {
      const labels: LabelJson[] = []
      for (const name of ['l1', 'l2', 'l3', 'l4', 'l5']) labels.push(await createLabel(t, name))
      const page1 = await list('?per_page=2')
      expect(page1.json()).toEqual({ results: labels.slice(0, 2), nextPage: 2 })
      const page2 = await list('?per_page=2&page=2')
      expect(page2.json()).toEqual({ results: labels.slice(2, 4), nextPage: 3 })
      const page3 = await list('?per_page=2&page=3')
      expect(page3.json()).toEqual({ results: labels.slice(4), nextPage: null })
    })

    it('answers nextPage null when the last page is exactly full', async () => {
      const labels: LabelJson[] = []
      for (const name of ['l1', 'l2', 'l3', 'l4']) labels.push(await createLabel(t, name))
      expect((await list('?per_page=2&page=2')).json()).toEqual({ results: labels.slice(2), nextPage: null })
      expect((await list('?per_page=4')).json()).toEqual({ results: labels, nextPage: null })
    })

    it('reads page=0 as page 1 (Socket’s CLI sends it)', async () => {
      const labels: LabelJson[] = []
      for (const name of ['l1', 'l2', 'l3']) labels.push(await createLabel(t, name))
      const zero = await list('?per_page=2&page=0')
      expect(zero.statusCode).toBe(200)
      expect(zero.json()).toEqual({ results: labels.slice(0, 2), nextPage: 2 })
      expect(zero.json()).toEqual((await list('?per_page=2&page=1')).json())
    })

    it('answers a page past the end with no results and nextPage null', async () => {
      await createLabel(t, 'only')
      for (const query of ['?page=2', '?per_page=1&page=2', '?per_page=100&page=1000', '?page=9007199254740991']) {
        const response = await list(query)
        expect(response.statusCode, query).toBe(200)
        expect(response.json(), query).toEqual({ results: [], nextPage: null })
      }
    })

    it('pages 30 labels by default', async () => {
      const labels: LabelJson[] = []
      for (let i = 1; i <= 31; i++) labels.push(await createLabel(t, `label-${i}`))
      const first = await list()
      expect(first.json()).toEqual({ results: labels.slice(0, 30), nextPage: 2 })
      expect((await list('?page=2')).json()).toEqual({ results: labels.slice(30), nextPage: null })
      expect((await list('?per_page=100')).json()).toEqual({ results: labels, nextPage: null })
    })

    it.each([
      ['per_page=0', '?per_page=0'],
      ['per_page=101', '?per_page=101'],
      ['per_page=abc', '?per_page=abc'],
      ['page=-1', '?page=-1'],
      ['page=abc', '?page=abc'],
      ['a repeated page', '?page=1&page=2'],
    ])('answers 400 for %s', async (_case, query) => {
      await createLabel(t, 'x')
      const response = await list(query)
      expect(response.statusCode, response.body).toBe(400)
      expect(Object.keys((response.json() as { error: object }).error).sort()).toEqual(['details', 'message'])
    })

    it('pages an org’s labels correctly when another org’s labels were created in between', async () => {
      const otherToken = await otherOrg(t)
      const mine: LabelJson[] = []
      for (const name of ['m1', 'm2', 'm3']) {
        mine.push(await createLabel(t, name))
        await createLabel(t, `o-${name}`, 'other', otherToken)
      }
      expect((await list('?per_page=2')).json()).toEqual({ results: mine.slice(0, 2), nextPage: 2 })
      expect((await list('?per_page=2&page=2')).json()).toEqual({ results: mine.slice(2), nextPage: null })
    })

    it('lists only the labels of the token’s org', async () => {
      const mine = await createLabel(t, 'mine')
      const otherToken = await otherOrg(t)
      const theirs = await createLabel(t, 'theirs', 'other', otherToken)
      expect((await list()).json()).toEqual({ results: [mine], nextPage: null })
      const response = await request(t, 'GET', '/v0/orgs/other/repos/labels', { token: otherToken })
      expect(response.json()).toEqual({ results: [theirs], nextPage: null })
    })

    it('shows the policy flags of each label', async () => {
      const label = await createLabel(t, 'policy')
      const put = await request(t, 'PUT', `${LABELS}/${label.id}/label-setting`, {
        payload: { issueRulesPolicyDefault: 'high', licensePolicy: { allow: ['MIT'] } },
      })
      expect(put.statusCode).toBe(200)
      expect((await list()).json()).toEqual({
        results: [body(label.id, 'policy', [], { security: true, license: true })],
        nextPage: null,
      })
    })
  })

  describe('getOrgRepoLabel', () => {
    it('answers the label', async () => {
      const label = await createLabel(t, 'prod')
      const response = await getLabel(t, label.id)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual(body(label.id, 'prod'))
    })

    it('answers with a list-only token and over Basic auth', async () => {
      const label = await createLabel(t, 'prod')
      const listOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label:list'] })
      const response = await t.app.inject({
        method: 'GET',
        url: `${LABELS}/${label.id}`,
        headers: t.auth(listOnly, 'basic'),
      })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual(body(label.id, 'prod'))
    })

    it.each(['999', 'abc', '01', '0', '-1', '1.0', '1e3', ' 1'])('answers 404 for the unknown id %j', async (id) => {
      await createLabel(t, 'first')
      expectError(await getLabel(t, encodeURIComponent(id)), 404, 'Label not found')
    })

    it('answers 404 for a label of another org, as if it did not exist', async () => {
      const otherToken = await otherOrg(t)
      const theirs = await createLabel(t, 'theirs', 'other', otherToken)
      expectError(await getLabel(t, theirs.id), 404, 'Label not found')
      expect((await getLabel(t, theirs.id, 'other', otherToken)).json()).toEqual(body(theirs.id, 'theirs'))
    })

    it('answers 404 for a deleted label', async () => {
      const label = await createLabel(t, 'gone')
      expect((await request(t, 'DELETE', `${LABELS}/${label.id}`)).statusCode).toBe(200)
      expectError(await getLabel(t, label.id), 404, 'Label not found')
    })
  })

  describe('updateOrgRepoLabel', () => {
    const rename = (id: string, payload?: unknown, token?: string) =>
      request(t, 'PUT', `${LABELS}/${id}`, { token, payload })

    it('renames and answers the label with its associations and flags', async () => {
      const label = await createLabel(t, 'old')
      const repo = await createRepo(t, 'web')
      expect((await associate(t, label.id, repo)).statusCode).toBe(200)
      const put = await request(t, 'PUT', `${LABELS}/${label.id}/label-setting`, {
        payload: { licensePolicy: { allow: ['MIT'] } },
      })
      expect(put.statusCode).toBe(200)
      const response = await rename(label.id, { name: 'new' })
      expect(response.statusCode).toBe(200)
      const expected = body(label.id, 'new', [repo], { license: true })
      expect(response.json()).toEqual(expected)
      expect((await getLabel(t, label.id)).json()).toEqual(expected)
    })

    it('frees the old name', async () => {
      const label = await createLabel(t, 'old')
      expect((await rename(label.id, { name: 'new' })).statusCode).toBe(200)
      const again = await createLabel(t, 'old')
      expect(again).toEqual(body(again.id, 'old'))
    })

    it.each(['prod', 'PROD', 'Prod'])('allows renaming a label to its own name as %s', async (name) => {
      const label = await createLabel(t, 'prod')
      const response = await rename(label.id, { name })
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json()).toEqual(body(label.id, name))
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, name))
    })

    it.each(['staging', 'STAGING', 'Staging'])(
      'answers 409 for renaming onto another label’s name as %s',
      async (name) => {
        const prod = await createLabel(t, 'prod')
        const staging = await createLabel(t, 'staging')
        expectError(await rename(prod.id, { name }), 409, `Label "${name}" already exists`)
        expect((await getLabel(t, prod.id)).json()).toEqual(body(prod.id, 'prod'))
        expect((await getLabel(t, staging.id)).json()).toEqual(body(staging.id, 'staging'))
      },
    )

    it('allows renaming onto a name used in another org', async () => {
      const otherToken = await otherOrg(t)
      await createLabel(t, 'shared', 'other', otherToken)
      const label = await createLabel(t, 'mine')
      const response = await rename(label.id, { name: 'shared' })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual(body(label.id, 'shared'))
    })

    it('accepts a name of 999 characters', async () => {
      const label = await createLabel(t, 'short')
      const response = await rename(label.id, { name: 'n'.repeat(999) })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual(body(label.id, 'n'.repeat(999)))
    })

    it.each([
      ['a missing name', {}],
      ['an empty name', { name: '' }],
      ['a whitespace-only name', { name: '    ' }],
      ['a name of 1000 characters', { name: 'x'.repeat(1000) }],
      ['no body', undefined],
    ])('answers 400 for %s and keeps the name', async (_case, payload) => {
      const label = await createLabel(t, 'keep')
      const response = await rename(label.id, payload)
      expect(response.statusCode, response.body).toBe(400)
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'keep'))
    })

    it('names the rule broken in the 400 message', async () => {
      const label = await createLabel(t, 'keep')
      expectError(
        await rename(label.id, { name: 'x'.repeat(1000) }),
        400,
        'Label name must be less than 1000 characters',
      )
      expectError(await rename(label.id, { name: ' ' }), 400, 'Label name must be non-empty')
    })

    it.each(['999', 'abc', '01'])('answers 404 for the unknown id %s', async (id) => {
      await createLabel(t, 'first')
      expectError(await rename(id, { name: 'x' }), 404, 'Label not found')
    })

    it('answers 404 for a label of another org and leaves it alone', async () => {
      const otherToken = await otherOrg(t)
      const theirs = await createLabel(t, 'theirs', 'other', otherToken)
      expectError(await rename(theirs.id, { name: 'hijacked' }), 404, 'Label not found')
      expect((await getLabel(t, theirs.id, 'other', otherToken)).json()).toEqual(body(theirs.id, 'theirs'))
    })
  })

  describe('deleteOrgRepoLabel', () => {
    const remove = (id: string, token?: string) => request(t, 'DELETE', `${LABELS}/${id}`, { token })

    it('answers {"status":"ok"} and the label is gone', async () => {
      const label = await createLabel(t, 'gone')
      const keep = await createLabel(t, 'keep')
      const response = await remove(label.id)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual({ status: 'ok' })
      expectError(await getLabel(t, label.id), 404, 'Label not found')
      expect((await request(t, 'GET', LABELS)).json()).toEqual({ results: [keep], nextPage: null })
    })

    it('answers 404 when deleting twice', async () => {
      const label = await createLabel(t, 'gone')
      expect((await remove(label.id)).statusCode).toBe(200)
      expectError(await remove(label.id), 404, 'Label not found')
    })

    it.each(['999', 'abc', '-1'])('answers 404 for the unknown id %s', async (id) => {
      await createLabel(t, 'first')
      expectError(await remove(id), 404, 'Label not found')
    })

    it('answers 404 for a label of another org and keeps it', async () => {
      const otherToken = await otherOrg(t)
      const theirs = await createLabel(t, 'theirs', 'other', otherToken)
      expectError(await remove(theirs.id), 404, 'Label not found')
      expect((await getLabel(t, theirs.id, 'other', otherToken)).statusCode).toBe(200)
    })

    it('removes its associations and settings; the repo stays and a new label gets a new id', async () => {
      const label = await createLabel(t, 'pci')
      const repo = await createRepo(t, 'payments')
      expect((await associate(t, label.id, repo)).statusCode).toBe(200)
      const put = await request(t, 'PUT', `${LABELS}/${label.id}/label-setting`, {
        payload: {
          issueRulesPolicyDefault: 'high',
          issueRules: { malware: { action: 'error' } },
          licensePolicy: { allow: ['MIT'] },
          recentlyPublishedThresholdMs: 1000,
        },
      })
      expect(put.statusCode).toBe(200)
      expect((await getLabel(t, label.id)).json()).toEqual(
        body(label.id, 'pci', [repo], { security: true, license: true }),
      )

      expect((await remove(label.id)).json()).toEqual({ status: 'ok' })

      // The settings and associations went with it.
      const setting = await request(t, 'GET', `${LABELS}/${label.id}/label-setting?setting_key=issueRules`)
      expectError(setting, 404, 'Label not found')
      expectError(await associate(t, label.id, repo), 404, 'Label not found')

      // The repo is still there.
      const repoResponse = await request(t, 'GET', '/v0/orgs/acme/repos/payments')
      expect(repoResponse.statusCode).toBe(200)
      expect((repoResponse.json() as { id: string }).id).toBe(repo)

      // The same name can be created again, as a new label with a new id and nothing carried over.
      const again = await createLabel(t, 'pci')
      expect(again.id).not.toBe(label.id)
      expect(Number(again.id)).toBeGreaterThan(Number(label.id))
      expect(again).toEqual(body(again.id, 'pci'))
      expect((await getLabel(t, again.id)).json()).toEqual(body(again.id, 'pci'))
      // (issueRulesPolicyDefault is covered by has_security_policy above; reading it unset is tested in
      // test/label-settings.test.ts.)
      for (const key of ['issueRules', 'licensePolicy', 'recentlyPublishedThresholdMs']) {
        const response = await request(t, 'GET', `${LABELS}/${again.id}/label-setting?setting_key=${key}`)
        expect(response.json()).toEqual({ [key]: null })
      }
    })

    it('never hands out a deleted label’s id again', async () => {
      const first = await createLabel(t, 'first')
      const second = await createLabel(t, 'second')
      expect((await remove(second.id)).statusCode).toBe(200)
      const third = await createLabel(t, 'third')
      expect(Number(third.id)).toBeGreaterThan(Number(second.id))
      expect((await request(t, 'GET', LABELS)).json()).toEqual({ results: [first, third], nextPage: null })
    })
  })

  describe('associateOrgRepoLabel / disassociateOrgRepoLabel', () => {
    it('associates a repo by id and answers {"status":"ok"}', async () => {
      const label = await createLabel(t, 'pci')
      const repo = await createRepo(t, 'payments')
      const response = await associate(t, label.id, repo)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual({ status: 'ok' })
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'pci', [repo]))
    })

    it('is idempotent: associating twice keeps one association', async () => {
      const label = await createLabel(t, 'pci')
      const repo = await createRepo(t, 'payments')
      expect((await associate(t, label.id, repo)).json()).toEqual({ status: 'ok' })
      const again = await associate(t, label.id, repo)
      expect(again.statusCode).toBe(200)
      expect(again.json()).toEqual({ status: 'ok' })
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'pci', [repo]))
    })

    it('lists repository_ids ascending, whatever the order of association', async () => {
      const label = await createLabel(t, 'many')
      const ids: string[] = []
      for (let i = 1; i <= 11; i++) ids.push(await createRepo(t, `repo-${i}`))
      const pick = (n: number) => ids[n - 1] ?? ''
      // A one-digit and a two-digit id: ascending is numeric, not the strings' order.
      expect(pick(2)).toHaveLength(1)
      expect(pick(10)).toHaveLength(2)
      for (const n of [11, 2, 10, 1]) {
        expect((await associate(t, label.id, pick(n))).statusCode).toBe(200)
      }
      const expected = [pick(1), pick(2), pick(10), pick(11)]
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'many', expected))
      expect((await request(t, 'GET', LABELS)).json()).toEqual({
        results: [body(label.id, 'many', expected)],
        nextPage: null,
      })
    })

    it('associates one repo with several labels', async () => {
      const a = await createLabel(t, 'a')
      const b = await createLabel(t, 'b')
      const repo = await createRepo(t, 'web')
      expect((await associate(t, a.id, repo)).statusCode).toBe(200)
      expect((await associate(t, b.id, repo)).statusCode).toBe(200)
      expect((await request(t, 'GET', LABELS)).json()).toEqual({
        results: [body(a.id, 'a', [repo]), body(b.id, 'b', [repo])],
        nextPage: null,
      })
    })

    it('disassociates and answers {"status":"ok"}', async () => {
      const label = await createLabel(t, 'pci')
      const keep = await createRepo(t, 'keep')
      const drop = await createRepo(t, 'drop')
      expect((await associate(t, label.id, keep)).statusCode).toBe(200)
      expect((await associate(t, label.id, drop)).statusCode).toBe(200)
      const response = await disassociate(t, label.id, drop)
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ status: 'ok' })
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'pci', [keep]))
      // The repo itself stays.
      expect((await request(t, 'GET', '/v0/orgs/acme/repos/drop')).statusCode).toBe(200)
    })

    it('is idempotent: disassociating a pair that is not associated succeeds', async () => {
      const label = await createLabel(t, 'pci')
      const repo = await createRepo(t, 'payments')
      const never = await disassociate(t, label.id, repo)
      expect(never.statusCode).toBe(200)
      expect(never.json()).toEqual({ status: 'ok' })
      expect((await associate(t, label.id, repo)).statusCode).toBe(200)
      expect((await disassociate(t, label.id, repo)).statusCode).toBe(200)
      const twice = await disassociate(t, label.id, repo)
      expect(twice.statusCode).toBe(200)
      expect(twice.json()).toEqual({ status: 'ok' })
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'pci'))
    })

    describe.each([
      ['associate', associate],
      ['disassociate', disassociate],
    ])('%s', (name, call) => {
      it.each([
        ['a missing repository_id', {}],
        ['an empty repository_id', { repository_id: '' }],
      ])('answers 400 for %s', async (_case, payload) => {
        const label = await createLabel(t, 'pci')
        const response = await request(t, 'POST', `${LABELS}/${label.id}/${name}`, { payload })
        expectError(response, 400, 'repository_id is required')
      })

      it('answers 400 without a body', async () => {
        const label = await createLabel(t, 'pci')
        expectError(await request(t, 'POST', `${LABELS}/${label.id}/${name}`), 400, 'repository_id is required')
      })

      it('answers 404 Label not found for an unknown label', async () => {
        const repo = await createRepo(t, 'web')
        expectError(await call(t, '999', repo), 404, 'Label not found')
        expectError(await call(t, 'abc', repo), 404, 'Label not found')
      })

      it.each(['999', 'abc', '01', '-1'])('answers 404 Repository not found for the repo id %s', async (id) => {
        const label = await createLabel(t, 'pci')
        await createRepo(t, 'web')
        expectError(await call(t, label.id, id), 404, 'Repository not found')
        expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'pci'))
      })

      it('takes the repo’s id, not its slug', async () => {
        const label = await createLabel(t, 'pci')
        await createRepo(t, 'web')
        expectError(await call(t, label.id, 'web'), 404, 'Repository not found')
      })

      it('answers 404 for a repo of another org', async () => {
        const label = await createLabel(t, 'pci')
        const otherToken = await otherOrg(t)
        const theirRepo = await createRepo(t, 'theirs', 'other', otherToken)
        expectError(await call(t, label.id, theirRepo), 404, 'Repository not found')
        expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'pci'))
      })

      it('answers 404 for a label of another org', async () => {
        const repo = await createRepo(t, 'web')
        const otherToken = await otherOrg(t)
        const theirLabel = await createLabel(t, 'theirs', 'other', otherToken)
        expectError(await call(t, theirLabel.id, repo), 404, 'Label not found')
        expect((await getLabel(t, theirLabel.id, 'other', otherToken)).json()).toEqual(body(theirLabel.id, 'theirs'))
      })

      it('answers with a repo-label:update token', async () => {
        const label = await createLabel(t, 'pci')
        const repo = await createRepo(t, 'web')
        const updateOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label:update'] })
        const response = await call(t, label.id, repo, updateOnly)
        expect(response.statusCode).toBe(200)
        expect(response.json()).toEqual({ status: 'ok' })
      })
    })

    it('does not associate a repo of another org with a label of another org through this org', async () => {
      const otherToken = await otherOrg(t)
      const theirLabel = await createLabel(t, 'theirs', 'other', otherToken)
      const theirRepo = await createRepo(t, 'theirs', 'other', otherToken)
      expectError(await associate(t, theirLabel.id, theirRepo), 404, 'Label not found')
      expect((await getLabel(t, theirLabel.id, 'other', otherToken)).json()).toEqual(body(theirLabel.id, 'theirs'))
    })
  })

  describe('cascades', () => {
    it('removes a deleted repo from every label’s repository_ids', async () => {
      const a = await createLabel(t, 'a')
      const b = await createLabel(t, 'b')
      const c = await createLabel(t, 'c')
      const gone = await createRepo(t, 'gone')
      const stays = await createRepo(t, 'stays')
      for (const label of [a, b]) {
        expect((await associate(t, label.id, gone)).statusCode).toBe(200)
        expect((await associate(t, label.id, stays)).statusCode).toBe(200)
      }
      expect((await getLabel(t, a.id)).json()).toEqual(body(a.id, 'a', [gone, stays]))

      const deleted = await request(t, 'DELETE', '/v0/orgs/acme/repos/gone')
      expect(deleted.statusCode).toBe(200)

      expect((await getLabel(t, a.id)).json()).toEqual(body(a.id, 'a', [stays]))
      expect((await getLabel(t, b.id)).json()).toEqual(body(b.id, 'b', [stays]))
      expect((await request(t, 'GET', LABELS)).json()).toEqual({
        results: [body(a.id, 'a', [stays]), body(b.id, 'b', [stays]), body(c.id, 'c')],
        nextPage: null,
      })
      // A deleted repo's id names nothing any more.
      expectError(await associate(t, c.id, gone), 404, 'Repository not found')
    })

    it('does not carry a deleted repo’s associations over to a re-created repo of the same slug', async () => {
      const label = await createLabel(t, 'pci')
      const old = await createRepo(t, 'web')
      expect((await associate(t, label.id, old)).statusCode).toBe(200)
      expect((await request(t, 'DELETE', '/v0/orgs/acme/repos/web')).statusCode).toBe(200)
      const renewed = await createRepo(t, 'web')
      expect(renewed).not.toBe(old)
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'pci'))
    })
  })

  describe('routing', () => {
    it('GET /repos/labels is the label list, not the repo "labels"', async () => {
      await createRepo(t, 'web')
      const label = await createLabel(t, 'pci')
      const labelListOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label:list'] })
      const response = await request(t, 'GET', LABELS, { token: labelListOnly })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ results: [body(label.id, 'pci')], nextPage: null })
    })

    it('POST /repos/labels creates a label, not an update of the repo "labels"', async () => {
      const labelCreateOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label:create'] })
      const response = await request(t, 'POST', LABELS, { token: labelCreateOnly, payload: { name: 'pci' } })
      expect(response.statusCode).toBe(201)
      expect(response.json()).toEqual(body((response.json() as LabelJson).id, 'pci'))
      const repoOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo'] })
      expectError(
        await request(t, 'POST', LABELS, { token: repoOnly, payload: { name: 'pci2' } }),
        403,
        'Insufficient permissions for API method',
      )
    })

    it('a repo-only token cannot list labels', async () => {
      const repoOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo'] })
      const response = await request(t, 'GET', LABELS, { token: repoOnly })
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(forbidden('repo-label:list'))
      const repoList = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo:list'] })
      expectError(await request(t, 'GET', LABELS, { token: repoList }), 403, 'Insufficient permissions for API method')
    })

    it('answers 404 for an unknown method on a label route', async () => {
      const label = await createLabel(t, 'pci')
      const response = await request(t, 'PATCH', `${LABELS}/${label.id}`, { payload: { name: 'x' } })
      expect(response.statusCode).toBe(404)
      expect((await getLabel(t, label.id)).json()).toEqual(body(label.id, 'pci'))
    })
  })

  /** Every label operation, called on an existing label and repo of `acme`. */
  type Call = (
    t: TestApp,
    ids: { label: string; repo: string },
    orgSlug: string,
    token?: string | null,
  ) => Promise<LightMyRequestResponse>
  const operations: [string, 'list' | 'create' | 'update' | 'delete', Call][] = [
    [
      'createOrgRepoLabel',
      'create',
      (t, _ids, org, token) => request(t, 'POST', `/v0/orgs/${org}/repos/labels`, { token, payload: { name: 'new' } }),
    ],
    [
      'getOrgRepoLabelList',
      'list',
      (t, _ids, org, token) => request(t, 'GET', `/v0/orgs/${org}/repos/labels`, { token }),
    ],
    [
      'getOrgRepoLabel',
      'list',
      (t, ids, org, token) => request(t, 'GET', `/v0/orgs/${org}/repos/labels/${ids.label}`, { token }),
    ],
    [
      'updateOrgRepoLabel',
      'update',
      (t, ids, org, token) =>
        request(t, 'PUT', `/v0/orgs/${org}/repos/labels/${ids.label}`, { token, payload: { name: 'renamed' } }),
    ],
    [
      'deleteOrgRepoLabel',
      'delete',
      (t, ids, org, token) => request(t, 'DELETE', `/v0/orgs/${org}/repos/labels/${ids.label}`, { token }),
    ],
    [
      'associateOrgRepoLabel',
      'update',
      (t, ids, org, token) =>
        request(t, 'POST', `/v0/orgs/${org}/repos/labels/${ids.label}/associate`, {
          token,
          payload: { repository_id: ids.repo },
        }),
    ],
    [
      'disassociateOrgRepoLabel',
      'update',
      (t, ids, org, token) =>
        request(t, 'POST', `/v0/orgs/${org}/repos/labels/${ids.label}/disassociate`, {
          token,
          payload: { repository_id: ids.repo },
        }),
    ],
  ]
  const successStatus = (operationId: string) => (operationId === 'createOrgRepoLabel' ? 201 : 200)

  describe.each(operations)('%s: authentication, authorization and quota', (operationId, action, call) => {
    let ids: { label: string; repo: string }
    beforeEach(async () => {
      ids = { label: (await createLabel(t, 'target')).id, repo: await createRepo(t, 'target-repo') }
    })

    /** The label and its association are as they were. */
    async function expectUntouched() {
      const response = await getLabel(t, ids.label)
      expect(response.json()).toEqual(body(ids.label, 'target'))
      expect((await request(t, 'GET', LABELS)).json()).toEqual({ results: [body(ids.label, 'target')], nextPage: null })
    }

    it('answers 401 without credentials, and nothing changes', async () => {
      const response = await call(t, ids, 'acme', null)
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual(error('Invalid API token'))
      expect(response.headers['x-ratelimit-remaining']).toBeUndefined()
      await expectUntouched()
    })

    it('answers 401 for a revoked token, and nothing changes', async () => {
      const { token, secret } = await t.services.tokens.issue({ orgSlug: 'acme' })
      await t.services.tokens.revoke(token.id)
      const response = await call(t, ids, 'acme', secret)
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual(error('Invalid API token'))
      await expectUntouched()
    })

    it('answers 401 for an unknown token', async () => {
      const response = await call(t, ids, 'acme', 'sktsec_not_a_real_token_0123456789')
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual(error('Invalid API token'))
    })

    it('answers 403 Organization not allowed for another org’s slug, existing or not', async () => {
      await otherOrg(t)
      for (const org of ['other', 'no-such-org']) {
        const response = await call(t, ids, org)
        expect(response.statusCode, org).toBe(403)
        expect(response.json()).toEqual(error('Organization not allowed'))
      }
      await expectUntouched()
    })

    it(`needs repo-label:${action}`, async () => {
      const scope = `repo-label:${action}`
      const others = ['repo-label:list', 'repo-label:create', 'repo-label:update', 'repo-label:delete'].filter(
        (s) => s !== scope,
      )
      for (const scopes of [others, ['repo'], ['repo:list', 'repo:create', 'repo:update', 'repo:delete']]) {
        const token = await issueToken(t.services, { orgSlug: 'acme', scopes })
        const response = await call(t, ids, 'acme', token)
        expect(response.statusCode, scopes.join(',')).toBe(403)
        expect(response.json()).toEqual(forbidden(scope))
      }
      await expectUntouched()
      const allowed = await issueToken(t.services, { orgSlug: 'acme', scopes: [scope] })
      const response = await call(t, ids, 'acme', allowed)
      expect(response.statusCode, response.body).toBe(successStatus(operationId))
    })

    it('answers with the umbrella repo-label scope', async () => {
      const token = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label'] })
      const response = await call(t, ids, 'acme', token)
      expect(response.statusCode, response.body).toBe(successStatus(operationId))
    })

    it('answers 429 with Retry-After once the quota is spent', async () => {
      const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 1 })
      const first = await request(t, 'GET', LABELS, { token })
      expect(first.statusCode).toBe(200)
      expect(first.headers['x-ratelimit-remaining']).toBe('0')
      const response = await call(t, ids, 'acme', token)
      expect(response.statusCode).toBe(429)
      expect(response.json()).toMatchObject({ error: { message: 'Insufficient quota for API route' } })
      const retryAfter = response.headers['retry-after']
      expect(retryAfter).toMatch(/^[1-9][0-9]*$/)
      expect(Number(retryAfter)).toBeLessThanOrEqual(3600)
      expect(response.headers['x-ratelimit-limit']).toBe('1')
      expect(response.headers['x-ratelimit-remaining']).toBe('0')
      await expectUntouched()
    })

    it('spends one unit of quota', async () => {
      const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 10 })
      const response = await call(t, ids, 'acme', token)
      expect(response.statusCode, response.body).toBe(successStatus(operationId))
      expect(response.headers['x-ratelimit-limit']).toBe('10')
      expect(response.headers['x-ratelimit-remaining']).toBe('9')
    })
  })

  it.each(operations.filter(([, action]) => action !== 'list'))(
    '%s answers 403 for a token with only repo-label:list',
    async (_operationId, _action, call) => {
      const ids = { label: (await createLabel(t, 'target')).id, repo: await createRepo(t, 'target-repo') }
      const listOnly = await issueToken(t.services, { orgSlug: 'acme', scopes: ['repo-label:list'] })
      const response = await call(t, ids, 'acme', listOnly)
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual(forbidden(expect.stringMatching(/^repo-label:/)))
      expect((await request(t, 'GET', LABELS)).json()).toEqual({ results: [body(ids.label, 'target')], nextPage: null })
    },
  )

  it('spends quota on a 404, but not on a 403', async () => {
    const token = await issueToken(t.services, { orgSlug: 'acme', maxQuota: 10 })
    const notFound = await getLabel(t, '999', 'acme', token)
    expect(notFound.statusCode).toBe(404)
    expect(notFound.headers['x-ratelimit-remaining']).toBe('9')
    const forbidden = await getLabel(t, '999', 'other', token)
    expect(forbidden.statusCode).toBe(403)
    const quota = await t.app.inject({ method: 'GET', url: '/v0/quota', headers: t.auth(token) })
    expect((quota.json() as { quota: number }).quota).toBe(9)
  })
})
