import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  InMemoryLogRecordExporter,
  type LogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { MAX_OTLP_BODY_BYTES } from '../src/modules/events/otlp/otlp.route';
import { decodeLogsResponse, decodeStatus } from '../src/modules/events/otlp/otlp-proto';
import { ANALYTICS, type AnalyticsResult, type UsageResult, storedEvents, storedSession } from './analytics-fixtures';
import { createKey, createKeySecret, createRoleTeam, createUser, type RoleTeam } from './factories';
import { type TestServer, startTestServer } from './harness';

// Issue 21, part 1: OpenTelemetry's own log exporters (JSON and protobuf, nobody here wrote them)
// send Claude-Code-shaped records to POST /otlp/v1/logs of a running Tally; they land as events
// of the key's workspace, on Tools & Usage and Sessions, once, on every event store.

let server: TestServer;
let team: RoleTeam;
let editorKey: string;
let viewerKey: string;

beforeAll(async () => {
  server = await startTestServer();
  team = await createRoleTeam(server, 'OTLP Team');
  [editorKey, viewerKey] = await Promise.all([
    createKeySecret(server, team.owner, team.teamId, 'EDITOR'),
    createKeySecret(server, team.owner, team.teamId, 'VIEWER'),
  ]);
});
afterAll(() => server.close());

const logsUrl = () => `${server.url}/otlp/v1/logs`;

/**
 * What Claude Code exports for one session, as its "Monitoring" documentation lists it: the
 * resource (service, OS), the standard attributes on every event (session, user, terminal),
 * `event.name` and `event.timestamp`, and each event's own attributes, as strings.
 */
async function claudeCodeSession(sessionId: string, account: string, start: number): Promise<ReadableLogRecord[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': 'claude-code',
      'service.version': '2.0.62',
      'os.type': 'linux',
      'host.arch': 'x64',
    }),
    processors: [new SimpleLogRecordProcessor(memory)],
  });
  const logger = provider.getLogger('com.anthropic.claude_code.events', '2.0.62');
  let offset = 0;
  const emit = (name: string, attributes: Record<string, string>) => {
    offset += 1000;
    const at = new Date(start + offset);
    logger.emit({
      timestamp: at,
      body: `claude_code.${name}`,
      attributes: {
        'session.id': sessionId,
        'user.id': 'anonymous-device-hash',
        'user.account_uuid': account,
        'organization.id': 'org-1',
        'terminal.type': 'vscode',
        'event.name': name,
        'event.timestamp': at.toISOString(),
        ...attributes,
      },
    });
  };
  emit('user_prompt', { prompt_length: '24', prompt: '<REDACTED>' });
  emit('tool_decision', { tool_name: 'Bash', decision: 'accept', source: 'config' });
  emit('tool_result', { tool_name: 'Bash', success: 'true', duration_ms: '100', tool_result_size_bytes: '294' });
  emit('tool_result', { tool_name: 'Bash', success: 'true', duration_ms: '300' });
  emit('tool_result', { tool_name: 'Bash', success: 'false', duration_ms: '200', error: 'exit code 1' });
  emit('tool_result', { tool_name: 'Read', success: 'true', duration_ms: '10' });
  emit('tool_result', { tool_name: 'Read', success: 'true', duration_ms: '30' });
  emit('api_request', {
    model: 'claude-sonnet-4-5',
    cost_usd: '0.0187',
    duration_ms: '845',
    input_tokens: '372',
    output_tokens: '32',
    cache_read_tokens: '31133',
    cache_creation_tokens: '156',
  });
  emit('api_error', {
    model: 'claude-sonnet-4-5',
    error: 'Overloaded',
    status_code: '529',
    duration_ms: '1500',
    attempt: '1',
  });
  await provider.forceFlush();
  const records = memory.getFinishedLogRecords();
  await provider.shutdown();
  return [...records];
}

/** Hands records to an exporter, as its processor would, and resolves with its result. */
function exportWith(exporter: LogRecordExporter, records: ReadableLogRecord[]): Promise<ExportResult> {
  return new Promise((resolve) => {
    exporter.export(records, resolve);
  });
}

