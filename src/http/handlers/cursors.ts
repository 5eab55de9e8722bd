import { InvalidInputError } from '../../services/errors.js'

/** An opaque page cursor: an encoded offset (full-scan and diff-scan lists). */
export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url')
}

/** The offset of a cursor this server handed out; anything else is a 400 naming the parameter. */
export function decodeCursor(cursor: string, parameter: string): number {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { offset?: unknown }
    if (typeof value.offset === 'number' && Number.isSafeInteger(value.offset) && value.offset >= 0) return value.offset
  } catch {}
  throw new InvalidInputError(`Invalid ${parameter}`, { [parameter]: cursor })
}
