import { supportedFiles } from '../../services/supported-files.js'
import type { OperationHandler } from './types.js'

/** Deprecated and unauthenticated in Socket's spec (`security: []`); the Python scanner still calls it. */
export const getReportSupportedFiles: OperationHandler<'getReportSupportedFiles'> = async () => supportedFiles

export const getSupportedFiles: OperationHandler<'getSupportedFiles'> = async () => supportedFiles
