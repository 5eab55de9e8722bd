import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { z } from 'zod'
import { errorBody } from './error-handler.js'

/**
 * Opt-in fault and latency injection, driven through the admin API: a rule delays, or answers
 * with a forced status, the requests of the operations and orgs it matches — so users can test
 * their clients' retry paths. Rules live in memory and vanish with the process.
 */

declare module 'fastify' {
  interface FastifyInstance {
    /** Injected faults, consulted by every operation route; managed through /_admin/faults. */
    faults: FaultRegistry
  }
}

/** A fault rule as the admin API accepts it; `operationIds` are the spec's, any other is refused. */
export const faultRuleInput = (operationIds: readonly string[]) =>
  z
    .object({
      /** Only this operationId; any when absent. */
      operationId: z
        .string()
        .refine((id) => operationIds.includes(id), { error: (i) => `unknown operationId "${String(i.input)}"` })
        .optional(),
      /** Only requests for this org slug; any when absent. */
      org: z.string().min(1).optional(),
      /** Added latency before the request is handled, in ms. */
      delayMs: z.number().int().min(0).max(60_000).default(0),
      /** Answer with this status (Socket's error body) instead of handling the request. */
      status: z.number().int().min(400).max(599).optional(),
      message: z.string().max(500).optional(),
      /** Applies this many times, then disappears; forever when absent. */
      times: z.number().int().min(1).optional(),
    })
    .strict()
    .refine((rule) => rule.delayMs > 0 || rule.status !== undefined, { message: 'a fault needs delayMs or status' })

export type FaultRuleInput = z.input<ReturnType<typeof faultRuleInput>>

export interface FaultRule {
  id: string
  operationId?: string
  org?: string
  delayMs: number
  status?: number
  message?: string
  /** Applications left; undefined for unlimited. */
  remaining?: number
}

export function createFaultRegistry() {
  let rules: FaultRule[] = []
  return {
    add(input: z.output<ReturnType<typeof faultRuleInput>>): FaultRule {
      const rule: FaultRule = { id: randomUUID(), delayMs: input.delayMs }
      if (input.operationId !== undefined) rule.operationId = input.operationId
      if (input.org !== undefined) rule.org = input.org
      if (input.status !== undefined) rule.status = input.status
      if (input.message !== undefined) rule.message = input.message
      if (input.times !== undefined) rule.remaining = input.times
      rules.push(rule)
      return rule
    },
    list(): FaultRule[] {
      return rules.map((rule) => ({ ...rule }))
    },
    remove(id: string): boolean {
      const before = rules.length
      rules = rules.filter((rule) => rule.id !== id)
      return rules.length < before
    },
    clear(): void {
      rules = []
    },
    /** The first rule matching the request, consuming one of its applications. */
    take(operationId: string, org: string | undefined): FaultRule | undefined {
      const rule = rules.find(
        (r) => (r.operationId === undefined || r.operationId === operationId) && (r.org === undefined || r.org === org),
      )
      if (!rule) return undefined
      if (rule.remaining !== undefined) {
        rule.remaining--
        if (rule.remaining <= 0) rules = rules.filter((r) => r !== rule)
      }
      return { ...rule }
    },
    get size(): number {
      return rules.length
    },
  }
}

export type FaultRegistry = ReturnType<typeof createFaultRegistry>

/**
 * The registry, and the hook that applies it: an app-wide onRequest hook, so it runs before an operation's
 * own steps (security, quota) and a fault answers whatever the credentials, spending no quota. With no rule
 * registered — always, unless the admin API added one — the hook is one size check.
 */
async function faultsPlugin(fastify: FastifyInstance) {
  const faults = createFaultRegistry()
  fastify.decorate('faults', faults)

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (faults.size === 0) return done()
    const operationId = request.routeOptions.config.operationId
    const fault =
      operationId === undefined
        ? undefined
        : faults.take(operationId, (request.params as { org_slug?: string }).org_slug)
    if (!fault) return done()
    const apply = () => {
      if (fault.status === undefined) return done()
      reply.header('x-injected-fault', fault.id)
      if (fault.status === 429 || fault.status === 503) reply.header('retry-after', '1')
      reply.code(fault.status).send(errorBody(fault.message ?? 'Injected fault'))
    }
    if (fault.delayMs > 0) setTimeout(apply, fault.delayMs)
    else apply()
  })
}

export default fp(faultsPlugin, {
  name: 'faults',
  fastify: '5.x',
  // After observability: its request-id hook runs first, so a fault's answer carries X-Request-Id too.
  dependencies: ['error-handler', 'observability'],
})
