import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify'
import { InvalidInputError } from '../services/errors.js'
import { jsonValueProblem } from '../services/field-rules.js'

type Done = (error: Error | null, body?: unknown) => void

/**
 * How request bodies are read, for every route of the app (the API and /_admin alike). The spec's one
 * media type is JSON, and Socket's clients send it three ways: `application/json`; no Content-Type
 * at all (the Python SDK and scanner: `requests` with `data=<str>`); and `text/plain` (a browser's
 * `fetch` with a string body). All three are parsed as JSON; any other declared type is a 415. An
 * empty body is no body, and a route that does not exist is a 404 whatever its body. Every parser
 * reads through Fastify's limit, so BODY_LIMIT (413) holds for all of them. See docs/content-types.md.
 */
export function registerBodyParsers(app: FastifyInstance) {
  app.removeContentTypeParser(['application/json', 'text/plain'])
  const parseJson = app.getDefaultJsonParser('error', 'error')

  function json(request: FastifyRequest, body: string | Buffer, done: Done) {
    const text = body.toString()
    request.rawBody = text
    if (request.is404 || text.trim() === '') return done(null, undefined)
    parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined)
      // What JSON.parse lets through but no field may hold: 1e309 (Infinity), lone surrogates.
      const problem = jsonValueProblem(value)
      if (problem) return done(new InvalidInputError(problem), undefined)
      done(null, value)
    })
  }

  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, json)
  // Multipart is read by a full-scan upload only (routes.ts registers @fastify/multipart around those
  // routes, replacing this parser there); anywhere else it is the 415 of any other type, the body unread.
  app.addContentTypeParser('multipart/form-data', (request, _payload, done: Done) => {
    if (request.is404) return done(null, undefined)
    done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined)
  })
  // Fastify hands a body without Content-Type to the catch-all parser, which also receives every
  // type no other parser claims: only the former is JSON.
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (request.headers['content-type'] === undefined) return json(request, body, done)
    if (request.is404) return done(null, undefined)
    done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined)
  })
}
