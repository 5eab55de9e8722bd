/**
 * Socket's org-token scope vocabulary: every scope the `scopes` enum of Socket's
 * `POST /orgs/{org_slug}/api-tokens` accepts, in that enum's order. A token may carry any of them;
 * the operations of this server require only some (`repo:*`, `repo-label:*`, `security-policy:*`,
 * `license-policy:*`, `api-tokens:*`, `audit-log:*`), and a token without those is refused them
 * (403) while `/quota` and `/organizations`, which need no scope, still answer. The list is checked
 * against openapi/ by test/scopes.test.ts.
 *
 * An umbrella scope (`repo`, `api-tokens`, …: the part before the colon) grants every
 * `<umbrella>:<action>` scope under it, as on Socket; `*` grants every scope.
 */
export const knownScopes = [
  'alerts',
  'alerts:list',
  'alerts:trend',
  'alert-resolution',
  'alert-resolution:list',
  'alert-resolution:create',
  'alert-resolution:read',
  'alert-resolution:delete',
  'threat-campaigns',
  'threat-campaigns:list',
  'api-tokens',
  'api-tokens:create',
  'api-tokens:update',
  'api-tokens:revoke',
  'api-tokens:rotate',
  'api-tokens:list',
  'audit-log',
  'audit-log:list',
  'dependencies',
  'dependencies:list',
  'dependencies:trend',
  'fixes',
  'fixes:list',
  'full-scans',
  'full-scans:list',
  'full-scans:create',
  'full-scans:delete',
  'diff-scans',
  'diff-scans:list',
  'diff-scans:create',
  'diff-scans:delete',
  'entitlements',
  'entitlements:list',
  'historical',
  'historical:snapshots-list',
  'historical:snapshots-start',
  'historical:alerts-list',
  'historical:alerts-trend',
  'historical:dependencies-list',
  'historical:dependencies-trend',
  'integration',
  'integration:list',
  'integration:create',
  'integration:update',
  'integration:delete',
  'access-policy',
  'access-policy:read',
  'access-policy:attach',
  'access-policy:update',
  'license-policy',
  'license-policy:update',
  'license-policy:read',
  'packages',
  'packages:list',
  'access-policy-definition',
  'access-policy-definition:attach',
  'access-policy-definition:read',
  'access-policy-definition:update',
  'report',
  'report:list',
  'report:read',
  'report:write',
  'repo',
  'repo:list',
  'repo:create',
  'repo:update',
  'repo:delete',
  'repo-label',
  'repo-label:list',
  'repo-label:create',
  'repo-label:update',
  'repo-label:delete',
  'security-policy',
  'security-policy:update',
  'security-policy:read',
  'socket-basics',
  'socket-basics:read',
  'telemetry-policy',
  'telemetry-policy:update',
  'telemetry-events',
  'telemetry-events:list',
  'threat-feed',
  'threat-feed:list',
  'triage',
  'triage:alerts-list',
  'triage:alerts-update',
  'uploaded-artifacts',
  'uploaded-artifacts:create',
  'uploaded-artifacts:list',
  'webhooks',
  'webhooks:create',
  'webhooks:list',
  'webhooks:update',
  'webhooks:delete',
  'openid',
  'profile',
  'email',
  '*',
] as const

export type Scope = (typeof knownScopes)[number]

/** The scope that grants every other. */
export const WILDCARD_SCOPE = '*'

/**
 * What a token gets when none are named (admin CLI, bootstrap, fixtures): the umbrellas of every
 * family of operations this server serves.
 */
export const allScopes: readonly Scope[] = [
  'repo',
  'repo-label',
  'security-policy',
  'license-policy',
  'api-tokens',
  'audit-log',
  'full-scans',
  'diff-scans',
]

const known: ReadonlySet<string> = new Set(knownScopes)

export function isKnownScope(scope: string): scope is Scope {
  return known.has(scope)
}

/** True when `granted` holds `required` itself, the umbrella above it, or `*`. */
export function grants(granted: readonly string[], required: string): boolean {
  if (granted.includes(required) || granted.includes(WILDCARD_SCOPE)) return true
  const colon = required.indexOf(':')
  return colon > 0 && granted.includes(required.slice(0, colon))
}

/** The scopes of `requested` that `granted` does not cover (a token may hand out only what it holds). */
export function scopesBeyond(granted: readonly string[], requested: readonly string[]): string[] {
  return requested.filter((scope) => !grants(granted, scope))
}
