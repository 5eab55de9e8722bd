/**
 * Org-token scopes of the Repos API. An umbrella scope (`repo`, `repo-label`) grants every
 * `<umbrella>:<action>` scope under it, as on Socket.
 */
export const leafScopes = [
  'repo:list',
  'repo:create',
  'repo:update',
  'repo:delete',
  'repo-label:list',
  'repo-label:create',
  'repo-label:update',
  'repo-label:delete',
] as const

export const umbrellaScopes = ['repo', 'repo-label'] as const

export const knownScopes: readonly string[] = [...umbrellaScopes, ...leafScopes]

/** What a token gets when none are named: everything this API knows. */
export const allScopes: readonly string[] = [...umbrellaScopes]

export function isKnownScope(scope: string): boolean {
  return knownScopes.includes(scope)
}

/** True when `granted` holds `required` itself or the umbrella above it. */
export function grants(granted: readonly string[], required: string): boolean {
  if (granted.includes(required)) return true
  const colon = required.indexOf(':')
  return colon > 0 && granted.includes(required.slice(0, colon))
}
