import type { FastifyInstance } from 'fastify';

/** Probes and scrapes: many a minute, all alike; their lines are written at debug only. */
const QUIET_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One line per request at info, written when the response is out (Fastify's own two lines,
 * `incoming request` and `request completed`, are turned off: disableRequestLogging). The line
 * carries the method, the route as registered (never the URL: a dashboard path can hold a
 * reset or invitation token), the status and the response time; the request's logger adds
 * `reqId` and what the request learnt (principal, workspace, GraphQL operation; see logger.ts).
 * `incoming request`, with the request line, is written at debug.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    request.log.debug({ req: request }, 'incoming request');
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const line = {
      method: request.method,
      route,
      status: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (QUIET_ROUTES.has(route)) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
    done();
  });
}
