import { z } from 'zod'
import { MAX_ID, toRowId } from '../db/ids.js'
import { isKnownScope } from './scopes.js'

/**
 * The rule of every field, once. The API's services, the admin CLI (through the same services),
 * the admin API's fixtures and config.ts all build their schemas from these pieces, so a rule
 * cannot differ between the ways in. Text rules: docs/text-validation.md; ids and numbers:
 * docs/ids-and-timestamps.md.
 */

// ── Text ─────────────────────────────────────────────────────────────────────────────────────────

/** A UTF-16 surrogate not part of a pair: not a character, and not storable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udfff]/u
/** C0 controls and DEL, U+0000–U+001F and U+007F. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/
/** The same but tab, line feed and carriage return, which multi-line free text may hold. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

/** Whether a string is valid Unicode text (no lone surrogates). */
export const isWellFormedText = (value: string): boolean => !LONE_SURROGATE.test(value)

/** Any text: well-formed, at most `max` UTF-16 code units. */
export const text = (field: string, max: number) =>
  z
    .string()
    .max(max, `${field} must be at most ${max} characters`)
    .refine(isWellFormedText, { message: `${field} must be valid Unicode text (no lone surrogates)` })

/** One line of text, as names, slugs and workspaces are: no control characters at all. */
export const line = (field: string, max: number) =>
  text(field, max).refine((value) => !CONTROL.test(value), {
    message: `${field} must not contain control characters (U+0000–U+001F, U+007F)`,
  })

/** Free text (descriptions): tab, line feed and carriage return allowed, no other control character. */
export const freeText = (field: string, max: number) =>
  text(field, max).refine((value) => !CONTROL_BUT_LINE_BREAKS.test(value), {
    message: `${field} must not contain control characters other than tab, line feed and carriage return`,
  })

/**
 * Free-form text that may hold any character but U+0000 (commit messages, diff scan descriptions):
 * PostgreSQL text cannot hold NUL, so neither engine stores one (docs/text-validation.md).
 */
export const anyText = (field: string, max: number) =>
  text(field, max).refine((value) => !value.includes('\u0000'), {
    message: `${field} must not contain the NUL character (U+0000)`,
  })

// ── Slugs ────────────────────────────────────────────────────────────────────────────────────────

export const SLUG_MAX_LENGTH = 100
export const SLUG_CHARACTERS = /^[A-Za-z0-9._-]+$/
/** Slugs that exist as path segments of their own: `/repos/labels` is the label API, `.`/`..` are path dots. */
export const RESERVED_REPO_SLUGS: ReadonlySet<string> = new Set(['labels', '.', '..'])
/** An org slug is a path segment too, but nothing else lives beside it. */
export const RESERVED_ORG_SLUGS: ReadonlySet<string> = new Set(['.', '..'])

const slug = (field: string, reserved: ReadonlySet<string>) =>
  z
    .string()
    .min(1, `${field} must not be empty`)
    .max(SLUG_MAX_LENGTH, `${field} must be at most ${SLUG_MAX_LENGTH} characters`)
    .regex(SLUG_CHARACTERS, `${field} may contain only ASCII letters, digits, ".", "-" and "_"`)
    .refine((s) => !reserved.has(s), { message: `${field} is reserved` })

export const repoSlug = slug('slug', RESERVED_REPO_SLUGS)
export const orgSlug = slug('org slug', RESERVED_ORG_SLUGS)

/**
 * Derives a slug from a display name: every run of characters a slug cannot hold becomes one "-",
 * dashes at either end are dropped, and the result is cut to the slug length limit.
 */
export function deriveSlug(name: string): string {
  return name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX_LENGTH)
    .replace(/-+$/, '')
}

// ── Numbers and ids ──────────────────────────────────────────────────────────────────────────────

/** An id as the API and fixtures write it: a positive integer in a string, one the database stores exactly. */
export const id = z.string().refine((s) => toRowId(s) !== undefined, {
  message: `ids are positive integers written as strings, at most ${MAX_ID}`,
})

/** A count of quota units: a safe integer ≥ 0 (zod's `int` refuses NaN, ±Infinity and anything beyond 2^53 − 1). */
export const quotaUnits = z.int().min(0)

/** `recentlyPublishedThresholdMs`: milliseconds, a safe integer ≥ 0 (the spec says `minimum: 0`). */
export const thresholdMs = z.int().min(0)

// ── Repos ────────────────────────────────────────────────────────────────────────────────────────

export const workspace = line('workspace', 100)

/** The repo fields the API sets, keyed as the services take them. */
export const repoFields = {
  name: line('name', 1000),
  description: freeText('description', 10_000).nullable(),
  homepage: line('homepage', 2048).nullable(),
  visibility: z.enum(['public', 'private']),
  archived: z.boolean(),
  defaultBranch: line('default_branch', 255).nullable(),
  workspace,
}

/** Fields only fixtures set. */
export const headFullScanId = line('head_full_scan_id', 200).nullable()

export const integrationMeta = z
  .object({
    type: z.literal('github').optional(),
    value: z
      .object({
        installation_id: line('installation_id', 200),
        installation_login: line('installation_login', 200),
        repo_name: line('repo_name', 1000).nullable(),
        repo_id: line('repo_id', 200).nullable(),
      })
      .optional(),
  })
  .nullable()

/** Every stored repo field but its slug, id and times: what the API sets, and what only fixtures may. */
export const repoStoredFields = { ...repoFields, headFullScanId, integrationMeta }