async function toolsUsage(
  workspaceId: string,
  token: string,
  range: { from: string; to: string },
): Promise<AnalyticsResult> {
  const res = await server.gql<{ workspace: { analytics: AnalyticsResult } }>(
    ANALYTICS,
    { w: workspaceId, range, first: 100, limit: 100 },
    { token },
  );
  const result = res.data?.workspace.analytics;
  if (!result) throw new Error(`analytics failed: ${JSON.stringify(res.errors)}`);
  return result;
}

const row = (usage: UsageResult[], name: string, type: string) =>
  usage.find((entry) => entry.name === name && entry.type === type);

describe('OpenTelemetry log exporters send Claude Code events', () => {
  it.each([
    ['protobuf', () => new OTLPProtoLogExporter({ url: logsUrl(), headers: { Authorization: `Bearer ${editorKey}` } })],
    [
      'JSON, gzip',
      () =>
        new OTLPJsonLogExporter({
          url: logsUrl(),
          headers: { Authorization: `Bearer ${editorKey}` },
          compression: CompressionAlgorithm.GZIP,
        }),
    ],
  ])(
    "over %s: tools, durations, error rates, models and the session show in the key's workspace",
    async (encoding, make) => {
      const sessionId = `claude-${randomUUID()}`;
      const account = `acc-${randomUUID()}`;
      // A day of its own, so the ranges of the two cases see only their own events.
      const start = Date.now() - (encoding === 'protobuf' ? 3 : 2) * 86_400_000;
      const records = await claudeCodeSession(sessionId, account, start);
      const exporter = make();
      const result = await exportWith(exporter, records);
      await exporter.shutdown();
      expect(result.error).toBeUndefined();
      expect(result.code).toBe(ExportResultCode.SUCCESS);

      const range = { from: new Date(start).toISOString(), to: new Date(start + 60_000).toISOString() };
      const analytics = await toolsUsage(team.teamId, team.viewer.accessToken, range);
      const usage = analytics.toolsUsage;
      expect(row(usage, 'Bash', 'tool_call')).toMatchObject({ count: 3, sessions: 1, avgDurationMs: 200 });
      expect(row(usage, 'Bash', 'tool_call')?.errorRate).toBeCloseTo(1 / 3, 5);
      expect(row(usage, 'Read', 'tool_call')).toMatchObject({ count: 2, errorRate: 0, avgDurationMs: 20 });
      expect(row(usage, 'claude-sonnet-4-5', 'api_request')).toMatchObject({ count: 2, errorRate: 0.5 });
      expect(row(usage, 'prompt', 'prompt')).toMatchObject({ count: 1 });
      expect(row(usage, 'Bash', 'tool_decision')).toMatchObject({ count: 1 });
      expect(analytics.overview).toMatchObject({ sessions: 1, events: 9, users: 1, errors: 2 });

      const session = analytics.sessions.nodes.find((node) => node.id === sessionId);
      expect(session).toMatchObject({ userId: account, eventCount: 9, errorCount: 2 });
      expect(session?.attributes).toMatchObject({
        'service.name': 'claude-code',
        'service.version': '2.0.62',
        'os.type': 'linux',
        'terminal.type': 'vscode',
        'organization.id': 'org-1',
      });
      const apiRequest = analytics.activity.nodes.find((node) => node.type === 'api_request' && node.status === 'ok');
      expect(apiRequest).toMatchObject({
        name: 'claude-sonnet-4-5',
        durationMs: 845,
        userId: account,
        properties: {
          cost_usd: 0.0187,
          input_tokens: 372,
          output_tokens: 32,
          cache_read_tokens: 31133,
          cache_creation_tokens: 156,
        },
      });
      // The prompt's text was redacted by the client: not stored.
      const prompt = analytics.activity.nodes.find((node) => node.type === 'prompt');
      expect(prompt?.properties).toEqual({ prompt_length: 24 });
    },
  );

  it("through the SDK pipeline (LoggerProvider, batch processor, exporter), into the key's workspace only", async () => {
    const other = await createRoleTeam(server, 'OTLP Other');
    const otherKey = await createKeySecret(server, other.owner, other.teamId, 'ADMIN');
    const sessionId = `pipeline-${randomUUID()}`;
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'my-agent' }),
      processors: [
        new BatchLogRecordProcessor(
          new OTLPProtoLogExporter({ url: logsUrl(), headers: { Authorization: `Bearer ${otherKey}` } }),
        ),
      ],
    });
    const logger = provider.getLogger('my-agent');
    logger.emit({ body: 'started', attributes: { 'session.id': sessionId } });
    logger.emit({ attributes: { 'session.id': sessionId, 'event.name': 'step', duration_ms: 5, success: false } });
    await provider.forceFlush();
    await provider.shutdown();
    const events = (await storedEvents(server, other.teamId)).filter((event) => event.sessionId === sessionId);
    expect(
      events
        .map(({ name, type, status, durationMs }) => ({ name, type, status, durationMs }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      { name: 'started', type: 'custom', status: null, durationMs: null },
      { name: 'step', type: 'custom', status: 'error', durationMs: 5 },
    ]);
    // Not in the team whose key did not send them.
    expect((await storedEvents(server, team.teamId)).some((event) => event.sessionId === sessionId)).toBe(false);
    expect(await storedSession(server, other.teamId, sessionId)).toMatchObject({
      attributes: { 'service.name': 'my-agent' },
    });
  });
});

