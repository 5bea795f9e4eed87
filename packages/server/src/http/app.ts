import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { join, sep } from 'node:path';
import type { ApolloServer } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { DataSource } from 'typeorm';
import type { Config, TrustProxy } from '../platform/config';
import type { ChangeFeed } from '../platform/change-feed/change-feed';
import { databaseUnavailable, isDatabaseUnavailable } from '../platform/db/unavailable';
import { ERROR_HTTP_STATUS, ErrorCode } from '@tally/shared';
import { AppError } from '../platform/errors';
import type { RequestContext } from '../graphql/context';
import { toGraphQLError } from '../graphql/errors';
import { type ContextDeps, TallyContext } from '../graphql/context-factory';
import { addLogBindings, lazyChildLoggerFactory, principalLogFields } from '../platform/logger';
import type { Metrics } from '../platform/metrics/metrics';
import { registerMetricsRoute } from '../platform/metrics/metrics.route';
import type { Authenticator } from '../auth/authenticate';
import type { Principal } from '../auth/principal';
import type { KeyUsageCounter } from '../auth/key-usage';
import { CORS_VARY, corsHook } from './cors';
import { RequestLog, routeOf } from './request-log';
import { precomputeSecurityHeaders } from './security-headers';

export interface HttpDeps {
  config: Config;
  logger: FastifyBaseLogger;
  db: DataSource;
  /** The schema as SDL, served at /graphql/schema.graphql; null where introspection needs a credential. */
  schemaSdl: string | null;
  /** Reported by /readyz: without it the instance serves nothing from memory. */
  changes: Pick<ChangeFeed, 'connected'>;
  /**
   * The events' own database when it is not PostgreSQL (EVENTS_STORE=clickhouse): /readyz
   * reports it beside PostgreSQL, and is not ready without it.
   */
  eventsDatabase?: { name: string; ping(): Promise<void> };
  authenticator: Authenticator;
  contextDeps: ContextDeps;
  /** REST routes of the modules (POST /v1/events, GET /v1/export/events), registered after /graphql. */
  routes?: ReadonlyArray<(app: FastifyInstance) => void>;
  /** Request durations by route; GET /metrics here when METRICS_TOKEN is set. */
  metrics?: Metrics;
  /** Where each GraphQL request made with an API key is counted (the key's usage). */
  keyUsage?: KeyUsageCounter;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Routes outside /v1/ that answer with JSON or text, never a document (the API's headers). */
const API_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics', '/graphql/schema.graphql']);

/**
 * Fastify takes a list of proxy addresses as it is, but reads a bare hop count as "trust
 * nothing"; a count of N trusts the N nearest hops, the socket's peer first (as Express does).
 */
function trustProxyOption(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  return (_address, hop) => hop < trust;
}

/** The HTTP app: /graphql, health, and the built web app at /. */
export async function buildHttpApp(deps: HttpDeps, apollo: ApolloServer<RequestContext>): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    childLoggerFactory: lazyChildLoggerFactory,
    trustProxy: trustProxyOption(config.trustProxy),
    // A caller's X-Request-Id is kept when it looks like an id (so a proxy's id threads
    // through the logs); anything else gets a fresh UUID.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // One line per request instead of Fastify's two: see request-log.ts.
    logController: new RequestLog(),
  });

  // Cookies are parsed only where they are read (the refresh cookie), not on every request.
  await app.register(fastifyCookie, { hook: false });
  // Every response's own headers, in one hook (each hook is a step of every request): CORS for
  // requests with an Origin header only (cors.ts); the security headers, computed by helmet
  // once, and `Vary: Origin` (404s and errors too); the request id.
  const cors = corsHook(app, { origin: config.corsOrigins, credentials: true, maxAge: 600 });
  const securityHeaders = precomputeSecurityHeaders(config.publicUrl);
  const dashboardHeaders = { ...securityHeaders.dashboard, ...CORS_VARY };
  const landingPageHeaders = { ...securityHeaders.landingPage, ...CORS_VARY };
  const apiHeaders = { ...securityHeaders.api, ...CORS_VARY };
  // Which set a response gets, by its route: Apollo Sandbox's page (GET /graphql, where Apollo
  // serves it) its own, wider policy; answers that are never documents (GraphQL's JSON, /v1/*,
  // health, metrics) the API's; the dashboard, its files and every unknown path the dashboard's.
  const headersOf = (route: string, method: string): OutgoingHttpHeaders => {
    if (route === '/graphql') return method === 'GET' ? landingPageHeaders : apiHeaders;
    return route.startsWith('/v1/') || API_ROUTES.has(route) ? apiHeaders : dashboardHeaders;
  };
  // The route as registered, read once per request: `request.routeOptions` builds a new object
  // (and asks the router) on every read, and the headers, the metrics and the log line all want it.
  app.decorateRequest('route', '');
  const ownHeaders = (request: FastifyRequest, reply: FastifyReply): void => {
    request.route = request.routeOptions.url ?? '';
    reply.headers(headersOf(request.route, request.method));
    reply.header('x-request-id', request.id);
  };
  app.addHook('onRequest', (request, reply, done) => {
    if (request.headers.origin === undefined) {
      ownHeaders(request, reply);
      done();
      return;
    }
    // CORS first, as before: a preflight it answers ends the request there.
    cors(request, reply, (error?: Error) => {
      if (error) {
        done(error);
        return;
      }
      ownHeaders(request, reply);
      done();
    });
  });
  // While draining, keep-alive sockets are closed as soon as their last response is out, so
  // close() waits for in-flight requests only, not for idle connections.
  let draining: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    app.server.closeIdleConnections();
    draining = setInterval(() => app.server.closeIdleConnections(), 50);
    draining.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(draining);
  });
  const metrics = deps.metrics;
  if (metrics) {
    app.addHook('onResponse', (request, reply, done) => {
      metrics.httpRequest(request.method, routeOf(request), reply.statusCode, reply.elapsedTime);
      done();
    });
    const token = config.metrics.token;
    if (token !== undefined) registerMetricsRoute(app, metrics, token);
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  const sdl = deps.schemaSdl;
  if (sdl !== null) {
    // For people without Apollo Sandbox (offline): the same schema introspection gives.
    app.get('/graphql/schema.graphql', async (_request, reply) => reply.type('text/plain; charset=utf-8').send(sdl));
  }
  app.get('/readyz', async (_request, reply) => {
    const events = deps.eventsDatabase;
    const [postgres, other] = await Promise.all([
      deps.db.query('SELECT 1').then(
        () => null,
        (error: unknown) => error,
      ),
      events
        ? events.ping().then(
            () => null,
            (error: unknown) => error,
          )
        : Promise.resolve(null),
    ]);
    // Both databases by name: which one is down is the first thing an operator needs.
    const databases: Record<string, 'up' | 'down'> = { postgres: postgres === null ? 'up' : 'down' };
    if (events) databases[events.name] = other === null ? 'up' : 'down';
    if (postgres !== null || other !== null) {
      deps.logger.warn({ err: postgres ?? other, databases }, 'readiness check failed');
      const down = Object.keys(databases).filter((name) => databases[name] === 'down');
      return reply.code(503).send({ status: 'unavailable', reason: `${down.join(' and ')} unreachable`, databases });
    }
    // Still ready without the change feed (every read then goes to the database), but said.
    return { status: 'ready', changeFeed: deps.changes.connected ? 'listening' : 'reconnecting', databases };
  });

  await apollo.start();
  app.addHook('onClose', async () => {
    await apollo.stop();
  });
  const handler = fastifyApolloHandler(apollo, {
    // An API key this instance knows is answered at once: no await, no async step of our own
    // on the hot path (Apollo awaits the promise it gets).
    context: (request, reply) => {
      const made = (principal: Principal | null): TallyContext => {
        addLogBindings(request.log, principalLogFields(principal));
        if (principal?.kind === 'apiKey') {
          deps.keyUsage?.count(principal.workspaceId, principal.apiKeyId, 'graphqlRequests');
        }
        return new TallyContext(deps.contextDeps, request, reply, principal);
      };
      let authenticated: Principal | null | Promise<Principal | null>;
      try {
        authenticated = deps.authenticator.authenticate(request.headers, request.ip);
      } catch (error) {
        return Promise.reject(contextFailure(request, error));
      }
      if (!(authenticated instanceof Promise)) return Promise.resolve(made(authenticated));
      return authenticated.then(made, (error: unknown) => {
        throw contextFailure(request, error);
      });
    },
  });
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    // Apollo Sandbox's page (GET) gets its own, wider policy (the onRequest hook above).
    handler,
  });
  for (const register of deps.routes ?? []) register(app);

  registerWebApp(app, config.webDistDir);
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    // The database is down or unreachable: a temporary condition, not a bug. Clients send again
    // (UNAVAILABLE, 503, Retry-After: the AppError below).
    if (!(error instanceof AppError) && isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      error = databaseUnavailable();
    }
    // The REST routes' own errors: the code's HTTP status, the code, and its details.
    if (error instanceof AppError) {
      const retryAfter = error.details?.['retryAfterSeconds'];
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      return reply
        .code(ERROR_HTTP_STATUS[error.code])
        .send({ error: error.code, message: error.message, ...error.details });
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const code = status >= 500 ? ErrorCode.INTERNAL_SERVER_ERROR : ErrorCode.BAD_USER_INPUT;
    const message = status >= 500 && config.production ? 'Internal server error.' : error.message;
    // GraphQL clients get a GraphQL-shaped answer even when the body never reached Apollo
    // (malformed JSON, a body over the size limit).
    if (request.url.startsWith('/graphql')) {
      return reply.code(status).send({ errors: [{ message, extensions: { code } }] });
    }
    return reply.code(status).send({ error: code, message });
  });
  return app;
}

