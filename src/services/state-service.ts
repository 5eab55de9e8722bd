import { z } from 'zod'
import type { IssueRules, OrgState, RepoState, StateSnapshot } from '../db/models.js'
import type { OrgRepository, StateRepository } from '../db/types.js'
import { alertTypes } from './alert-types.js'
import { ConflictError, NotFoundError } from './errors.js'
import {
  alertType,
  anyText,
  branchName,
  id,
  issueAction,
  issueRulesPolicyDefault,
  labelName,
  licensePolicy,
  line,
  orgFields,
  orgSlug,
  quotaUnits,
  repoDefaults,
  repoSlug,
  repoStoredFields,
  scanFilePath,
  scanType,
  scopes,
  thresholdMs,
  tokenName,
  tokenValue,
  workspace,
} from './field-rules.js'
import { readArtifacts } from './manifest-parsers.js'
import { allScopes } from './scopes.js'
import { hashToken, TOKEN_PREFIX } from './token-service.js'
import { parseOrThrow } from './validation.js'

/**
 * The fixture format: what `seed`/`import` read and `export` writes (JSON or YAML). Field names
 * follow the API's (snake_case for repos, Socket's keys for label settings). See docs/fixtures.md.
 */

const timestamp = z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso))

const tokenFixture = z
  .object({
    id: id.optional(),
    token: tokenValue.optional(),
    token_hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'token_hash is a SHA-256 in hex')
      .optional(),
    token_prefix: line('token_prefix', 64).optional(),
    name: tokenName.default(''),
    scopes: scopes.default([...allScopes]),
    max_quota: quotaUnits.default(1000),
    created_at: timestamp.optional(),
    revoked_at: timestamp.nullable().default(null),
    group_uuid: z.uuid().optional(),
    visibility: z.enum(['admin', 'organization']).default('organization'),
    committers: z
      .array(
        z
          .object({
            email: z.string().optional(),
            provider: z.enum(['api', 'azure', 'bitbucket', 'github', 'gitlab']).optional(),
            providerLoginName: z.string().optional(),
            providerUserId: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .refine((t) => (t.token === undefined) !== (t.token_hash === undefined), {
    message: 'a token needs exactly one of token or token_hash',
  })

/** Fixture keys are the API's: snake_case. */
const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
type RepoField = keyof typeof repoStoredFields
const repoFieldNames = Object.keys(repoStoredFields) as RepoField[]

type Fields = Record<string, unknown>
/** A repo as exports write it: the fields of `repoStoredFields`, snake_case, around its id, slug and times. */
type RepoFixtureOutput = { id: string | undefined; slug: string; created_at?: string; updated_at?: string } & Fields

// Built from the repo field rules: a field added there is a fixture field too, with the API's default.
const repoFixture = z.object({
  id: id.optional(),
  slug: repoSlug,
  ...(Object.fromEntries(
    repoFieldNames.map((field) => {
      const rule: z.ZodType = repoStoredFields[field]
      return [snakeCase(field), field in repoDefaults ? rule.default(repoDefaults[field as never]) : rule.optional()]
    }),
  ) as Record<string, z.ZodType>),
  created_at: timestamp.optional(),
  updated_at: timestamp.optional(),
})

const repoReference = z.union([
  repoSlug.transform((slug) => ({ slug, workspace: '' })),
  z.object({ slug: repoSlug, workspace }),
])

const labelFixture = z.object({
  id: id.optional(),
  name: labelName,
  repositories: z.array(repoReference).default([]),
  settings: z
    .object({
      issueRules: z
        .record(alertType, z.object({ action: issueAction }).strict())
        .nullable()
        .default(null),
      issueRulesPolicyDefault: issueRulesPolicyDefault.nullable().default(null),
      licensePolicy: licensePolicy.nullable().default(null),
      recentlyPublishedThresholdMs: thresholdMs.nullable().default(null),
    })
    .strict()
    .default({
      issueRules: null,
      issueRulesPolicyDefault: null,
      licensePolicy: null,
      recentlyPublishedThresholdMs: null,
    }),
  created_at: timestamp.optional(),
  updated_at: timestamp.optional(),
})

// A full scan: its repo, the API's fields, and its files (base64); the packages are read again from the files.
const fullScanFixture = z.object({
  id: id.optional(),
  repository: repoReference,
  branch: branchName.nullable().default(null),
  commit_message: anyText('commit_message', 100_000).nullable().default(null),
  commit_hash: line('commit_hash', 200).nullable().default(null),
  pull_request: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullable().default(null),
  committers: z.array(line('committers', 1000)).max(1000).default([]),
  integration_type: z.enum(['api', 'github', 'gitlab', 'bitbucket', 'azure', 'web']).default('api'),
  integration_org_slug: line('integration_org_slug', 200).nullable().default(null),
  scan_type: scanType.default('socket'),
  tmp: z.boolean().default(false),
  files: z
    .array(z.object({ path: scanFilePath, content_base64: z.base64() }).strict())
    .max(10_000)
    .default([]),
  created_at: timestamp.optional(),
  updated_at: timestamp.optional(),
})

// A diff scan: the two full scans it compares, by their ids in the same org of the fixture.
const diffScanFixture = z
  .object({
    id: z.uuid().optional(),
    before_full_scan_id: id,
    after_full_scan_id: id,
    description: anyText('description', 100_000).nullable().default(null),
    external_href: line('external_href', 2048).nullable().default(null),
    merge: z.boolean().default(false),
    created_at: timestamp.optional(),
    updated_at: timestamp.optional(),
  })
  .strict()

const orgFixture = z.object({
  id: id.optional(),
  slug: orgSlug,
  name: orgFields.name.optional(),
  image: orgFields.image.default(null),
  plan: orgFields.plan.default('enterprise'),
  created_at: timestamp.optional(),
  tokens: z.array(tokenFixture).default([]),
  repos: z.array(repoFixture).default([]),
  labels: z.array(labelFixture).default([]),
  // The org's own policy (docs/org-policies.md); absent: the defaults.
  security_policy: z
    .object({
      default: z.enum(['default', 'low', 'medium', 'high']).default('default'),
      rules: z.partialRecord(z.enum(alertTypes), z.object({ action: issueAction }).strict()).default({}),
    })
    .strict()
    .optional(),
  license_policy: z
    .object({
      allow: z.array(z.string()).optional(),
      warn: z.array(z.string()).optional(),
      options: z.array(z.enum(['toplevelOnly', 'applyToUnidentified'])).optional(),
    })
    .strict()
    .optional(),
  full_scans: z.array(fullScanFixture).default([]),
  diff_scans: z.array(diffScanFixture).default([]),
})

export const fixtureSchema = z
  .object({
    version: z.literal(1).default(1),
    orgs: z.array(orgFixture).default([]),
  })
  .strict()

export type Fixture = z.input<typeof fixtureSchema>

function toSnapshot(fixture: z.output<typeof fixtureSchema>): StateSnapshot {
  return {
    orgs: fixture.orgs.map(
      (org): OrgState => ({
        ...(org.id === undefined ? {} : { id: org.id }),
        slug: org.slug,
        name: org.name === undefined ? org.slug : org.name,
        image: org.image,
        plan: org.plan,
        ...(org.created_at === undefined ? {} : { createdAt: org.created_at }),
        tokens: org.tokens.map((t) => ({
          ...(t.id === undefined ? {} : { id: t.id }),
          name: t.name,
          tokenHash: t.token_hash ?? hashToken(t.token ?? ''),
          tokenPrefix: t.token_prefix ?? (t.token ?? TOKEN_PREFIX).slice(0, TOKEN_PREFIX.length + 4),
          scopes: [...new Set(t.scopes)],
          maxQuota: t.max_quota,
          ...(t.created_at === undefined ? {} : { createdAt: t.created_at }),
          revokedAt: t.revoked_at,
          ...(t.group_uuid === undefined ? {} : { groupUuid: t.group_uuid }),
          visibility: t.visibility,
          committers: t.committers,
        })),
        ...(org.security_policy === undefined && org.license_policy === undefined
          ? {}
          : {
              policy: {
                securityPolicyDefault: org.security_policy?.default ?? 'default',
                securityPolicyRules: (org.security_policy?.rules ?? {}) as IssueRules,
                licensePolicy: org.license_policy ?? {},
              },
            }),
        repos: org.repos.map(
          (r) =>
            ({
              ...Object.fromEntries(repoFieldNames.map((field) => [field, (r as Fields)[snakeCase(field)]])),
              ...(r.id === undefined ? {} : { id: r.id }),
              slug: r.slug,
              name: (r as Fields).name ?? r.slug,
              ...(r.created_at === undefined ? {} : { createdAt: r.created_at }),
              ...(r.updated_at === undefined ? {} : { updatedAt: r.updated_at }),
            }) as RepoState,
        ),
        labels: org.labels.map((l) => ({
          ...(l.id === undefined ? {} : { id: l.id }),
          name: l.name,
          settings: l.settings,
          repositories: l.repositories,
          ...(l.created_at === undefined ? {} : { createdAt: l.created_at }),
          ...(l.updated_at === undefined ? {} : { updatedAt: l.updated_at }),
        })),
        fullScans: org.full_scans.map((scan) => {
          const files = scan.files.map((file) => ({
            path: file.path,
            content: Buffer.from(file.content_base64, 'base64'),
          }))
          return {
            ...(scan.id === undefined ? {} : { id: scan.id }),
            repository: scan.repository,
            branch: scan.branch,
            commitMessage: scan.commit_message,
            commitHash: scan.commit_hash,
            pullRequest: scan.pull_request,
            committers: scan.committers,
            integrationType: scan.integration_type,
            integrationOrgSlug: scan.integration_org_slug,
            scanType: scan.scan_type,
            tmp: scan.tmp,
            artifacts: readArtifacts(files),
            files,
            ...(scan.created_at === undefined ? {} : { createdAt: scan.created_at }),
            ...(scan.updated_at === undefined ? {} : { updatedAt: scan.updated_at }),
          }
        }),
        diffScans: org.diff_scans.map((diffScan) => ({
          ...(diffScan.id === undefined ? {} : { id: diffScan.id }),
          beforeScanId: diffScan.before_full_scan_id,
          afterScanId: diffScan.after_full_scan_id,
          description: diffScan.description,
          externalHref: diffScan.external_href,
          merge: diffScan.merge,
          ...(diffScan.created_at === undefined ? {} : { createdAt: diffScan.created_at }),
          ...(diffScan.updated_at === undefined ? {} : { updatedAt: diffScan.updated_at }),
        })),
      }),
    ),
  }
}

const iso = (ms: number) => new Date(ms).toISOString()

function toFixture(snapshot: StateSnapshot) {
  return {
    version: 1 as const,
    orgs: snapshot.orgs.map((org) => ({
      id: org.id,
      slug: org.slug,
      name: org.name,
      image: org.image,
      plan: org.plan,
      created_at: org.createdAt === undefined ? undefined : iso(org.createdAt),
      tokens: org.tokens.map((t) => ({
        id: t.id,
        name: t.name,
        token_hash: t.tokenHash,
        token_prefix: t.tokenPrefix,
        scopes: t.scopes,
        max_quota: t.maxQuota,
        created_at: t.createdAt === undefined ? undefined : iso(t.createdAt),
        revoked_at: t.revokedAt === null ? null : iso(t.revokedAt),
        group_uuid: t.groupUuid,
        visibility: t.visibility,
        committers: t.committers,
      })),
      ...(org.policy
        ? {
            security_policy: { default: org.policy.securityPolicyDefault, rules: org.policy.securityPolicyRules },
            license_policy: org.policy.licensePolicy,
          }
        : {}),
      repos: org.repos.map(
        (r): RepoFixtureOutput => ({
          id: r.id,
          slug: r.slug,
          ...Object.fromEntries(repoFieldNames.map((field) => [snakeCase(field), r[field]])),
          created_at: r.createdAt === undefined ? undefined : iso(r.createdAt),
          updated_at: r.updatedAt === undefined ? undefined : iso(r.updatedAt),
        }),
      ),
      labels: org.labels.map((l) => ({
        id: l.id,
        name: l.name,
        repositories: l.repositories.map((r) => (r.workspace === '' ? r.slug : r)),
        settings: l.settings,
        created_at: l.createdAt === undefined ? undefined : iso(l.createdAt),
        updated_at: l.updatedAt === undefined ? undefined : iso(l.updatedAt),
      })),
      full_scans: org.fullScans.map((scan) => ({
        id: scan.id,
        repository: scan.repository.workspace === '' ? scan.repository.slug : scan.repository,
        branch: scan.branch,
        commit_message: scan.commitMessage,
        commit_hash: scan.commitHash,
        pull_request: scan.pullRequest,
        committers: scan.committers,
        integration_type: scan.integrationType,
        integration_org_slug: scan.integrationOrgSlug,
        scan_type: scan.scanType,
        tmp: scan.tmp,
        files: scan.files.map((file) => ({ path: file.path, content_base64: file.content.toString('base64') })),
        created_at: scan.createdAt === undefined ? undefined : iso(scan.createdAt),
        updated_at: scan.updatedAt === undefined ? undefined : iso(scan.updatedAt),
      })),
      diff_scans: org.diffScans.map((diffScan) => ({
        id: diffScan.id,
        before_full_scan_id: diffScan.beforeScanId,
        after_full_scan_id: diffScan.afterScanId,
        description: diffScan.description,
        external_href: diffScan.externalHref,
        merge: diffScan.merge,
        created_at: diffScan.createdAt === undefined ? undefined : iso(diffScan.createdAt),
        updated_at: diffScan.updatedAt === undefined ? undefined : iso(diffScan.updatedAt),
      })),
    })),
  }
}

export type ExportedFixture = ReturnType<typeof toFixture>

/** What a reset removes; checked here, so the admin API, the CLI and createServer() all refuse the same. */
const resetOptions = z
  .strictObject({
    /** Only this org's repos and labels; otherwise every org's. */
    org: z.string().min(1, 'org must be an org slug').optional(),
    /** Everything: orgs and tokens too (an empty database). */
    everything: z.boolean().optional(),
  })
  .refine((o) => !(o.everything && o.org !== undefined), { message: 'give either org or everything, not both' })

export type ResetOptions = z.input<typeof resetOptions>

export function createStateService(deps: {
  state: StateRepository
  orgs: OrgRepository
  now: () => number
  /** Called before anything that replaces tokens or their quota in bulk (quota leases are given back first). */
  beforeTokensChange: () => Promise<void>
  /** Called after anything that removes or replaces tokens. */
  onTokensChanged: () => void
}) {
  const { state, orgs, now, beforeTokensChange, onTokensChanged } = deps

  async function apply(fixture: unknown, replace: boolean) {
    const parsed = parseOrThrow(fixtureSchema, fixture)
    if (replace) await beforeTokensChange()
    const result = await state.importState(toSnapshot(parsed), { replace }, now())
    if (!result.ok) throw new ConflictError(`Fixture not applied: ${result.conflict}`)
    if (replace) onTokensChanged()
    return result.counts
  }

  return {
    /** Adds a fixture's orgs (with their tokens, repos, labels) to what is there; all or nothing. */
    seed: (fixture: unknown) => apply(fixture, false),

    /** Replaces the whole state with a fixture (an export, typically); all or nothing. */
    import: (fixture: unknown) => apply(fixture, true),

    /** The whole state as a fixture; token values are never included, only their hashes (nor their quota use). */
    async export(): Promise<ExportedFixture> {
      return toFixture(await state.exportState())
    },

    async reset(input: ResetOptions = {}): Promise<void> {
      const options = parseOrThrow(resetOptions, input)
      await beforeTokensChange()
      if (options.everything) {
        await state.reset({ kind: 'everything' })
        onTokensChanged()
        return
      }
      let orgId: string | undefined
      if (options.org !== undefined) {
        const org = await orgs.findBySlug(options.org)
        if (!org) throw new NotFoundError(`Organization "${options.org}" not found`)
        orgId = org.id
      }
      await state.reset(orgId === undefined ? { kind: 'data' } : { kind: 'data', orgId })
    },
  }
}

export type StateService = ReturnType<typeof createStateService>
