import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { LogController } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'

type LogFn = FastifyBaseLogger['info']

/**
 * `request.log`: the request's child logger (its lines carry `reqId`), made only when something logs
 * through it — an error, a warning. Fastify's default makes a pino child for every request, which
 * the request line below does not need: most requests never make one.
 */
class RequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options)
    return this.#child
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.logger.level = level
  }

  // Methods on the prototype, not arrow-function fields: a request's logger allocates nothing more.
  fatal(...args: unknown[]): void {
    this.logger.fatal(...(args as Parameters<LogFn>))
  }
  error(...args: unknown[]): void {
    this.logger.error(...(args as Parameters<LogFn>))
  }
  warn(...args: unknown[]): void {
    this.logger.warn(...(args as Parameters<LogFn>))
  }
  info(...args: unknown[]): void {
    this.logger.info(...(args as Parameters<LogFn>))
  }
  debug(...args: unknown[]): void {
    this.logger.debug(...(args as Parameters<LogFn>))
  }
  trace(...args: unknown[]): void {
    this.logger.trace(...(args as Parameters<LogFn>))
  }
  silent(...args: unknown[]): void {
    this.logger.silent(...(args as Parameters<LogFn>))
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory` option: `request.log` made on first use. */
export function requestLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
  return new RequestLogger(parent, bindings, options)
}

/**
 * One log line per request, written when its response is done (Fastify's default writes two, one
 * on arrival): method, URL, status and time, with the request id as `reqId`. Never a header. The line
 * goes through the app's logger with `reqId` first, which pino writes exactly as a child's line.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      const line = { method: request.method, url: request.url, statusCode: reply.statusCode }
      reply.log.error({ ...line, responseTime: reply.elapsedTime, err: error }, 'request errored')
      return
    }
    request.server.log.info(
      {
        [this.requestIdLogLabel]: request.id,
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
      },
      'request completed',
    )
  }
}
