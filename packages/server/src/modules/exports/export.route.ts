import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../../http/authenticate';
import type { ExportService } from './export.service';

/**
 * `GET /v1/export/events?workspaceId=&from=&to=&format=ndjson|csv[&filter=<EventFilterInput as
 * JSON>][&savedFilterId=]`, streamed: Fastify pipes the
 * database's COPY stream to the socket with back-pressure, and a client that goes away destroys
 * it, which closes the database connection and so stops the query.
 */
export function registerExportRoute(
  app: FastifyInstance,
  deps: { authenticator: Authenticator; exports: ExportService },
): void {
  app.get('/v1/export/events', async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request.headers, request.ip);
    const opened = await deps.exports.open(principal, request.query);
    return reply
      .header('content-type', opened.contentType)
      .header('content-disposition', `attachment; filename="${opened.filename}"`)
      .header('cache-control', 'no-store')
      .send(opened.stream);
  });
}
