import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../../auth/authenticate';
import type { KeyUsageCounter } from '../../auth/key-usage';
import type { ExportService } from './export.service';

/** The headers of an export's file, which an error answer must not carry. */
const FILE_HEADERS = ['content-type', 'content-disposition'] as const;

/**
 * `GET /v1/export/events?workspaceId=&from=&to=&format=ndjson|csv[&filter=<EventFilterInput as
 * JSON>][&savedFilterId=]`, streamed: Fastify pipes the
 * database's COPY stream to the socket with back-pressure, and a client that goes away destroys
 * it, which closes the database connection and so stops the query.
 *
 * The query is checked in full before any header is set. Should the COPY still fail before its
 * first byte (a cancelled or timed-out statement), the file's headers are taken back so that the
 * error handler answers with JSON; after the first byte, the response is cut.
 */
export function registerExportRoute(
  app: FastifyInstance,
  deps: { authenticator: Authenticator; exports: ExportService; usage?: KeyUsageCounter },
): void {
  // A stopping server waits for the responses in flight: end the exports, stalled ones included.
  app.addHook('preClose', (done) => {
    deps.exports.stopAll();
    done();
  });
  app.get('/v1/export/events', async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request.headers, request.ip);
    const opened = await deps.exports.open(principal, request.query);
    // An export started with a key counts in its usage (one per export, whatever its size).
    if (principal?.kind === 'apiKey') deps.usage?.count(principal.workspaceId, principal.apiKeyId, 'exports');
    // Registered before Fastify's own listener (reply.send), so it runs before the error handler.
    opened.stream.once('error', () => {
      if (reply.raw.headersSent) return;
      for (const header of FILE_HEADERS) {
        reply.removeHeader(header);
        reply.raw.removeHeader(header);
      }
    });
    return reply
      .header('content-type', opened.contentType)
      .header('content-disposition', `attachment; filename="${opened.filename}"`)
      .header('cache-control', 'no-store')
      .send(opened.stream);
  });
}
