/**
 * What a request is authenticated as: the slice of a token that authorization and quota need. Its own
 * module, so that the token service (which makes principals) and the quota service (which spends for
 * them) need not import each other.
 */
export interface Principal {
  tokenId: string
  /** The token's name (never its value), for the request journal and as the audit log's actor. */
  tokenName: string
  orgId: string
  orgSlug: string
  scopes: readonly string[]
  maxQuota: number
}
