import type { Committer, TokenVisibility } from '../../db/models.js'
import type { ApiTokenSettings, TokenIdentifiers } from '../../services/token-service.js'
import { apiTokenBody, createdTokenBody, rotatedTokenBody, tokenHashBody } from '../presenters.js'
import { type OperationHandler, principalOf, type Schemas } from './types.js'

type SettingsBody = Partial<Schemas['ApiTokenCreateBody']>
/** How a request names a token (rotate, revoke, update): any of these, the service checks which. */
type IdentifierBody = Partial<Schemas['ApiTokenRevokeBody']> | undefined

/** Wire body → service settings; the spec's `required` has already been checked. */
function settingsOf(body: SettingsBody | undefined): ApiTokenSettings {
  const b = body ?? {}
  return {
    ...(b.name === undefined ? {} : { name: b.name }),
    scopes: b.scopes ?? [],
    maxQuota: b.max_quota ?? 0,
    visibility: (b.visibility ?? 'organization') as TokenVisibility,
    committer: (b.committer ?? {}) as Committer,
    ...(b.resources === undefined ? {} : { resources: b.resources }),
  }
}

function identifiersOf(body: IdentifierBody): TokenIdentifiers {
  const ids: TokenIdentifiers = {}
  for (const key of ['uuid', 'id', 'token', 'hash'] as const) {
    const value = body?.[key]
    if (value !== undefined) ids[key] = value
  }
  return ids
}

export const postAPIToken: OperationHandler<'postAPIToken'> = async function (request) {
  const { token, secret } = await this.services.tokens.createFor(principalOf(request), settingsOf(request.body))
  return createdTokenBody(token, secret)
}

export const getAPITokens: OperationHandler<'getAPITokens'> = async function (request) {
  const q = request.query
  const { tokens, nextPage } = await this.services.tokens.listFor(principalOf(request).orgId, {
    direction: q.direction === 'asc' ? 'asc' : 'desc',
    perPage: q.per_page ?? 30,
    page: q.page ?? 1,
  })
  const includeValues = q.token_values === 'include'
  return { tokens: tokens.map((token) => apiTokenBody(token, includeValues)), nextPage }
}

export const postAPITokenUpdate: OperationHandler<'postAPITokenUpdate'> = async function (request) {
  const token = await this.services.tokens.updateFor(
    principalOf(request),
    identifiersOf(request.body),
    settingsOf(request.body),
  )
  return tokenHashBody(token)
}

export const postAPITokensRotate: OperationHandler<'postAPITokensRotate'> = async function (request) {
  const { token, secret } = await this.services.tokens.rotateFor(principalOf(request), identifiersOf(request.body))
  return rotatedTokenBody(token, secret)
}

export const postAPITokensRevoke: OperationHandler<'postAPITokensRevoke'> = async function (request) {
  await this.services.tokens.revokeFor(principalOf(request), identifiersOf(request.body))
  return { status: 'revoked' }
}

// SDK 4.0.1's paths (extension operations, docs/api-tokens.md): the same operations, the token named in the path.

export const postAPITokenSdkPath: OperationHandler<'postAPITokenSdkPath'> = async function (request) {
  const { token, secret } = await this.services.tokens.createFor(principalOf(request), settingsOf(request.body))
  return createdTokenBody(token, secret)
}

export const getAPITokensSdkPath: OperationHandler<'getAPITokensSdkPath'> = async function (request) {
  return getAPITokens.call(this, request as never) as never
}

export const postAPITokenUpdateSdkPath: OperationHandler<'postAPITokenUpdateSdkPath'> = async function (request) {
  const token = await this.services.tokens.updateFor(
    principalOf(request),
    { id: request.params.token_id },
    settingsOf(request.body),
  )
  return tokenHashBody(token)
}

export const postAPITokensRotateSdkPath: OperationHandler<'postAPITokensRotateSdkPath'> = async function (request) {
  const { token, secret } = await this.services.tokens.rotateFor(principalOf(request), { id: request.params.token_id })
  return rotatedTokenBody(token, secret)
}

export const postAPITokensRevokeSdkPath: OperationHandler<'postAPITokensRevokeSdkPath'> = async function (request) {
  await this.services.tokens.revokeFor(principalOf(request), { id: request.params.token_id })
  return { status: 'revoked' }
}