/** The body a real exporter would send for `records`, in both encodings. */
function bodiesOf(records: ReadableLogRecord[]): { json: Uint8Array; protobuf: Uint8Array } {
  const json = JsonLogsSerializer.serializeRequest(records);
  const protobuf = ProtobufLogsSerializer.serializeRequest(records);
  if (!json || !protobuf) throw new Error('serialization failed');
  return { json, protobuf };
}

function post(
  body: Uint8Array | string,
  options: { key?: string | null; type?: string; encoding?: string; url?: string; header?: 'x-api-key' } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': options.type ?? 'application/json' };
  const key = options.key === undefined ? editorKey : options.key;
  if (key !== null && options.header === 'x-api-key') headers['x-api-key'] = key;
  else if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.encoding) headers['content-encoding'] = options.encoding;
  return fetch(options.url ?? logsUrl(), { method: 'POST', headers, body });
}

const PROTOBUF = 'application/x-protobuf';

async function eventsOf(sessionId: string) {
  return (await storedEvents(server, team.teamId)).filter((event) => event.sessionId === sessionId);
}

async function otlpRecords(result: string): Promise<number> {
  const metric = await server.tally.metrics.registry.getSingleMetric('tally_otlp_log_records_total')?.get();
  return metric?.values.find((value) => value.labels['result'] === result)?.value ?? 0;
}

describe('exactly once', () => {
  it('a retried export is stored once, whether it comes again as JSON or as protobuf', async () => {
    const sessionId = `retry-${randomUUID()}`;
    const records = await claudeCodeSession(sessionId, 'acc-retry', Date.now() - 3_600_000);
    const { json, protobuf } = bodiesOf(records);
    const duplicatesBefore = await otlpRecords('duplicate');

    const first = await post(json);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('application/json');
    expect(await first.json()).toEqual({});
    expect(await eventsOf(sessionId)).toHaveLength(9);

    expect((await post(json)).status).toBe(200);
    const again = await post(protobuf, { type: PROTOBUF });
    expect(again.status).toBe(200);
    expect(again.headers.get('content-type')).toContain(PROTOBUF);
    expect(decodeLogsResponse(new Uint8Array(await again.arrayBuffer()))).toEqual({});
    expect(await eventsOf(sessionId)).toHaveLength(9);
    expect((await otlpRecords('duplicate')) - duplicatesBefore).toBe(18);
  });

  it('an export larger than one /v1/events batch is stored in batches, each record once', async () => {
    const sessionId = `big-${randomUUID()}`;
    const at = Date.now() - 120_000;
    const logRecords = Array.from({ length: 1500 }, (_, i) => ({
      timeUnixNano: `${at + i}000000`,
      body: { stringValue: 'tick' },
      attributes: [
        { key: 'session.id', value: { stringValue: sessionId } },
        { key: 'i', value: { intValue: String(i) } },
      ],
    }));
    const body = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] });
    expect((await post(body)).status).toBe(200);
    expect((await post(body)).status).toBe(200);
    expect(await eventsOf(sessionId)).toHaveLength(1500);
    expect(await storedSession(server, team.teamId, sessionId)).toMatchObject({ eventCount: 1500 });
  });

  it('records without a time are deduplicated too (stored at their arrival)', async () => {
    const sessionId = `untimed-${randomUUID()}`;
    const body = JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  body: { stringValue: 'ping' },
                  attributes: [{ key: 'session.id', value: { stringValue: sessionId } }],
                },
              ],
            },
          ],
        },
      ],
    });
    expect((await post(body)).status).toBe(200);
    // The key in X-API-Key, as SDKs send it, works as well.
    expect((await post(body, { header: 'x-api-key' })).status).toBe(200);
    expect(await eventsOf(sessionId)).toHaveLength(1);
  });
});

