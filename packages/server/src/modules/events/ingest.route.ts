import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/principal';
import type { Authenticator } from '../../auth/authenticate';
import { addLogBindings, principalLogFields } from '../../platform/logger';
import type { IngestCounters } from '../../platform/metrics/metrics';
import { MAX_BATCH_BYTES } from './ingest.schema';
import type { IngestService } from './ingest.service';

/**
 * `POST /v1/events`. The credential is checked as the request arrives, before its body is read,
 * so a bad key costs no JSON parsing; a body over MAX_BATCH_BYTES is refused with 413. Errors
 * (401, 403, 400 with per-item issues, 429 with Retry-After) come from the app's error handler.
 */
export function registerIngestRoute(
  app: FastifyInstance,
  deps: { authenticator: Authenticator; ingest: IngestService; counters?: IngestCounters },
): void {
  const counters = deps.counters;
  const principals = new WeakMap<FastifyRequest, Principal | null>();
  app.post(
    '/v1/events',
    {
      bodyLimit: MAX_BATCH_BYTES,
      onRequest: async (request) => {
        const principal = await deps.authenticator.authenticate(request.headers, request.ip);
        addLogBindings(request.log, principalLogFields(principal));
        principals.set(request, principal);
      },
      // Every answer, also 401 and 413, which come before the handler.
      onResponse: counters
        ? (_request, reply, done) => {
            counters.batch(reply.statusCode);
            done();
          }
        : undefined,
    },
    async (request, reply) => {
      let result;
      try {
        result = await deps.ingest.ingest(principals.get(request) ?? null, request.body);
      } catch (error) {
        counters?.rejected(eventsIn(request.body));
        throw error;
      }
      counters?.accepted(result.accepted, result.duplicates);
      return reply.code(202).send(result);
    },
  );
}

/** How many events a refused body held (0 when it is not a batch at all). */
function eventsIn(body: unknown): number {
  if (typeof body !== 'object' || body === null) return 0;
  const events: unknown = Reflect.get(body, 'events');
  return Array.isArray(events) ? events.length : 0;
}