/**
 * What a request whose context could not be made fails with: a refused credential as its code
 * and status (Retry-After when limited); a database that cannot be reached (a key or a role
 * looked up) as UNAVAILABLE, as on REST; anything else as it is.
 */
function contextFailure(request: FastifyRequest, error: unknown): unknown {
  const unavailable = !(error instanceof AppError) && isDatabaseUnavailable(error);
  if (unavailable) request.log.warn({ err: error }, 'database unavailable');
  const known = error instanceof AppError ? error : unavailable ? databaseUnavailable() : null;
  if (!known) return error;
  const retryAfter = known.details?.['retryAfterSeconds'];
  const headers = new Map(typeof retryAfter === 'number' ? [['retry-after', String(retryAfter)]] : []);
  return toGraphQLError(known, { status: ERROR_HTTP_STATUS[known.code], headers });
}

/** Serves the built dashboard; every unknown GET that wants HTML gets index.html (SPA routes). */
function registerWebApp(app: FastifyInstance, distDir: string): void {
  const hasWebApp = existsSync(join(distDir, 'index.html'));
  if (hasWebApp) {
    void app.register(fastifyStatic, {
      root: distDir,
      index: ['index.html'],
      // The build writes .br and .gz copies; a browser that accepts one gets it (≈ a quarter of the bytes).
      preCompressed: true,
      // Built assets carry a content hash in their names: they never change, so cache them for good.
      setHeaders: (res, path) => {
        if (path.includes(`${sep}assets${sep}`)) res.header('cache-control', 'public, max-age=31536000, immutable');
      },
    });
  }
  app.setNotFoundHandler((request, reply) => {
    const wantsHtml = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    const apiPath = /^\/(graphql|v1|otlp|healthz|readyz|metrics)(\/|$)/.test(request.url);
    if (hasWebApp && wantsHtml && !apiPath) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html', distDir);
    }
    return reply.code(404).send({ error: 'NOT_FOUND', message: `No route for ${request.method} ${request.url}` });
  });
}
