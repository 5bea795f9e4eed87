import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The route as registered ('' until the first hook has read it, or when none matched): app.ts. */
    route: string;
  }
}

/**
 * The request's route as registered, or undefined when none matched: as the first hook read it,
 * or read now for a request that ended before it (a CORS preflight, say).
 */
export function routeOf(request: FastifyRequest): string | undefined {
  return request.route || request.routeOptions.url;
}

/** Probes and scrapes: many a minute, all alike; their lines are written at debug only. */
const QUIET_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Fastify's request lines, one per request at info instead of two (Fastify's `logController`).
 * `incoming request`, with the request line, goes to debug. `request completed` is written when
 * the response is out, with the method, the route as registered (never the URL: a dashboard path
 * can hold a reset or invitation token), the status and the response time; the request's logger
 * adds `reqId` and what the request learnt (principal, workspace, GraphQL operation; logger.ts).
 * Probes and scrapes write theirs at debug; a response that failed on the way out, at error.
 * Fastify's other lines (a stream error, a failed write) stay as they are.
 */
export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const route = routeOf(request) ?? 'unmatched';
    const line = {
      method: request.method,
      route,
      status: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) request.log.error({ ...line, err: error }, 'request errored');
    else if (QUIET_ROUTES.has(route)) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
  }
}
