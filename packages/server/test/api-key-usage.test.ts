import { randomUUID } from 'node:crypto';
import { LIMITS } from '@tally/shared';
import { purgeApiKeyUsage } from '../src/modules/api-keys/api-key-usage';
import { ConfigError, loadConfig } from '../src/platform/config';
import { postEvents } from './analytics-fixtures';
import { createKey, createRoleTeam, type RoleTeam } from './factories';
import { codeOf, startTestServer, type TestServer } from './harness';

/**
 * Per-key usage (API keys issue, part 2): what each key did per day, counted in memory and
 * written in batches; `ApiKey.usage`, `eventsLast7Days` and `rateLimits`; the per-key limits an
 * ADMIN sets within the server's maximum, applied by ingest without a lookup per request.
 */

let server: TestServer;
let team: RoleTeam;

// Low maximums, so tests can show a refusal above them.
const MAX_EVENTS = 50_000;
const MAX_QUERIES = 900;

beforeAll(async () => {
  server = await startTestServer({
    API_KEY_MAX_EVENTS_PER_MINUTE: String(MAX_EVENTS),
    API_KEY_MAX_QUERIES_PER_MINUTE: String(MAX_QUERIES),
    INGEST_EVENTS_PER_KEY_PER_MINUTE: '10000',
  });
  team = await createRoleTeam(server, 'Usage Team');
});
afterAll(() => server.close());

const USAGE = `query($w: ID, $id: ID!, $from: DateTime, $to: DateTime) {
  workspace(id: $w) {
    apiKey(id: $id) {
      id
      eventsLast7Days
      rateLimits { eventsPerMinute queriesPerMinute custom maxEventsPerMinute maxQueriesPerMinute }
      usage(from: $from, to: $to) {
        day eventsAccepted batchesRefusedRateLimit batchesRefusedInvalid requestsRefusedAddress graphqlRequests exports
      }
    }
  }
}`;

interface UsageDay {
  day: string;
  eventsAccepted: number;
  batchesRefusedRateLimit: number;
  batchesRefusedInvalid: number;
  requestsRefusedAddress: number;
  graphqlRequests: number;
  exports: number;
}
interface KeyUsage {
  id: string;
  eventsLast7Days: number;
  rateLimits: {
    eventsPerMinute: number;
    queriesPerMinute: number;
    custom: boolean;
    maxEventsPerMinute: number;
    maxQueriesPerMinute: number;
  };
  usage: UsageDay[];
}

async function usageOf(apiKeyId: string, token = team.owner.accessToken, range: { from?: string; to?: string } = {}) {
  return server.gql<{ workspace: { apiKey: KeyUsage } }>(USAGE, { w: team.teamId, id: apiKeyId, ...range }, { token });
}

/** Today's row of a key's usage, after this instance has written what it counted. */
async function today(apiKeyId: string): Promise<UsageDay> {
  await server.tally.services.apiKeyUsage.flush();
  const res = await usageOf(apiKeyId);
  expect(res.errors).toBeUndefined();
  const days = res.data?.workspace.apiKey?.usage ?? [];
  const last = days.at(-1);
  if (!last) throw new Error('no usage');
  expect(last.day.slice(0, 10)).toBe(new Date().toISOString().slice(0, 10));
  return last;
}

const SET_LIMITS = `mutation($w: ID!, $id: ID!, $events: Int, $queries: Int) {
  setApiKeyRateLimits(workspaceId: $w, apiKeyId: $id, eventsPerMinute: $events, queriesPerMinute: $queries) {
    id rateLimits { eventsPerMinute queriesPerMinute custom }
  }
}`;

function setLimits(
  apiKeyId: string,
  limits: { events?: number | null; queries?: number | null },
  token = team.admin.accessToken,
  workspaceId = team.teamId,
) {
  return server.gql<{ setApiKeyRateLimits: { id: string; rateLimits: KeyUsage['rateLimits'] } }>(
    SET_LIMITS,
    { w: workspaceId, id: apiKeyId, ...limits },
    { token },
  );
}

const batch = (n: number) => ({
  events: Array.from({ length: n }, () => ({ sessionId: `s-${randomUUID()}`, name: 'x' })),
});

