import { afterEach, expect } from 'vitest'
import { violations } from '../helpers/contract.js'

afterEach(() => {
  const found = violations.splice(0)
  expect(found, 'responses that break openapi/socket-repos-api.yml').toEqual([])
})