describe('partial success', () => {
  it('a record outside the timestamp window is refused alone, counted and explained in partialSuccess', async () => {
    const sessionId = `partial-${randomUUID()}`;
    const record = (nanos: string) => ({
      timeUnixNano: nanos,
      body: { stringValue: 'tick' },
      attributes: [{ key: 'session.id', value: { stringValue: sessionId } }],
    });
    const now = `${Date.now()}000000`;
    const body = JSON.stringify({
      resourceLogs: [{ scopeLogs: [{ logRecords: [record(now), record('946684800000000000')] }] }],
    });
    const refusedBefore = await otlpRecords('refused');
    const res = await post(body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string } };
    expect(answer.partialSuccess?.rejectedLogRecords).toBe('1');
    expect(answer.partialSuccess?.errorMessage).toMatch(/1 of 2 log records refused: a record's time must lie between/);
    expect(await eventsOf(sessionId)).toHaveLength(1);
    expect((await otlpRecords('refused')) - refusedBefore).toBe(1);

    // The same answer in protobuf.
    const gzipped = gzipSync(bodiesOf(await claudeCodeSession(sessionId, 'acc', Date.UTC(2000, 0, 1))).protobuf);
    const proto = await post(gzipped, { type: PROTOBUF, encoding: 'gzip' });
    expect(proto.status).toBe(200);
    expect(decodeLogsResponse(new Uint8Array(await proto.arrayBuffer()))).toMatchObject({
      partialSuccess: { rejectedLogRecords: 9, errorMessage: expect.stringContaining('9 of 9 log records refused') },
    });
  });
});