describe('counting', () => {
  it('counts accepted events, batches refused as invalid, GraphQL requests and exports per key and day', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Sender', role: 'ADMIN' });
    const other = await createKey(server, team.owner, team.teamId, { name: 'Idle', role: 'EDITOR' });
    expect((await postEvents(server, key.secret, batch(3))).status).toBe(202);
    expect((await postEvents(server, key.secret, batch(4))).status).toBe(202);
    expect((await postEvents(server, key.secret, { events: [{ name: 'no session' }] })).status).toBe(400);
    const old = new Date(Date.now() - 900 * 86_400_000).toISOString();
    expect(
      (await postEvents(server, key.secret, { events: [{ sessionId: 's', name: 'x', timestamp: old }] })).status,
    ).toBe(400);
    for (let i = 0; i < 2; i++) {
      const res = await server.gql(`query { workspace { id } }`, {}, { token: key.secret });
      expect(res.errors).toBeUndefined();
    }
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const exported = await fetch(
      `${server.url}/v1/export/events?${new URLSearchParams({ workspaceId: team.teamId, from, to: new Date().toISOString(), format: 'ndjson' }).toString()}`,
      { headers: { authorization: `Bearer ${key.secret}` } },
    );
    expect(exported.status).toBe(200);
    await exported.text();

    expect(await today(key.apiKey.id)).toMatchObject({
      eventsAccepted: 7,
      batchesRefusedInvalid: 2,
      batchesRefusedRateLimit: 0,
      requestsRefusedAddress: 0,
      graphqlRequests: 2,
      exports: 1,
    });
    const idle = await usageOf(other.apiKey.id);
    expect(idle.data?.workspace.apiKey?.eventsLast7Days).toBe(0);
    expect(idle.data?.workspace.apiKey?.usage.every((d) => d.eventsAccepted === 0 && d.graphqlRequests === 0)).toBe(
      true,
    );
    const sender = await usageOf(key.apiKey.id);
    expect(sender.data?.workspace.apiKey?.eventsLast7Days).toBe(7);
    // Default range: the 30 days up to today, every day present.
    expect(sender.data?.workspace.apiKey?.usage).toHaveLength(30);
  });

  it('counts an OpenTelemetry export that cannot be read as a refused bad batch, and a readable one as events', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Agent', role: 'EDITOR' });
    const otlp = (body: string | Buffer, headers: Record<string, string>) =>
      fetch(`${server.url}/otlp/v1/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, ...headers },
        body,
      });
    // Not gzip although it says so; a type OTLP has not; protobuf that does not decode.
    expect((await otlp('{}', { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await otlp('{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await otlp(Buffer.from([0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' })).status).toBe(
      400,
    );
    const record = {
      timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
      body: { stringValue: 'claude_code.tool_result' },
      attributes: [
        { key: 'event.name', value: { stringValue: 'tool_result' } },
        { key: 'session.id', value: { stringValue: `otlp-${randomUUID()}` } },
        { key: 'tool_name', value: { stringValue: 'Read' } },
      ],
    };
    const readable = await otlp(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] }), {
      'content-type': 'application/json',
    });
    expect(readable.status).toBe(200);
    expect(await today(key.apiKey.id)).toMatchObject({ batchesRefusedInvalid: 3, eventsAccepted: 1 });
  });

  it("counts a request refused by the key's IP allowlist as a refused use", async () => {
    const key = await createKey(server, team.owner, team.teamId, {
      name: 'Office only',
      role: 'EDITOR',
      allowedIps: ['10.0.0.0/8'],
    });
    const refused = await postEvents(server, key.secret, batch(1));
    expect(refused.status).toBe(401);
    const gql = await server.gql(`query { workspace { id } }`, {}, { token: key.secret });
    expect(codeOf(gql)).toBe('UNAUTHENTICATED');
    expect(await today(key.apiKey.id)).toMatchObject({
      requestsRefusedAddress: 2,
      eventsAccepted: 0,
      graphqlRequests: 0,
    });
  });

  it('writes nothing per request: counts reach the table on flush, added to what is there', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Batched', role: 'EDITOR' });
    await server.tally.services.apiKeyUsage.flush();
    expect((await postEvents(server, key.secret, batch(2))).status).toBe(202);
    const before: Array<{ n: string }> = await server.tally.db.query(
      `SELECT count(*) AS n FROM api_key_usage WHERE api_key_id = $1`,
      [key.apiKey.id],
    );
    // Not written on the request's path (the flush interval is a second).
    expect(Number(before[0]?.n)).toBe(0);
    await server.tally.services.apiKeyUsage.flush();
    expect((await postEvents(server, key.secret, batch(5))).status).toBe(202);
    await server.tally.services.apiKeyUsage.flush();
    const rows: Array<{ events_accepted: string }> = await server.tally.db.query(
      `SELECT events_accepted FROM api_key_usage WHERE workspace_id = $1 AND api_key_id = $2`,
      [team.teamId, key.apiKey.id],
    );
    expect(rows.map((r) => Number(r.events_accepted))).toEqual([7]);
  });

  it('a graceful stop writes what was counted', async () => {
    const own = await startTestServer();
    try {
      const t = await createRoleTeam(own, 'Stopping');
      const key = await createKey(own, t.owner, t.teamId, { role: 'EDITOR' });
      expect((await postEvents(own, key.secret, batch(3))).status).toBe(202);
      const db = own.tally.db;
      // The database outlives the instance; read it with a connection of our own after close.
      const { Client } = await import('pg');
      await own.tally.close();
      const client = new Client({ connectionString: own.databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>(
          `SELECT events_accepted AS n FROM api_key_usage WHERE api_key_id = $1`,
          [key.apiKey.id],
        );
        expect(rows.map((r) => Number(r.n))).toEqual([3]);
      } finally {
        await client.end();
      }
      expect(db.isInitialized).toBe(false);
    } finally {
      await own.close();
    }
  });
});

describe('range and retention', () => {
  it('returns every day of a range, and refuses a range over 90 days or ending before it starts', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Ranged' });
    const to = new Date();
    const from = new Date(to.getTime() - (LIMITS.apiKeyUsageMaxDays - 1) * 86_400_000);
    const full = await usageOf(key.apiKey.id, team.owner.accessToken, {
      from: from.toISOString(),
      to: to.toISOString(),
    });
    expect(full.errors).toBeUndefined();
    expect(full.data?.workspace.apiKey?.usage).toHaveLength(LIMITS.apiKeyUsageMaxDays);

    const longer = new Date(from.getTime() - 86_400_000);
    const over = await usageOf(key.apiKey.id, team.owner.accessToken, {
      from: longer.toISOString(),
      to: to.toISOString(),
    });
    expect(codeOf(over)).toBe('BAD_USER_INPUT');
    expect(over.errors?.[0]?.extensions).toMatchObject({ field: 'from', maxDays: LIMITS.apiKeyUsageMaxDays });
    expect(over.data?.workspace ?? null).toBeNull();

    const backwards = await usageOf(key.apiKey.id, team.owner.accessToken, {
      from: to.toISOString(),
      to: from.toISOString(),
    });
    expect(codeOf(backwards)).toBe('BAD_USER_INPUT');
  });

  it('the purge deletes days older than 90 and keeps the rest', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Old' });
    await server.tally.db.query(
      `INSERT INTO api_key_usage (workspace_id, api_key_id, day, events_accepted)
       SELECT $1, $2, (now() AT TIME ZONE 'UTC')::date - d, 10 FROM unnest(ARRAY[0, 89, 90, 91, 400]) AS d`,
      [team.teamId, key.apiKey.id],
    );
    const result = await purgeApiKeyUsage(server.tally.db);
    expect(result.done).toBe(true);
    expect(result.deleted).toBeGreaterThanOrEqual(2);
    const rows: Array<{ age: number }> = await server.tally.db.query(
      `SELECT ((now() AT TIME ZONE 'UTC')::date - day) AS age FROM api_key_usage WHERE api_key_id = $1 ORDER BY age`,
      [key.apiKey.id],
    );
    expect(rows.map((r) => r.age)).toEqual([0, 89, 90]);
    // Its job is scheduled on the queue.
    const scheduled: Array<{ name: string }> = await server.tally.db.query(
      `SELECT name FROM pgboss.schedule WHERE name = 'api-keys.purge-usage'`,
    );
    expect(scheduled).toHaveLength(1);
  });
});

describe('per-key limits', () => {
  it('shows the server defaults and maximums until a key has its own', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Defaults' });
    const res = await usageOf(key.apiKey.id, team.viewer.accessToken);
    expect(res.errors).toBeUndefined();
    expect(res.data?.workspace.apiKey?.rateLimits).toEqual({
      eventsPerMinute: 10_000,
      queriesPerMinute: 600,
      custom: false,
      maxEventsPerMinute: MAX_EVENTS,
      maxQueriesPerMinute: MAX_QUERIES,
    });
  });

  it('a lowered limit takes effect at once: 429 RATE_LIMITED, counted as a refused batch; audited', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Throttled', role: 'EDITOR' });
    expect((await postEvents(server, key.secret, batch(1))).status).toBe(202);
    const set = await setLimits(key.apiKey.id, { events: 3 });
    expect(set.errors).toBeUndefined();
    expect(set.data?.setApiKeyRateLimits.rateLimits).toEqual({
      eventsPerMinute: 3,
      queriesPerMinute: 600,
      custom: true,
    });

    expect((await postEvents(server, key.secret, batch(2))).status).toBe(202);
    const refused = await postEvents(server, key.secret, batch(2));
    expect(refused.status).toBe(429);
    expect(refused.body['error']).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await today(key.apiKey.id)).toMatchObject({ eventsAccepted: 3, batchesRefusedRateLimit: 1 });

    // Raised again within the maximum: taken at once.
    expect((await setLimits(key.apiKey.id, { events: 20_000 })).errors).toBeUndefined();
    expect((await postEvents(server, key.secret, batch(5))).status).toBe(202);

    const audit = await server.gql<{
      workspace: { auditLog: { nodes: Array<{ action: string; details: Record<string, unknown> }> } };
    }>(
      `query($w: ID) { workspace(id: $w) { auditLog(first: 20) { nodes { action details } } } }`,
      { w: team.teamId },
      {
        token: team.owner.accessToken,
      },
    );
    const entries = audit.data?.workspace.auditLog.nodes.filter((n) => n.action === 'api_key.rate_limits_changed');
    expect(entries?.map((e) => e.details['after'])).toEqual(
      expect.arrayContaining([
        { eventsPerMinute: 3, queriesPerMinute: null },
        { eventsPerMinute: 20_000, queriesPerMinute: null },
      ]),
    );
    // The same limits again record nothing.
    const before = entries?.length ?? 0;
    await setLimits(key.apiKey.id, { events: 20_000 });
    const again = await server.gql<{
      workspace: { auditLog: { nodes: Array<{ action: string }> } };
    }>(
      `query($w: ID) { workspace(id: $w) { auditLog(first: 20) { nodes { action } } } }`,
      { w: team.teamId },
      {
        token: team.owner.accessToken,
      },
    );
    expect(again.data?.workspace.auditLog.nodes.filter((n) => n.action === 'api_key.rate_limits_changed')).toHaveLength(
      before,
    );
  });

  it("a key's own analytics limit applies to its GraphQL analytics queries", async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Reporter', role: 'VIEWER' });
    expect((await setLimits(key.apiKey.id, { queries: 2 })).errors).toBeUndefined();
    const RANGE = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() };
    const q = `query($range: DateRangeInput!) { workspace { analytics(range: $range) { overview { events } } } }`;
    for (let i = 0; i < 2; i++) {
      const ok = await server.gql(q, { range: RANGE }, { token: key.secret });
      expect(ok.errors).toBeUndefined();
    }
    const limited = await server.gql(q, { range: RANGE }, { token: key.secret });
    expect(codeOf(limited)).toBe('RATE_LIMITED');
  });

  it('refuses a limit under 1 or over the maximum with BAD_USER_INPUT naming the field', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Bounded' });
    for (const [limits, field] of [
      [{ events: 0 }, 'eventsPerMinute'],
      [{ events: MAX_EVENTS + 1 }, 'eventsPerMinute'],
      [{ queries: -5 }, 'queriesPerMinute'],
      [{ queries: MAX_QUERIES + 1 }, 'queriesPerMinute'],
    ] as const) {
      const res = await setLimits(key.apiKey.id, limits);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.['field']).toBe(field);
    }
    const max = await setLimits(key.apiKey.id, { events: MAX_EVENTS, queries: MAX_QUERIES });
    expect(max.data?.setApiKeyRateLimits.rateLimits).toEqual({
      eventsPerMinute: MAX_EVENTS,
      queriesPerMinute: MAX_QUERIES,
      custom: true,
    });
    // Null: back to the server's defaults.
    const reset = await setLimits(key.apiKey.id, { events: null, queries: null });
    expect(reset.data?.setApiKeyRateLimits.rateLimits).toEqual({
      eventsPerMinute: 10_000,
      queriesPerMinute: 600,
      custom: false,
    });
  });
});

describe('settings', () => {
  it('the maximums default to ten times the defaults, and may not be set below them', () => {
    expect(loadConfig({ INGEST_EVENTS_PER_KEY_PER_MINUTE: '1000' }).apiKeyLimitMaximums).toEqual({
      eventsPerMinute: 10_000,
      queriesPerMinute: 6_000,
    });
    expect(
      loadConfig({ API_KEY_MAX_EVENTS_PER_MINUTE: '400000', API_KEY_MAX_QUERIES_PER_MINUTE: '600' })
        .apiKeyLimitMaximums,
    ).toEqual({ eventsPerMinute: 400_000, queriesPerMinute: 600 });
    for (const [env, message] of [
      [
        { API_KEY_MAX_EVENTS_PER_MINUTE: '1000' },
        /^API_KEY_MAX_EVENTS_PER_MINUTE: must be at least INGEST_EVENTS_PER_KEY_PER_MINUTE \(300000\)/,
      ],
      [
        { API_KEY_MAX_QUERIES_PER_MINUTE: '10' },
        /^API_KEY_MAX_QUERIES_PER_MINUTE: must be at least ANALYTICS_QUERIES_PER_MINUTE \(600\)/,
      ],
      [{ API_KEY_MAX_QUERIES_PER_MINUTE: 'many' }, /^API_KEY_MAX_QUERIES_PER_MINUTE: /],
    ] as const) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(message)]);
    }
  });
});

describe('permissions', () => {
  it('EDITOR and VIEWER cannot set limits (FORBIDDEN); OWNER and ADMIN can; keys cannot', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Guarded', role: 'ADMIN' });
    for (const member of [team.editor, team.viewer]) {
      const res = await setLimits(key.apiKey.id, { events: 10 }, member.accessToken);
      expect(codeOf(res)).toBe('FORBIDDEN');
      expect(res.data ?? null).toBeNull();
    }
    const byKey = await setLimits(key.apiKey.id, { events: 10 }, key.secret);
    expect(codeOf(byKey)).toBe('FORBIDDEN');
    expect((await setLimits(key.apiKey.id, { events: 10 }, team.owner.accessToken)).errors).toBeUndefined();
    expect((await setLimits(key.apiKey.id, { events: 11 }, team.admin.accessToken)).errors).toBeUndefined();
    const rows: Array<{ events_per_minute: number }> = await server.tally.db.query(
      `SELECT events_per_minute FROM api_keys WHERE id = $1`,
      [key.apiKey.id],
    );
    expect(rows[0]?.events_per_minute).toBe(11);
  });

  it("another workspace's key is NOT_FOUND, and a stranger gets NOT_FOUND", async () => {
    const elsewhere = await createRoleTeam(server, 'Elsewhere');
    const theirs = await createKey(server, elsewhere.owner, elsewhere.teamId, { name: 'Theirs' });
    // Our ADMIN, naming our workspace and their key.
    const wrong = await setLimits(theirs.apiKey.id, { events: 5 });
    expect(codeOf(wrong)).toBe('NOT_FOUND');
    // Their workspace, where we hold no role.
    const stranger = await setLimits(theirs.apiKey.id, { events: 5 }, team.admin.accessToken, elsewhere.teamId);
    expect(codeOf(stranger)).toBe('NOT_FOUND');
    const rows: Array<{ events_per_minute: number | null }> = await server.tally.db.query(
      `SELECT events_per_minute FROM api_keys WHERE id = $1`,
      [theirs.apiKey.id],
    );
    expect(rows[0]?.events_per_minute).toBeNull();
    // Their key through our workspace: there is none.
    const read = await usageOf(theirs.apiKey.id);
    expect(codeOf(read)).toBe('NOT_FOUND');
    expect(read.data?.workspace ?? null).toBeNull();
  });

  it('usage needs keys.read: every member reads it, a key does not', async () => {
    const key = await createKey(server, team.owner, team.teamId, { name: 'Read', role: 'ADMIN' });
    for (const member of [team.owner, team.admin, team.editor, team.viewer]) {
      const res = await usageOf(key.apiKey.id, member.accessToken);
      expect(res.errors).toBeUndefined();
      expect(res.data?.workspace.apiKey?.id).toBe(key.apiKey.id);
    }
    const asKey = await usageOf(key.apiKey.id, key.secret);
    expect(codeOf(asKey)).toBe('FORBIDDEN');
    expect(asKey.data?.workspace ?? null).toBeNull();
    const stranger = await usageOf(key.apiKey.id, team.stranger.accessToken);
    expect(codeOf(stranger)).toBe('NOT_FOUND');
  });

  it('the key list reads eventsLast7Days for every key in one statement', async () => {
    // Calls through; only watched.
    const spy = jest.spyOn(server.tally.db, 'query');
    let queries: string[];
    try {
      const res = await server.gql<{ workspace: { apiKeys: Array<{ id: string; eventsLast7Days: number }> } }>(
        `query($w: ID) { workspace(id: $w) { apiKeys { id eventsLast7Days rateLimits { eventsPerMinute } } } }`,
        { w: team.teamId },
        { token: team.viewer.accessToken },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.workspace.apiKeys.length).toBeGreaterThan(3);
      queries = spy.mock.calls.map((call) => call[0]);
    } finally {
      spy.mockRestore();
    }
    expect(queries.filter((sql) => sql.includes('FROM api_key_usage'))).toHaveLength(1);
  });
});
