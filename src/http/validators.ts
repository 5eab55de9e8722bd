import { Ajv, type Options } from 'ajv'
import type { FastifySchemaCompiler } from 'fastify'

const common: Options = { allErrors: false, strict: false }

/**
 * Request validation, by part of the request:
 * - path and query parameters arrive as strings, so they are coerced (`?per_page=30`, `?page[]=1`);
 * - a JSON body is taken as typed: `{"archived": "true"}` or `{"name": null}` is a 400, never a
 *   silent `true` or `""`. Unknown properties are dropped (Socket's CLI sends extras such as
 *   `orgSlug`), and body `default`s were already removed by the spec loader, so a partial update
 *   never gains fields;
 * - a strict body (`x-strict-body`) also keeps unknown properties, so they fail `additionalProperties`
 *   (an unknown alert type in a label policy is a 400 instead of silently disappearing).
 */
export function createValidatorCompilers() {
  const parameters = new Ajv({ ...common, coerceTypes: 'array', useDefaults: true, removeAdditional: true })
  const body = new Ajv({ ...common, coerceTypes: false, useDefaults: false, removeAdditional: true })
  const strictBody = new Ajv({ ...common, coerceTypes: false, useDefaults: false, removeAdditional: false })

  const compiler =
    (forBody: Ajv): FastifySchemaCompiler<object> =>
    ({ schema, httpPart }) =>
      (httpPart === 'body' ? forBody : parameters).compile(schema)

  return { validatorCompiler: compiler(body), strictValidatorCompiler: compiler(strictBody) }
}

export type ValidatorCompilers = ReturnType<typeof createValidatorCompilers>
