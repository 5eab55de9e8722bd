import type { z } from 'zod'
import { InvalidInputError } from './errors.js'

/** Parses with a zod schema; a failure is an InvalidInputError naming the first problem, with all of them in details. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))
  throw new InvalidInputError(issues[0]?.message ?? 'Invalid input', { issues })
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
