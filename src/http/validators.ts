import { Ajv, type Options } from 'ajv'
import fastJson from 'fast-json-stringify'
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify'

/**
 * The string formats the spec uses. `uuid` is checked; `date` (Socket's token timestamps, which this
 * server writes as full ISO-8601 instants, docs/api-tokens.md) and `int32` (a header) are not.
 */
export const specFormats: NonNullable<Options['formats']> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  date: true,
  int32: true,
}

const common: Options = { allErrors: false, strict: false, formats: specFormats }

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
function createCompilers() {
  const parameters = new Ajv({ ...common, coerceTypes: 'array', useDefaults: true, removeAdditional: true })
  const body = new Ajv({ ...common, coerceTypes: false, useDefaults: false, removeAdditional: true })
  const strictBody = new Ajv({ ...common, coerceTypes: false, useDefaults: false, removeAdditional: false })

  const validator =
    (forBody: Ajv): FastifySchemaCompiler<object> =>
    ({ schema, httpPart }) =>
      (httpPart === 'body' ? forBody : parameters).compile(schema)

  // Ajv caches what it compiled by schema object; serializers get the same treatment here.
  const serializers = new WeakMap<object, (data: unknown) => string>()
  const serializerCompiler: FastifySerializerCompiler<object> = ({ schema }) => {
    let serialize = serializers.get(schema)
    if (!serialize) {
      serialize = fastJson(schema)
      serializers.set(schema, serialize)
    }
    return serialize
  }

  return { validatorCompiler: validator(body), strictValidatorCompiler: validator(strictBody), serializerCompiler }
}

export type SchemaCompilers = ReturnType<typeof createCompilers>

let compilers: SchemaCompilers | undefined

/**
 * The compilers of this process. The spec is parsed once per process (app.ts), so every app built
 * after the first (tests build hundreds) reuses the validators and serializers compiled for it.
 */
export function schemaCompilers(): SchemaCompilers {
  compilers ??= createCompilers()
  return compilers
}
