import { randomUUID } from 'node:crypto';
import { createLogger } from '../src/platform/logger';
import { createTeamWithMembers, createUser, type TestUser, createKeySecret } from './factories';
import { type TestServer, codeOf, jsonLogSink, startTestServer } from './harness';
import { drainJobs } from './drivers/jobs';

// Issue 11, item 8: GET /metrics after real requests, with exact counter values; who may read
// it; and the request id, operation, principal and workspace in every request's log lines.

const TOKEN = `metrics-${randomUUID()}`;

/** Prometheus text → value of the series `name{labels}` (exact label set), undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? '').match(/\w+="[^"]*"/g) ?? [];
    if (got.sort().join(',') === wanted) return Number(match[3]);
  }
  return undefined;
}

async function scrape(url: string, token: string | undefined = TOKEN): Promise<string> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

const CREATE_KEY = /* GraphQL */ `
  mutation CreateKey($workspaceId: ID!, $input: CreateApiKeyInput!) {
    createApiKey(workspaceId: $workspaceId, input: $input) {
      secret
    }
  }
`;

describe('with METRICS_TOKEN (and a METRICS_PORT)', () => {
  let server: TestServer;
  let owner: TestUser;
  let teamId: string;
  let secret: string;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const sink = jsonLogSink(lines);
    server = await startTestServer(
      { METRICS_TOKEN: TOKEN, METRICS_PORT: '0' },
      {
        logger: createLogger({ logLevel: 'info', production: true }, sink),
        defineJobs: (jobs) => {
          jobs.define({ name: 'test.metrics-ok', handler: async () => {} });
          jobs.define({
            name: 'test.metrics-doomed',
            retryLimit: 0,
            handler: async () => {
              throw new Error('always fails');
            },
          });
        },
      },
    );
    owner = await createUser(server);
    teamId = await createTeamWithMembers(server, `Metrics ${owner.id.slice(0, 6)}`, [{ user: owner, role: 'OWNER' }]);
    secret = await createKeySecret(server, owner, teamId, 'EDITOR');
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses /metrics without the token (401) on both listeners; the token opens both', async () => {
    const publicUrl = `${server.url}/metrics`;
    const own = server.tally.metricsUrl;
    expect(own).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    if (!own) throw new Error('no metrics listener');
    for (const url of [publicUrl, own]) {
      for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${secret}`, `Basic ${TOKEN}`]) {
        const response = await fetch(url, { headers: authorization ? { authorization } : {} });
        expect({ url, authorization, status: response.status }).toEqual({ url, authorization, status: 401 });
        expect(await response.text()).not.toContain('tally_');
      }
      expect(await scrape(url)).toContain('# TYPE tally_graphql_requests_total counter');
    }
    // The metrics listener serves nothing else.
    expect((await fetch(own.replace('/metrics', '/graphql'))).status).toBe(404);
  });

  it('counts GraphQL requests by operation and outcome, with their durations', async () => {
    const before = await scrape(`${server.url}/metrics`);
    const me = (op: string) => server.gql(`query ${op} { me { id } }`, {}, { token: owner.accessToken });
    const name = `Metrics${randomUUID().slice(0, 8)}`;
    expect((await me(name)).data).toEqual({ me: { id: owner.id } });
    expect((await me(name)).data).toEqual({ me: { id: owner.id } });
    // Anonymous, a field the caller may not read, a document that does not validate, a bad key.
    expect((await server.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
    const denied = await server.gql(`query ${name} { me { id } }`, {}, { headers: {} });
    expect(codeOf(denied)).toBe('UNAUTHENTICATED');
    const invalid = await server.gql('query Broken { noSuchField }');
    // Clients see BAD_USER_INPUT; the metric keeps Apollo's own code for what failed.
    expect(codeOf(invalid)).toBe('BAD_USER_INPUT');
    const badKey = await server.gql('{ __typename }', {}, { headers: { 'x-api-key': 'tly_not-a-key' } });
    expect(badKey.status).toBe(401);

    const after = await scrape(`${server.url}/metrics`);
    const delta = (labels: Record<string, string>) =>
      (sample(after, 'tally_graphql_requests_total', labels) ?? 0) -
      (sample(before, 'tally_graphql_requests_total', labels) ?? 0);
    expect(delta({ operation: name, outcome: 'ok' })).toBe(2);
    expect(delta({ operation: name, outcome: 'UNAUTHENTICATED' })).toBe(1);
    expect(delta({ operation: '__anonymous', outcome: 'ok' })).toBe(1);
    expect(delta({ operation: '__invalid', outcome: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta({ operation: '__none', outcome: 'UNAUTHENTICATED' })).toBe(1);
    expect(sample(after, 'tally_graphql_request_duration_seconds_count', { operation: name })).toBe(3);
    // Every HTTP request, by route: the scrape before this one counted too.
    expect(
      sample(after, 'tally_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, 'tally_http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '401' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('counts API key cache hits, misses and refusals, and ingested events accepted and rejected', async () => {
    const before = await scrape(`${server.url}/metrics`);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const batch = { events: ids.map((id) => ({ id, sessionId: 's-metrics', name: 'search' })) };
    const send = (body: unknown, key = secret) =>
      fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const first = await send(batch);
    expect(first.status).toBe(202);
    // The same batch again: accepted, all three duplicates.
    expect(await (await send(batch)).json()).toEqual({ accepted: 3, duplicates: 3 });
    const refused = await send({ events: [{ sessionId: 's' }, { name: 'no session' }] });
    expect(refused.status).toBe(400);
    expect((await send(batch, 'tly_short')).status).toBe(401);

    const after = await scrape(`${server.url}/metrics`);
    const delta = (name: string, labels: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('tally_ingest_events_total', { result: 'accepted' })).toBe(6);
    expect(delta('tally_ingest_events_total', { result: 'duplicate' })).toBe(3);
    expect(delta('tally_ingest_events_total', { result: 'rejected' })).toBe(2);
    expect(delta('tally_ingest_batches_total', { status: '202' })).toBe(2);
    expect(delta('tally_ingest_batches_total', { status: '400' })).toBe(1);
    expect(delta('tally_ingest_batches_total', { status: '401' })).toBe(1);
    // The key was used before (createApiKey does not verify it): one lookup, then memory.
    expect(delta('tally_api_key_cache_total', { result: 'miss' })).toBe(1);
    expect(delta('tally_api_key_cache_total', { result: 'hit' })).toBe(2);
    expect(delta('tally_api_key_cache_total', { result: 'malformed' })).toBe(1);
  });

  it('counts finished jobs and reports queue depth and database pools', async () => {
    await server.tally.jobs.send('test.metrics-ok', {});
    await server.tally.jobs.send('test.metrics-ok', {});
    await server.tally.jobs.send('test.metrics-doomed', {});
    await drainJobs(server.tally, 'test.metrics-ok');
    await drainJobs(server.tally, 'test.metrics-doomed');
    const text = await scrape(`${server.url}/metrics`);
    expect(sample(text, 'tally_job_attempts_total', { job: 'test.metrics-ok', outcome: 'completed' })).toBe(2);
    expect(sample(text, 'tally_job_attempts_total', { job: 'test.metrics-doomed', outcome: 'failed' })).toBe(1);
    for (const state of ['created', 'retry', 'active']) {
      expect(sample(text, 'tally_job_queue_depth', { job: 'test.metrics-ok', state })).toBe(0);
    }
    for (const pool of ['app', 'events', 'jobs', 'orm']) {
      const idle = sample(text, 'tally_db_pool_connections', { pool, state: 'idle' });
      const busy = sample(text, 'tally_db_pool_connections', { pool, state: 'busy' });
      expect({ pool, idle: typeof idle, busy: typeof busy }).toEqual({ pool, idle: 'number', busy: 'number' });
      expect(sample(text, 'tally_db_pool_waiting_clients', { pool })).toBe(0);
    }
    expect(sample(text, 'tally_db_pool_connections', { pool: 'jobs', state: 'busy' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'tally_change_feed_connected')).toBe(1);
    // Process metrics are there once /metrics can be read.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it("writes the request id, operation, principal and workspace in the request's log lines, never a secret", async () => {
    lines.length = 0;
    const requestId = `req-${randomUUID()}`;
    const created = await server.gql<{ createApiKey: { secret: string } }>(
      CREATE_KEY,
      { workspaceId: teamId, input: { name: 'logged', role: 'VIEWER' } },
      { token: owner.accessToken, headers: { 'x-request-id': requestId } },
    );
    const newSecret = created.data?.createApiKey.secret;
    expect(newSecret).toMatch(/^tly_/);
    const keyed = await server.gql(
      'query KeyedWorkspace { workspace { id } }',
      {},
      { headers: { 'x-api-key': secret } },
    );
    expect(keyed.data).toEqual({ workspace: { id: teamId } });
    await server.gql('{ __typename }');
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });

    const completed = lines.filter((line) => line['msg'] === 'request completed');
    expect(completed.find((line) => line['reqId'] === requestId)).toMatchObject({
      operationName: 'CreateKey',
      principal: 'user',
      userId: owner.id,
      workspaceId: teamId,
    });
    expect(completed.find((line) => line['operationName'] === 'KeyedWorkspace')).toMatchObject({
      reqId: expect.any(String),
      principal: 'apiKey',
      workspaceId: teamId,
      apiKeyId: expect.any(String),
    });
    expect(completed.some((line) => line['principal'] === 'anonymous')).toBe(true);
    const logged = JSON.stringify(lines);
    for (const secretValue of [secret, newSecret ?? 'missing', owner.accessToken, owner.password, TOKEN]) {
      expect(logged).not.toContain(secretValue);
    }
  });
});

describe('operation labels that made-up names cannot take', () => {
  it("keeps the dashboard's own operations and METRICS_OPERATION_NAMES after 200 junk names", async () => {
    // Issue 16, §6: 200 made-up names took every slot, and the dashboard's AnalyticsOverview became __other.
    const server = await startTestServer({
      METRICS_TOKEN: TOKEN,
      METRICS_OPERATION_NAMES: 'PartnerSync, NightlyReport',
    });
    try {
      const junk = Array.from({ length: 200 }, (_, i) => `Junk${i}x${randomUUID().slice(0, 8)}`);
      for (let i = 0; i < junk.length; i += 20) {
        const answers = await Promise.all(
          junk.slice(i, i + 20).map((name) => server.gql(`query ${name} { __typename }`)),
        );
        for (const answer of answers) expect(answer.data).toEqual({ __typename: 'Query' });
      }
      // The dashboard's own name (from the build's graphql-operations.json), and a configured one.
      for (const name of ['AnalyticsOverview', 'PartnerSync']) {
        expect((await server.gql(`query ${name} { __typename }`)).data).toEqual({ __typename: 'Query' });
      }
      const text = await scrape(`${server.url}/metrics`);
      expect(sample(text, 'tally_graphql_requests_total', { operation: 'AnalyticsOverview', outcome: 'ok' })).toBe(1);
      expect(sample(text, 'tally_graphql_requests_total', { operation: 'PartnerSync', outcome: 'ok' })).toBe(1);
      // The junk is still bounded: 100 labels at most, the rest under __other.
      const labels = new Set(text.match(/operation="Junk[^"]*"/g) ?? []);
      expect(labels.size).toBeLessThanOrEqual(100);
      expect(sample(text, 'tally_graphql_requests_total', { operation: '__other', outcome: 'ok' })).toBe(
        200 - labels.size,
      );
    } finally {
      await server.close();
    }
  });
});

describe('without METRICS_TOKEN', () => {
  it('serves /metrics only on METRICS_PORT, on loopback, and not on the public port', async () => {
    const server = await startTestServer({ METRICS_PORT: '0' });
    try {
      const own = server.tally.metricsUrl;
      if (!own) throw new Error('no metrics listener');
      expect(new URL(own).hostname).toBe('127.0.0.1');
      expect(new URL(own).port).not.toBe(new URL(server.url).port);
      const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('tally_');
      await server.gql('query Ping { __typename }');
      expect(
        sample(await scrape(own, undefined), 'tally_graphql_requests_total', { operation: 'Ping', outcome: 'ok' }),
      ).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('serves no /metrics at all with neither setting', async () => {
    const server = await startTestServer();
    try {
      expect(server.tally.metricsUrl).toBeNull();
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
