import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

type CorsHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * The response header every response carries because of CORS: what the CORS headers say depends
 * on the request's Origin, so caches must keep responses apart by it (Fetch standard, "CORS
 * protocol and HTTP caches"), the responses to requests without one included.
 */
export const CORS_VARY = { vary: 'Origin' } as const;

/**
 * @fastify/cors (its origin check, preflight answers and headers, unchanged), consulted only
 * for requests that carry an Origin header. Browsers send one with every cross-origin request
 * and every preflight; a request without one (an SDK, curl, a same-origin GET) gets nothing
 * from CORS but `Vary: Origin` (CORS_VARY, set with the security headers), so the plugin's
 * per-request work (its options merged, the origin resolved, a Vary header parsed) is skipped
 * there. Done by handing the plugin an instance whose `addHook` puts that check in front of
 * the hook it adds; everything else it registers (the OPTIONS route) goes to `app` as usual.
 * (The plugin is wrapped with fastify-plugin, so registered as usual it would get `app` too.)
 */
export function registerCors(app: FastifyInstance, options: FastifyCorsOptions): void {
  const addHook = (name: string, hook: CorsHook): FastifyInstance => {
    if (name !== 'onRequest')
      throw new Error(`@fastify/cors asked for a ${name} hook; registerCors gates onRequest only`);
    return app.addHook('onRequest', (request, reply, done) => {
      if (request.headers.origin === undefined) done();
      else hook.call(app, request, reply, done);
    });
  };
  // What Fastify itself does for a plugin's scope: an object whose prototype is the instance.
  const gated: FastifyInstance = Object.create(app, { addHook: { value: addHook } });
  fastifyCors(gated, { ...options, hook: 'onRequest' }, (error?: Error) => {
    if (error) throw error;
  });
}
