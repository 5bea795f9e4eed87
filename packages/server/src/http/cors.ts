import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

export type CorsHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * The response header every response carries because of CORS: what the CORS headers say depends
 * on the request's Origin, so caches must keep responses apart by it (Fetch standard, "CORS
 * protocol and HTTP caches"), the responses to requests without one included.
 */
export const CORS_VARY = { vary: 'Origin' } as const;

/**
 * @fastify/cors (its origin check, preflight answers and headers, unchanged), run only for
 * requests that carry an Origin header. Browsers send one with every cross-origin request and
 * every preflight; a request without one (an SDK, curl, a same-origin GET) gets nothing from
 * CORS but `Vary: Origin` (CORS_VARY, set with the security headers), so the plugin's
 * per-request work (its options merged, the origin resolved, a Vary header parsed) is skipped
 * there. The plugin is handed an instance whose `addHook` keeps the hook instead of adding it:
 * the caller runs it from its own onRequest hook (app.ts), when an Origin is there; everything
 * else the plugin registers (the OPTIONS route) goes to `app` as usual. (The plugin is wrapped
 * with fastify-plugin, so registered as usual it would get `app` too.)
 */
export function corsHook(app: FastifyInstance, options: FastifyCorsOptions): CorsHook {
  let kept: CorsHook | undefined;
  const addHook = (name: string, hook: CorsHook): FastifyInstance => {
    if (name !== 'onRequest' || kept)
      throw new Error(`@fastify/cors added a ${name} hook; corsHook keeps one onRequest`);
    kept = hook;
    return app;
  };
  // What Fastify itself does for a plugin's scope: an object whose prototype is the instance.
  const scope: FastifyInstance = Object.create(app, { addHook: { value: addHook } });
  fastifyCors(scope, { ...options, hook: 'onRequest' }, (error?: Error) => {
    if (error) throw error;
  });
  const hook = kept;
  if (!hook) throw new Error('@fastify/cors added no onRequest hook');
  return (request, reply, done) => hook.call(app, request, reply, done);
}
