import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifyInstance } from 'fastify'
import { type LoadedSpec, loadSpec, toJsonSchema } from '../../src/http/spec-loader.js'
import { specFormats } from '../../src/http/validators.js'

/**
 * The contract is tested, not trusted: every response an operation route sends in a test is
 * checked against `openapi/` — its status must be declared and its body must match the schema
 * (strictly: nothing dropped, nothing defaulted). Violations are collected and failed by the
 * `afterEach` in test/setup/contract.ts.
 */

export interface ContractViolation {
  operationId: string
  status: number
  problem: string
  body: string
}

export const violations: ContractViolation[] = []

/**
 * Statuses no operation can declare because they are not its answer but the transport's (the body
 * could not be read, the database is locked by another process): they must still be Socket's error body.
 */
const transportStatuses = new Set(['413', '415', '503'])
export const checkedResponses = { count: 0 }

let compiled: Promise<Map<string, Map<string, ValidateFunction>>> | undefined

async function validators(): Promise<Map<string, Map<string, ValidateFunction>>> {
  compiled ??= loadSpec().then((spec: LoadedSpec) => {
    const ajv = new Ajv({
      strict: false,
      allErrors: true,
      removeAdditional: false,
      useDefaults: false,
      formats: specFormats,
    })
    const byOperation = new Map<string, Map<string, ValidateFunction>>()
    for (const op of spec.operations) {
      const byStatus = new Map<string, ValidateFunction>()
      for (const [status, schema] of Object.entries(op.schema.response)) {
        byStatus.set(status, ajv.compile(toJsonSchema(schema as Record<string, unknown>)))
      }
      for (const [status, schema] of Object.entries(op.ndjsonResponses)) {
        byStatus.set(`${status}/ndjson`, ajv.compile(schema))
      }
      byOperation.set(op.operationId, byStatus)
    }
    return byOperation
  })
  return compiled
}

export function installContractCheck(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const operationId = request.routeOptions.config.operationId
    // Injected faults answer what the test asked for, on purpose outside the contract.
    if (!operationId || reply.hasHeader('x-injected-fault')) return payload
    const byStatus = (await validators()).get(operationId)
    const status = reply.statusCode
    const body = typeof payload === 'string' ? payload : String(payload ?? '')
    checkedResponses.count++
    // A streamed answer (NDJSON): every line must match the schema of a line.
    const validateLine = byStatus?.get(`${status}/ndjson`)
    if (validateLine) {
      for (const line of body.split('\n').filter((text) => text !== '')) {
        if (!validateLine(JSON.parse(line))) {
          violations.push({ operationId, status, problem: JSON.stringify(validateLine.errors), body: line })
        }
      }
      return payload
    }
    const validate = byStatus?.get(transportStatuses.has(String(status)) ? '400' : String(status))
    if (!validate) {
      violations.push({ operationId, status, problem: `status ${status} is not declared`, body })
      return payload
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      violations.push({ operationId, status, problem: 'body is not JSON', body })
      return payload
    }
    if (!validate(parsed)) {
      violations.push({ operationId, status, problem: JSON.stringify(validate.errors), body })
    }
    return payload
  })
}
