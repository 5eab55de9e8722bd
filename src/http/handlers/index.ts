import { getOrganizations, getQuota } from './account.js'
import {
  associateOrgRepoLabel,
  createOrgRepoLabel,
  deleteOrgRepoLabel,
  deleteOrgRepoLabelSetting,
  disassociateOrgRepoLabel,
  getOrgRepoLabel,
  getOrgRepoLabelList,
  getOrgRepoLabelSetting,
  updateOrgRepoLabel,
  updateOrgRepoLabelSetting,
} from './labels.js'
import { createOrgRepo, deleteOrgRepo, getOrgRepo, getOrgRepoList, updateOrgRepo } from './repos.js'
import type { OperationHandlers } from './types.js'

export type { OperationId } from './types.js'

/** One handler per operationId of the spec; a missing one is a compile error. */
export const operationHandlers = {
  getOrgRepoList,
  createOrgRepo,
  getOrgRepo,
  updateOrgRepo,
  deleteOrgRepo,
  createOrgRepoLabel,
  getOrgRepoLabelList,
  getOrgRepoLabel,
  updateOrgRepoLabel,
  deleteOrgRepoLabel,
  associateOrgRepoLabel,
  disassociateOrgRepoLabel,
  getOrgRepoLabelSetting,
  updateOrgRepoLabelSetting,
  deleteOrgRepoLabelSetting,
  getQuota,
  getOrganizations,
} satisfies OperationHandlers
