import { getOrganizations, getQuota } from './account.js'
import {
  getAPITokens,
  getAPITokensSdkPath,
  postAPIToken,
  postAPITokenSdkPath,
  postAPITokensRevoke,
  postAPITokensRevokeSdkPath,
  postAPITokensRotate,
  postAPITokensRotateSdkPath,
  postAPITokenUpdate,
  postAPITokenUpdateSdkPath,
} from './api-tokens.js'
import {
  createOrgDiffScanFromIds,
  deleteOrgDiffScan,
  GetOrgDiffScan,
  getDiffScanById,
  listOrgDiffScans,
} from './diff-scans.js'
import {
  CreateOrgFullScan,
  deleteOrgFullScan,
  getOrgFullScan,
  getOrgFullScanList,
  getOrgFullScanMetadata,
} from './full-scans.js'
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
import {
  getAuditLogEvents,
  getOrgLicensePolicy,
  getOrgSecurityPolicy,
  getRepoEffectivePolicy,
  updateOrgLicensePolicy,
  updateOrgSecurityPolicy,
} from './org-settings.js'
import { createOrgRepo, deleteOrgRepo, getOrgRepo, getOrgRepoList, updateOrgRepo } from './repos.js'
import { getReportSupportedFiles, getSupportedFiles } from './supported-files.js'
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
  getOrgSecurityPolicy,
  updateOrgSecurityPolicy,
  getOrgLicensePolicy,
  updateOrgLicensePolicy,
  getAuditLogEvents,
  postAPIToken,
  getAPITokens,
  postAPITokenUpdate,
  postAPITokensRotate,
  postAPITokensRevoke,
  // Extensions (x-socket-repos-extension): SDK 4.0.1's token paths, the effective policy of a repo.
  postAPITokenSdkPath,
  getAPITokensSdkPath,
  postAPITokenUpdateSdkPath,
  postAPITokensRotateSdkPath,
  postAPITokensRevokeSdkPath,
  getRepoEffectivePolicy,
  getReportSupportedFiles,
  getSupportedFiles,
  getOrgFullScanList,
  CreateOrgFullScan,
  getOrgFullScan,
  deleteOrgFullScan,
  getOrgFullScanMetadata,
  GetOrgDiffScan,
  listOrgDiffScans,
  createOrgDiffScanFromIds,
  getDiffScanById,
  deleteOrgDiffScan,
} satisfies OperationHandlers