/** What a repo created without them gets, through the API or a fixture (`name` defaults to the slug). */
export const repoDefaults = {
  description: '',
  homepage: '',
  visibility: 'private',
  archived: false,
  defaultBranch: 'main',
  workspace: '',
  headFullScanId: null,
  integrationMeta: null,
} as const satisfies { [K in keyof typeof repoStoredFields]?: z.output<(typeof repoStoredFields)[K]> }

// ── Labels ───────────────────────────────────────────────────────────────────────────────────────

/** Socket: "Label names must be non-empty and less than 1000 characters." */
export const labelName = z
  .string()
  .max(999, 'Label name must be less than 1000 characters')
  .refine((name) => name.trim().length > 0, { message: 'Label name must be non-empty' })
  .pipe(line('Label name', 999))

export const issueAction = z.enum(['defer', 'error', 'warn', 'monitor', 'ignore'])
export const issueRulesPolicyDefault = z.enum(['default', 'low', 'medium', 'high'])
export const alertType = z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'an alert type is ASCII letters and digits')

/** Free-form policies (licensePolicy) are stored and served as JSON; nesting is bounded so both stay safe. */
export const MAX_POLICY_DEPTH = 32

/**
 * What no JSON value the server accepts may hold, anywhere (keys included): a number that is not
 * finite (`1e309` parses as Infinity, which JSON cannot write back) or a lone surrogate. Returns a
 * message naming the first problem and where it is, or undefined. Iterative: no input overflows the stack.
 */
export function jsonValueProblem(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']]
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [current, path] = entry
    if (typeof current === 'number' && !Number.isFinite(current)) {
      return `${path || 'the body'} must be a finite number (got ${current})`
    }
    if (typeof current === 'string' && !isWellFormedText(current)) {
      return `${path || 'the body'} must be valid Unicode text (no lone surrogates)`
    }
    if (typeof current !== 'object' || current === null) continue
    for (const [key, child] of Object.entries(current)) {
      if (!isWellFormedText(key))
        return `the key ${JSON.stringify(key)} must be valid Unicode text (no lone surrogates)`
      stack.push([child, path ? `${path}.${key}` : key])
    }
  }
  return undefined
}

/** Whether a JSON value nests deeper than `limit` objects/arrays; iterative, so no input can overflow the stack. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [current, depth] = entry
    if (typeof current !== 'object' || current === null) continue
    if (depth + 1 > limit) return true
    for (const child of Object.values(current)) stack.push([child, depth + 1])
  }
  return false
}

export const licensePolicy = z
  .record(z.string(), z.unknown())
  .refine((policy) => !nestsDeeperThan(policy, MAX_POLICY_DEPTH), {
    message: `licensePolicy must not nest deeper than ${MAX_POLICY_DEPTH} levels`,
  })
  .superRefine((policy, ctx) => {
    const problem = jsonValueProblem(policy)
    if (problem) ctx.addIssue({ code: 'custom', message: `licensePolicy: ${problem}` })
  })

// ── Orgs and tokens ──────────────────────────────────────────────────────────────────────────────

export const orgFields = {
  name: line('name', 200).nullable(),
  plan: line('plan', 50).min(1, 'plan must not be empty'),
  image: line('image', 2048).nullable(),
}

export const TOKEN_MIN_LENGTH = 16
export const TOKEN_MAX_LENGTH = 512

/** A token value given by an operator (bootstrap, CLI, fixtures): printable ASCII, no spaces. */
export const tokenValue = z
  .string()
  .min(TOKEN_MIN_LENGTH, `a token must be at least ${TOKEN_MIN_LENGTH} characters`)
  .max(TOKEN_MAX_LENGTH, `a token must be at most ${TOKEN_MAX_LENGTH} characters`)
  .regex(/^[\x21-\x7e]+$/, 'a token must be printable ASCII without spaces')
  .regex(
    /^[^:]+$/,
    'a token must not contain ":" (Basic auth, as Socket\'s clients send it, ends the user at the first ":")',
  )

export const tokenName = line('token name', 200)

export const scope = z.string().refine(isKnownScope, { error: (issue) => `unknown scope "${String(issue.input)}"` })

export const scopes = z.array(scope).min(1, 'at least one scope is required')

// ── Full scans ───────────────────────────────────────────────────────────────────────────────────

/** Git's branch name rules, as Socket's spec states them for a full scan's `branch`. */
export const branchName = line('branch', 255)
  .min(1, 'branch must not be empty')
  .refine((b) => b !== '@', { message: 'branch cannot be exactly "@"' })
  .refine((b) => !/^[/.]|[/.]$|\.lock$/.test(b), {
    message: 'branch cannot begin or end with "/" or ".", or end with ".lock"',
  })
  .refine((b) => !b.includes('//') && !b.includes('..') && !b.includes('@{'), {
    message: 'branch cannot contain "//", ".." or "@{"',
  })
  .refine((b) => !/[\s~^:?*[]/.test(b), { message: 'branch cannot contain spaces or any of ~^:?*[' })

export const scanType = line('scan_type', 32).min(1, 'scan_type must not be empty')

/**
 * The name of an uploaded file: a relative path inside the scanned directory. No absolute path, no
 * drive letter, no backslash, no `.` or `..` segment, no empty segment.
 */
export const scanFilePath = line('file name', 1024)
  .min(1, 'file name must not be empty')
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.includes('\\'), {
    message: 'file name must be a relative path',
  })
  .refine((p) => p.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..'), {
    message: 'file name must not contain empty, "." or ".." path segments',
  })
