import { z } from 'zod'
import type { Org } from '../db/models.js'
import type { OrgRepository } from '../db/types.js'
import { ConflictError, NotFoundError, refuseWhenIdsExhausted } from './errors.js'
import { orgFields, orgSlug } from './field-rules.js'
import { parseOrThrow } from './validation.js'

const orgInput = z.object({
  slug: orgSlug,
  name: orgFields.name.optional(),
  plan: orgFields.plan.optional(),
  image: orgFields.image.optional(),
})

export type CreateOrgInput = z.input<typeof orgInput>

export function createOrgService(deps: { orgs: OrgRepository; now: () => number }) {
  const { orgs, now } = deps
  return {
    async create(input: CreateOrgInput): Promise<Org> {
      const data = parseOrThrow(orgInput, input)
      const org = await refuseWhenIdsExhausted(
        orgs.create(
          { slug: data.slug, name: data.name ?? data.slug, plan: data.plan, image: data.image ?? null },
          now(),
        ),
      )
      if (!org) throw new ConflictError(`Organization "${data.slug}" already exists`)
      return org
    },

    async get(slug: string): Promise<Org> {
      const org = await orgs.findBySlug(slug)
      if (!org) throw new NotFoundError(`Organization "${slug}" not found`)
      return org
    },

    async findBySlug(slug: string): Promise<Org | undefined> {
      return orgs.findBySlug(slug)
    },

    async findById(id: string): Promise<Org | undefined> {
      return orgs.findById(id)
    },

    list(): Promise<Org[]> {
      return orgs.list()
    },

    async count(): Promise<number> {
      return orgs.count()
    },

    /** Deletes the org and everything in it: tokens, repos, labels, associations. */
    async delete(slug: string): Promise<void> {
      if (!(await orgs.deleteBySlug(slug))) throw new NotFoundError(`Organization "${slug}" not found`)
    },
  }
}

export type OrgService = ReturnType<typeof createOrgService>
