/** Where a token's quota stands: what the X-RateLimit-* headers, GET /quota and a 429's details report. */
export interface QuotaStatus {
  /** max_quota of the token. */
  limit: number
  remaining: number
  /** When the running window ends (epoch ms); null when no window is running. */
  resetsAt: number | null
}

/** Socket's body of a quota (GET /quota, and the details of a 429). */
export function quotaDetails(status: QuotaStatus) {
  return {
    quota: status.remaining,
    maxQuota: status.limit,
    nextWindowRefresh: status.resetsAt === null ? null : new Date(status.resetsAt).toISOString(),
  }
}
