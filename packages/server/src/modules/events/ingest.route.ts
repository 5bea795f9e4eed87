import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../graphql/context';
import type { Authenticator } from '../../http/authenticate';
import { MAX_BATCH_BYTES } from './ingest.schema';
import type { IngestService } from './ingest.service';

/**
 * `POST /v1/events`. The credential is checked as the request arrives, before its body is read,
 * so a bad key costs no JSON parsing; a body over MAX_BATCH_BYTES is refused with 413. Errors
 * (401, 403, 400 with per-item issues, 429 with Retry-After) come from the app's error handler.
 */
export function registerIngestRoute(
  app: FastifyInstance,
  deps: { authenticator: Authenticator; ingest: IngestService },
): void {
  const principals = new WeakMap<FastifyRequest, Principal | null>();
  app.post(
    '/v1/events',
    {
      bodyLimit: MAX_BATCH_BYTES,
      onRequest: async (request) => {
        principals.set(request, await deps.authenticator.authenticate(request.headers, request.ip));
      },
    },
    async (request, reply) => {
      const result = await deps.ingest.ingest(principals.get(request) ?? null, request.body);
      return reply.code(202).send(result);
    },
  );
}
