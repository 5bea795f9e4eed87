import { randomUUID } from 'node:crypto';
import { createLogger } from '../src/platform/logger';
import { createTeamWithMembers, createUser, type TestUser } from './factories';
import { type TestServer, jsonLogSink, startTestServer, waitFor } from './harness';

// Issue 16, §6: one line per request at info (Fastify wrote two), nothing at info for probes
// and scrapes, the request's own line carrying what an operator looks for.

const TOKEN = `metrics-${randomUUID()}`;
const INFO = 30;

describe('request logs at info', () => {
  let server: TestServer;
  let owner: TestUser;
  let teamId: string;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const sink = jsonLogSink(lines);
    server = await startTestServer(
      { METRICS_TOKEN: TOKEN },
      { logger: createLogger({ logLevel: 'info', production: true }, sink) },
    );
    owner = await createUser(server);
    teamId = await createTeamWithMembers(server, `Logs ${owner.id.slice(0, 6)}`, [{ user: owner, role: 'OWNER' }]);
  });
  afterAll(() => server.close());

  /** Every line written for the request `reqId`, once its last one (the response's) is out. */
  async function linesOf(reqId: string): Promise<Array<Record<string, unknown>>> {
    // The line is written after the response: a later request's line proves it is all out.
    const marker = `marker-${randomUUID()}`;
    await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': marker },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    await waitFor(() => lines.some((line) => line['reqId'] === marker), 5_000, 'the marker request logged');
    return lines.filter((line) => line['reqId'] === reqId);
  }

  it('writes exactly one line for a GraphQL request, with method, route, status, time, principal, workspace and operation', async () => {
    lines.length = 0;
    const reqId = `req-${randomUUID()}`;
    const res = await server.gql(
      'query TeamName($w: ID!) { workspace(id: $w) { name } }',
      { w: teamId },
      { token: owner.accessToken, headers: { 'x-request-id': reqId } },
    );
    expect(res.errors).toBeUndefined();
    const mine = await linesOf(reqId);
    expect(mine).toEqual([
      expect.objectContaining({
        level: INFO,
        msg: 'request completed',
        reqId,
        method: 'POST',
        route: '/graphql',
        status: 200,
        responseTime: expect.any(Number),
        principal: 'user',
        userId: owner.id,
        workspaceId: teamId,
        operationName: 'TeamName',
      }),
    ]);
    // Neither the body, the query nor the credential.
    expect(JSON.stringify(mine)).not.toMatch(/__typename|workspace\(|Bearer|eyJ/);
  });

  it('writes one line for a refused request and for a REST route too', async () => {
    lines.length = 0;
    const refused = `req-${randomUUID()}`;
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'tly_nonsense', 'x-request-id': refused },
      body: JSON.stringify({ events: [] }),
    });
    expect(res.status).toBe(401);
    expect(await linesOf(refused)).toEqual([
      expect.objectContaining({ level: INFO, method: 'POST', route: '/v1/events', status: 401 }),
    ]);
  });

  it('writes nothing at info for /healthz, /readyz and /metrics', async () => {
    lines.length = 0;
    const ids = ['/healthz', '/readyz', '/metrics'].map((path) => ({ path, reqId: `probe-${randomUUID()}` }));
    for (const { path, reqId } of ids) {
      const res = await fetch(`${server.url}${path}`, {
        headers: { 'x-request-id': reqId, authorization: `Bearer ${TOKEN}` },
      });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
    for (const { reqId } of ids) expect(await linesOf(reqId)).toEqual([]);
  });
});

describe('request logs at debug', () => {
  it('add the incoming request line (its URL without the query string) and keep the probes', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = jsonLogSink(lines);
    const server = await startTestServer({}, { logger: createLogger({ logLevel: 'debug', production: true }, sink) });
    try {
      const reqId = `probe-${randomUUID()}`;
      expect((await fetch(`${server.url}/healthz?token=abc`, { headers: { 'x-request-id': reqId } })).status).toBe(200);
      await waitFor(() => lines.some((line) => line['reqId'] === reqId && line['msg'] === 'request completed'));
      expect(lines.filter((line) => line['reqId'] === reqId)).toEqual([
        expect.objectContaining({
          level: 20,
          msg: 'incoming request',
          req: expect.objectContaining({ url: '/healthz' }),
        }),
        expect.objectContaining({ level: 20, msg: 'request completed', route: '/healthz', status: 200 }),
      ]);
      expect(JSON.stringify(lines)).not.toContain('token=abc');
    } finally {
      await server.close();
    }
  });
});