describe('refusals: the status the OTLP specification gives, a Status body, nothing stored', () => {
  const oneRecord = (sessionId: string) =>
    JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { body: { stringValue: 'x' }, attributes: [{ key: 'session.id', value: { stringValue: sessionId } }] },
              ],
            },
          ],
        },
      ],
    });

  it('no key 401, a bad key 401, a VIEWER key 403, a revoked key 401, a user token 403', async () => {
    const sessionId = `refused-${randomUUID()}`;
    const body = oneRecord(sessionId);
    const none = await post(body, { key: null });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ code: 16, message: expect.stringContaining('Send an API key') });
    expect((await post(body, { key: `tly_${'a'.repeat(49)}` })).status).toBe(401);
    const viewer = await post(body, { key: viewerKey });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toMatchObject({ code: 7, message: expect.stringContaining('events.track') });
    expect((await post(body, { key: team.owner.accessToken })).status).toBe(403);

    const revoked = await createKey(server, team.owner, team.teamId, { role: 'EDITOR', name: 'Revoked' });
    expect((await post(oneRecord(`${sessionId}-ok`), { key: revoked.secret })).status).toBe(200);
    const res = await server.gql(
      `mutation($workspaceId: ID!, $apiKeyId: ID!) { revokeApiKey(workspaceId: $workspaceId, apiKeyId: $apiKeyId) { id } }`,
      { workspaceId: team.teamId, apiKeyId: revoked.apiKey.id },
      { token: team.owner.accessToken },
    );
    expect(res.errors).toBeUndefined();
    const afterRevoke = await post(body, { key: revoked.secret, type: PROTOBUF });
    expect(afterRevoke.status).toBe(401);
    expect(decodeStatus(new Uint8Array(await afterRevoke.arrayBuffer()))).toMatchObject({ code: 16 });
    expect(await eventsOf(sessionId)).toHaveLength(0);
  });

  it('the exporter gets a failure for a refused key, and does not retry it', async () => {
    const exporter = new OTLPProtoLogExporter({ url: logsUrl(), headers: { Authorization: `Bearer ${viewerKey}` } });
    const started = Date.now();
    const result = await exportWith(exporter, await claudeCodeSession(`viewer-${randomUUID()}`, 'acc', Date.now()));
    await exporter.shutdown();
    expect(result.code).toBe(ExportResultCode.FAILED);
    // Retries back off for seconds; a refusal it does not retry comes back at once.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('malformed protobuf or JSON: 400, nothing stored', async () => {
    const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
    const proto = await post(garbage, { type: PROTOBUF });
    expect(proto.status).toBe(400);
    expect(proto.headers.get('content-type')).toContain(PROTOBUF);
    expect(decodeStatus(new Uint8Array(await proto.arrayBuffer()))).toMatchObject({
      code: 3,
      message: expect.stringContaining('not a protobuf ExportLogsServiceRequest'),
    });
    const json = await post('{"resourceLogs": [');
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ code: 3 });
    const wrongShape = await post(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: 'x' }] }] }));
    expect(wrongShape.status).toBe(400);
    expect(await wrongShape.json()).toMatchObject({
      message: expect.stringContaining('resourceLogs.0.scopeLogs.0.logRecords'),
    });
    const notGzip = await post(oneRecord('x'), { encoding: 'gzip' });
    expect(notGzip.status).toBe(400);
    expect((await post(oneRecord('x'), { encoding: 'br' })).status).toBe(415);
    expect((await post(oneRecord('x'), { type: 'text/plain' })).status).toBe(415);
  });

  it('a gzip bomb is 413 once it inflates past the bound; a body over the size limit is 413', async () => {
    const sessionId = `bomb-${randomUUID()}`;
    // 64 MiB of one record's JSON padding, a few dozen KiB compressed.
    const padding = ' '.repeat(64 * 1024 * 1024);
    const bomb = gzipSync(`${oneRecord(sessionId).slice(0, -1)}${padding}}`);
    expect(bomb.length).toBeLessThan(MAX_OTLP_BODY_BYTES);
    const res = await post(bomb, { encoding: 'gzip' });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 8, message: expect.stringContaining('inflates to more than') });
    const big = await post(new Uint8Array(MAX_OTLP_BODY_BYTES + 1), { type: PROTOBUF });
    expect(big.status).toBe(413);
    expect(await eventsOf(sessionId)).toHaveLength(0);
  });

  it("over the key's events per minute: 429 with Retry-After (exporters retry it), nothing stored", async () => {
    const limited = await startTestServer({ INGEST_EVENTS_PER_KEY_PER_MINUTE: '5' });
    try {
      const owner = await createUser(limited);
      const { secret } = await createKey(limited, owner, owner.personalWorkspaceId, { role: 'EDITOR' });
      const sessionId = `limited-${randomUUID()}`;
      const { protobuf } = bodiesOf(await claudeCodeSession(sessionId, 'acc', Date.now() - 60_000));
      const res = await post(protobuf, { key: secret, type: PROTOBUF, url: `${limited.url}/otlp/v1/logs` });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(decodeStatus(new Uint8Array(await res.arrayBuffer()))).toMatchObject({ code: 8 });
      expect(await limited.tally.services.events.session(owner.personalWorkspaceId, sessionId)).toBeNull();
    } finally {
      await limited.close();
    }
  });

  it('metrics and traces: a clear "send logs", with a status exporters do not retry (not 404)', async () => {
    for (const signal of ['metrics', 'traces']) {
      const res = await post('{}', { url: `${server.url}/otlp/v1/${signal}` });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ code: 12, message: expect.stringContaining('send logs to /otlp/v1/logs') });
    }
  });
});
