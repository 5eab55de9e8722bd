import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'

/**
 * One log line per request, written when its response is done (Fastify's default writes two, one
 * on arrival): method, URL, status and time, with the request id as `reqId`. Never a header.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}
