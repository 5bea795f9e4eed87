import { createHash, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics';

/**
 * Who may read /metrics (README, "Metrics"):
 * - METRICS_TOKEN set: `GET /metrics` on the public port, with `Authorization: Bearer <token>`;
 *   anything else gets 401.
 * - METRICS_PORT set: `GET /metrics` on its own listener, on METRICS_HOST (127.0.0.1 unless
 *   told), so it is never on the public port; with a token set it asks for the token there too.
 * - Neither: /metrics is not served at all (404).
 */
export interface MetricsAccess {
  token: string | undefined;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether an Authorization header carries the token (compared in constant time). */
export function carriesToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(token));
}

const UNAUTHORIZED = {
  error: 'UNAUTHENTICATED',
  message: 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>".',
};

/** `GET /metrics` on the public app, behind the token. */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, token: string): void {
  app.get('/metrics', async (request, reply) => {
    if (!carriesToken(request.headers.authorization, token)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send(UNAUTHORIZED);
    }
    const { contentType, body } = await metrics.scrape();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}

/** The separate metrics listener (METRICS_PORT): /metrics and nothing else. */
export class MetricsServer {
  private readonly server: Server;

  constructor(
    private readonly metrics: Metrics,
    private readonly access: MetricsAccess,
    private readonly onError: (error: unknown) => void,
  ) {
    this.server = createServer((request, response) => {
      this.answer(request, response).catch((error: unknown) => {
        this.onError(error);
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
  }

  /** Resolves with the listener's URL. */
  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    const shown = host.includes(':') ? `[${host}]` : host;
    return `http://${shown}:${bound}/metrics`;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"NOT_FOUND"}');
      return;
    }
    const token = this.access.token;
    if (token !== undefined && !carriesToken(request.headers.authorization, token)) {
      response
        .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="metrics"' })
        .end(JSON.stringify(UNAUTHORIZED));
      return;
    }
    const { contentType, body } = await this.metrics.scrape();
    response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}
