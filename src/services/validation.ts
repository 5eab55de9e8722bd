import type { z } from 'zod'
import { InvalidInputError } from './errors.js'

/** Parses with a zod schema; a failure is an InvalidInputError naming the first problem, with all of them in details. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))
  throw new InvalidInputError(issues[0]?.message ?? 'Invalid input', { issues })
}
