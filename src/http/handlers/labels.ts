import type { LabelSettings } from '../../db/models.js'
import { actorOf } from '../../services/token-service.js'
import { labelBody } from '../presenters.js'
import { created, type OperationHandler, principalOf, type ResponseBody } from './types.js'

export const createOrgRepoLabel: OperationHandler<'createOrgRepoLabel'> = async function (request) {
  const principal = principalOf(request)
  const label = await this.services.labels.create(principal.orgId, request.body?.name ?? '', actorOf(principal))
  return created(labelBody(label))
}

/** A page of the org's labels; answered from the list cache while they are unchanged (plugins/list-cache.ts). */
export const getOrgRepoLabelList: OperationHandler<'getOrgRepoLabelList'> = async function (request) {
  const { labels, nextPage } = await this.services.labels.list(
    principalOf(request).orgId,
    request.query.page ?? 1,
    request.query.per_page ?? 30,
  )
  return { results: labels.map(labelBody), nextPage }
}

export const getOrgRepoLabel: OperationHandler<'getOrgRepoLabel'> = async function (request) {
  return labelBody(await this.services.labels.get(principalOf(request).orgId, request.params.label_id))
}

export const updateOrgRepoLabel: OperationHandler<'updateOrgRepoLabel'> = async function (request) {
  const principal = principalOf(request)
  const label = await this.services.labels.rename(
    principal.orgId,
    request.params.label_id,
    request.body?.name ?? '',
    actorOf(principal),
  )
  return labelBody(label)
}

export const deleteOrgRepoLabel: OperationHandler<'deleteOrgRepoLabel'> = async function (request) {
  const principal = principalOf(request)
  await this.services.labels.delete(principal.orgId, request.params.label_id, actorOf(principal))
  return { status: 'ok' }
}

export const associateOrgRepoLabel: OperationHandler<'associateOrgRepoLabel'> = async function (request) {
  const principal = principalOf(request)
  await this.services.labels.associate(
    principal.orgId,
    request.params.label_id,
    request.body?.repository_id,
    actorOf(principal),
  )
  return { status: 'ok' }
}

export const disassociateOrgRepoLabel: OperationHandler<'disassociateOrgRepoLabel'> = async function (request) {
  const principal = principalOf(request)
  await this.services.labels.disassociate(
    principal.orgId,
    request.params.label_id,
    request.body?.repository_id,
    actorOf(principal),
  )
  return { status: 'ok' }
}

export const getOrgRepoLabelSetting: OperationHandler<'getOrgRepoLabelSetting'> = async function (request) {
  const { key, value } = await this.services.labels.getSetting(
    principalOf(request).orgId,
    request.params.label_id,
    request.query.setting_key,
  )
  // Only the key asked for, null when unset.
  return { [key]: value } as ResponseBody<'getOrgRepoLabelSetting', 200>
}

export const updateOrgRepoLabelSetting: OperationHandler<'updateOrgRepoLabelSetting'> = async function (request) {
  const principal = principalOf(request)
  await this.services.labels.updateSettings(
    principal.orgId,
    request.params.label_id,
    (request.body ?? {}) as Partial<LabelSettings>,
    actorOf(principal),
  )
  return { status: 'ok' }
}

export const deleteOrgRepoLabelSetting: OperationHandler<'deleteOrgRepoLabelSetting'> = async function (request) {
  const principal = principalOf(request)
  await this.services.labels.deleteSetting(
    principal.orgId,
    request.params.label_id,
    request.query.setting_key,
    actorOf(principal),
  )
  return { status: 'ok' }
}
