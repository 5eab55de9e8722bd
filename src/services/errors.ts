import { IdsExhaustedError } from '../db/ids.js'
import { isForeignKeyError, isUnavailableError } from '../db/index.js'
import { type QuotaStatus, quotaDetails } from './quota-status.js'

/**
 * Domain errors. Services throw these; the HTTP error plugin maps each class to one status code
 * and Socket's `{"error":{"message","details"}}` body. Messages are shown to API users as they are.
 */
export abstract class DomainError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** 400: the request is well-formed JSON but breaks a rule of the API. */
export class InvalidInputError extends DomainError {}

/** 401: no usable credentials. */
export class UnauthorizedError extends DomainError {}

/** 403: authenticated, but not allowed. */
export class ForbiddenError extends DomainError {}

/** 404 */
export class NotFoundError extends DomainError {}

/** 409 */
export class ConflictError extends DomainError {}

/** 403: the token's max_quota is below the operation's cost, so it can never call it. */
export class MaxQuotaError extends ForbiddenError {}

/**
 * 429: the token's quota for the current window is spent. `quota` is where it stands (its details on
 * the wire); null for a max_quota refusal of an operation whose spec lists no 403 (details null).
 */
export class QuotaExceededError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    readonly quota: QuotaStatus | null = null,
  ) {
    super(message, quota === null ? null : quotaDetails(quota))
  }
}

/**
 * Whether an error means "try again shortly": SQLite stayed locked by another process (the admin
 * CLI, a backup) for longer than the busy timeout, or PostgreSQL is unreachable, restarting or did
 * not answer within the statement timeout. Nothing was acknowledged; it is a 503, not a 500.
 */
export const isTemporarilyUnavailable: (error: unknown) => boolean = isUnavailableError

/**
 * Awaits a create; the database having no exact id left for it (only ever after a fixture pinned
 * ids near 2^53, docs/ids-and-timestamps.md) is a ConflictError: nothing was written.
 */
export async function refuseWhenIdsExhausted<T>(create: Promise<T>): Promise<T> {
  try {
    return await create
  } catch (error) {
    if (error instanceof IdsExhaustedError) throw new ConflictError(`Cannot create: ${error.message}`)
    throw error
  }
}

/**
 * Whether an error is a write refused because the org it was for is gone: deleted by another process
 * (the admin CLI) while this one still held a cached verification of the org's token. With the org
 * went its tokens, so the request is answered as one with an unknown token (401), never a 500.
 */
export const isOrgGone: (error: unknown) => boolean = isForeignKeyError
