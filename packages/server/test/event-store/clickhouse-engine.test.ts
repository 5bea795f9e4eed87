import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Interval } from '@tally/shared';
import type { ClickHouseClient } from '@clickhouse/client';
import fc from 'fast-check';
import { loadConfig } from '../../src/platform/config';
import { ClickHouseEventStore } from '../../src/modules/events/clickhouse/clickhouse-event-store';
import { openClickHouse } from '../../src/modules/events/clickhouse/connection';
import { CLICKHOUSE_MIGRATIONS, migrateClickHouse } from '../../src/modules/events/clickhouse/schema';
import { exportPages } from '../../src/modules/events/clickhouse/export-pages';
import { ChParams, ChReads, tablesOf } from '../../src/modules/events/clickhouse/sql';
import type { AnalyticsQuery, EventBatch, EventInput, EventStore } from '../../src/modules/events/event-store';
import { serializeEvents } from '../../src/modules/events/export-format';
import { MemoryEventStore } from '../../src/modules/events/reference/memory-event-store';
import { createTally } from '../../src/server';
import { CHDB_SKIPPED, chdbAvailable, testClickHouseTarget } from '../drivers/clickhouse';
import { type TestServer, startSibling, startTestServer, testConfig } from '../harness';

/**
 * The ClickHouse engine's own mechanics, beside the contract suite (event-store.test.ts) that
 * holds its answers to the reference: dedupe where a crash or an expired claim leaves the ledger
 * and ClickHouse out of step, statements that carry the workspace only as a parameter, the
 * limits every read runs under, migrations under a lock, and a start that cannot reach ClickHouse.
 */
const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const suite = chdbAvailable ? describe : describe.skip;

suite(`the ClickHouse engine${chdbAvailable ? '' : ` — ${CHDB_SKIPPED}`}`, () => {
  let server: TestServer;
  let statements: string[];

  beforeAll(async () => {
    server = await startTestServer({ EVENTS_STORE: 'clickhouse' });
    // Every statement the store sends (the driver's probe wraps `query` and `exec` as well; this sees its calls).
    statements = [];
    const client = clickhouseOf(server);
    const query = client.query.bind(client);
    Reflect.set(client, 'query', (params: Parameters<ClickHouseClient['query']>[0]) => {
      statements.push(params.query);
      return query(params);
    });
    const exec = client.exec.bind(client);
    Reflect.set(client, 'exec', (params: Parameters<ClickHouseClient['exec']>[0]) => {
      statements.push(params.query);
      return exec(params);
    });
  });
  afterAll(() => server.close());

  const newWorkspace = async (): Promise<string> => {
    const rows: Array<{ id: string }> = await server.tally.db.query(
      `INSERT INTO workspaces (kind, name) VALUES ('TEAM', 'Engine') RETURNING id`,
    );
    return rows[0]?.id ?? '';
  };
  const event = (at: number, over: Partial<EventInput> = {}): EventInput => ({
    id: randomUUID(),
    clientId: true,
    clientTimestamp: true,
    timestamp: new Date(at),
    sessionId: 'engine-session',
    name: 'engine',
    type: 'custom',
    userId: null,
    durationMs: 5,
    status: null,
    properties: { n: 1 },
    ...over,
  });
  const range = (at: number) => ({ from: new Date(at - HOUR), to: new Date(at + HOUR), filters: [] });
  /** Forgets the batch's claims, as a transaction that never committed would have. */
  const forgetClaims = (workspaceId: string) =>
    server.tally.db.query('DELETE FROM event_ids WHERE workspace_id = $1', [workspaceId]);

  it('a retry after a crash between ClickHouse and the ledger counts once (lookup and dedupe token)', async () => {
    const ws = await newWorkspace();
    const at = Date.now() - 2 * HOUR;
    const batch: EventBatch = {
      events: Array.from({ length: 10 }, (_, i) => event(at + i, { clientTimestamp: i % 2 === 0 })),
      sessions: [],
    };
    expect(await server.tally.services.events.writeBatch(ws, batch)).toEqual({ stored: 10, duplicates: 0 });
    await forgetClaims(ws);
    // The client's retry: the events without a time come back received later.
    const retry: EventBatch = {
      ...batch,
      events: batch.events.map((e) =>
        e.clientTimestamp ? e : { ...e, timestamp: new Date(e.timestamp.getTime() + 700) },
      ),
    };
    const result = await server.tally.services.events.writeBatch(ws, retry);
    // The timed ones are found in ClickHouse; the others' insert is dropped by its token.
    expect(result.duplicates).toBeGreaterThanOrEqual(5);
    const overview = await server.tally.services.events.overview({ workspaceId: ws, ...range(at) }, Interval.HOUR);
    expect(overview.events).toBe(10);
    expect((await server.tally.services.events.session(ws, 'engine-session'))?.eventCount).toBe(10);
  });

  it('a copy with its time after its claim expired is still a duplicate; a new time is a new event', async () => {
    const ws = await newWorkspace();
    const at = Date.now() - 3 * HOUR;
    const batch: EventBatch = { events: [event(at), event(at + 1)], sessions: [] };
    await server.tally.services.events.writeBatch(ws, batch);
    await forgetClaims(ws);
    expect(await server.tally.services.events.writeBatch(ws, batch)).toEqual({ stored: 0, duplicates: 2 });
    const moved = { events: [{ ...batch.events[0], timestamp: new Date(at + 5) } as EventInput], sessions: [] };
    expect(await server.tally.services.events.writeBatch(ws, moved)).toEqual({ stored: 1, duplicates: 0 });
  });

  it('a failed insert claims nothing: the retry stores the batch', async () => {
    const ws = await newWorkspace();
    const at = Date.now() - 4 * HOUR;
    const batch: EventBatch = { events: [event(at), event(at + 1, { clientTimestamp: false })], sessions: [] };
    const client = clickhouseOf(server);
    const insert = jest.spyOn(client, 'insert').mockRejectedValueOnce(new Error('ClickHouse went away'));
    await expect(server.tally.services.events.writeBatch(ws, batch)).rejects.toThrow('ClickHouse went away');
    insert.mockRestore();
    const claims: Array<{ n: string }> = await server.tally.db.query(
      'SELECT count(*) AS n FROM event_ids WHERE workspace_id = $1',
      [ws],
    );
    expect(Number(claims[0]?.n)).toBe(0);
    expect(await server.tally.services.events.writeBatch(ws, batch)).toEqual({ stored: 2, duplicates: 0 });
  });

  /**
   * Batches that move what the rollups hold: a session's start into the day before, its user
   * (the empty string is a user id too) and then its user by attributes alone, a name's first
   * use into an earlier hour, and attributes of a session no event made.
   */
  const movingBatches = (day: number): EventBatch[] => {
    const at = (session: string, time: number, over: Partial<EventInput>) =>
      event(time, { sessionId: session, ...over });
    return [
      {
        events: [
          at('m', day + 20 * MINUTE, { userId: 'A', name: 'read' }),
          at('m', day + 50 * MINUTE, { name: 'write' }),
        ],
        sessions: [],
      },
      { events: [at('m', day - 10 * MINUTE, { name: 'write', userId: '' })], sessions: [] },
      { events: [], sessions: [{ id: 'm', userId: 'B', attributes: { app: 'cli' } }] },
      { events: [at('n', day + 30 * MINUTE, { userId: '', name: 'read', status: 'error' })], sessions: [] },
      { events: [], sessions: [{ id: 'ghost', userId: 'C', attributes: null }] },
      { events: [at('m', day + 2 * HOUR + 5 * MINUTE, { name: 'read', clientTimestamp: false })], sessions: [] },
    ];
  };
  /** Whole days, whole hours, and ragged ranges around the moves. */
  const movingRanges = (ws: string, day: number): AnalyticsQuery[] =>
    [
      [day - DAY, day + DAY],
      [day - HOUR, day + 3 * HOUR],
      [day - 15 * MINUTE, day + 25 * MINUTE],
      [day + 10 * MINUTE, day + 2 * HOUR + 7 * MINUTE],
      [day - DAY - 3 * MINUTE, day + 35 * MINUTE],
    ].map(([from, to]) => ({ workspaceId: ws, from: new Date(from ?? 0), to: new Date(to ?? 0), filters: [] }));
  const sameAnswers = async (store: EventStore, reference: EventStore, queries: AnalyticsQuery[]) => {
    for (const query of queries) {
      for (const interval of [Interval.HOUR, Interval.DAY]) {
        expect(await store.overview(query, interval)).toEqual(await reference.overview(query, interval));
      }
      expect(await store.toolsUsage(query, 50)).toEqual(await reference.toolsUsage(query, 50));
    }
  };

  it('the rollups follow sessions that move (start, user, first uses) as the reference does, before and after merges', async () => {
    const ws = await newWorkspace();
    const store = server.tally.services.events;
    const reference = new MemoryEventStore();
    const day = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
    for (const batch of movingBatches(day)) {
      await store.writeBatch(ws, batch);
      await reference.writeBatch(ws, batch);
      await sameAnswers(store, reference, movingRanges(ws, day));
    }
    const whole = await store.overview(movingRanges(ws, day)[0] as AnalyticsQuery, Interval.DAY);
    // Sessions m (user B, from 23:50 the day before) and n (user ''); the ghost is no session.
    expect(whole).toMatchObject({ sessions: 2, events: 5, users: 2, errors: 1 });
    expect(whole.series.map((p) => p.sessions)).toEqual([1, 1]);
    const firstUses = await store.toolsUsage({ ...(movingRanges(ws, day)[2] as AnalyticsQuery) }, 10);
    // Only 'write' was first used by m in 23:45–00:25 (at 23:50); 'read' by m at 00:20 as well.
    expect(firstUses.map((r) => [r.name, r.sessions])).toEqual([
      ['read', 1],
      ['write', 1],
    ]);
    await store.settle();
    await sameAnswers(store, reference, movingRanges(ws, day));
  });

  it('batches of one session at once: counted once, with its first event and its last', async () => {
    const ws = await newWorkspace();
    const store = server.tally.services.events;
    const base = Date.now() - 6 * HOUR;
    const batches: EventBatch[] = Array.from({ length: 6 }, (_, i) => ({
      events: [event(base + (5 - i) * MINUTE, { sessionId: 'together', userId: `u${i}`, name: `n${i % 2}` })],
      sessions: [],
    }));
    await Promise.all(batches.map((batch) => store.writeBatch(ws, batch)));
    const query = { workspaceId: ws, from: new Date(base - 3 * HOUR), to: new Date(base + 2 * HOUR + 1), filters: [] };
    const overview = await store.overview(query, Interval.HOUR);
    expect(overview).toMatchObject({ sessions: 1, events: 6, users: 1, avgSessionDurationMs: 5 * MINUTE });
    expect(overview.series.reduce((n, p) => n + p.sessions, 0)).toBe(1);
    const usage = await store.toolsUsage(query, 10);
    expect(usage.map((r) => [r.name, r.count, r.sessions])).toEqual([
      ['n0', 3, 1],
      ['n1', 3, 1],
    ]);
  });

  it('batches that arrive together are written together, each answered with its own counts', async () => {
    const [ws, other] = [await newWorkspace(), await newWorkspace()];
    const store = server.tally.services.events;
    const at = Date.now() - 7 * HOUR;
    const batches: EventBatch[] = Array.from({ length: 6 }, (_, i) => ({
      events: Array.from({ length: 5 }, (_, j) => event(at + i * 10 + j, { sessionId: `group-${i % 3}` })),
      sessions: [],
    }));
    const inserts = jest.spyOn(clickhouseOf(server), 'insert');
    try {
      const results = await Promise.all([
        ...batches.map((batch, i) => store.writeBatch(i % 2 === 0 ? ws : other, batch)),
        // A copy of the first, in the same group as the rest: the first copy's claims won.
        store.writeBatch(ws, batches[0] as EventBatch),
      ]);
      expect(results).toEqual([...batches.map(() => ({ stored: 5, duplicates: 0 })), { stored: 0, duplicates: 5 }]);
      // The first batch went alone; the six that came while it was written, in one insert.
      const events = `\`${server.tally.clickhouse?.database}\`.\`events\``;
      expect(inserts.mock.calls.filter(([params]) => params.table === events)).toHaveLength(2);
    } finally {
      inserts.mockRestore();
    }
    for (const workspaceId of [ws, other]) {
      const query = { workspaceId, from: new Date(at - HOUR), to: new Date(at + HOUR), filters: [] };
      expect(await store.overview(query, Interval.HOUR)).toMatchObject({ events: 15, sessions: 3 });
    }
  });

  it('migration 2 computes the rollups of events stored before it', async () => {
    const fresh = await openClickHouse(testClickHouseTarget());
    try {
      await migrateClickHouse(fresh, poolOf(server));
      const store = new ClickHouseEventStore(fresh, poolOf(server), server.tally.db, {
        timeoutMs: 30_000,
        maxMemoryBytes: 1024 * 1024 * 1024,
      });
      const reference = new MemoryEventStore();
      const ws = await newWorkspace();
      const day = Math.floor(Date.now() / DAY) * DAY - 5 * DAY;
      for (const batch of movingBatches(day)) {
        await store.writeBatch(ws, batch);
        await reference.writeBatch(ws, batch);
      }
      // A database of version 1: events, sessions and their updates, no rollups.
      const db = `\`${fresh.database}\``;
      for (const table of ['event_hours', 'session_names', 'rollup_deltas']) {
        await fresh.client.command({ query: `TRUNCATE TABLE ${db}.${table}` });
      }
      await fresh.client.command({ query: `DELETE FROM ${db}.tally_migrations WHERE version = 2` });
      expect((await store.overview(movingRanges(ws, day)[0] as AnalyticsQuery, Interval.DAY)).sessions).toBe(0);
      expect(await migrateClickHouse(fresh, poolOf(server))).toEqual([expect.stringMatching(/^2 /)]);
      await sameAnswers(store, reference, movingRanges(ws, day));
    } finally {
      await fresh.close();
    }
  });

  it('every statement names the workspace through a parameter, never pasted', async () => {
    const ws = await newWorkspace();
    const at = Date.now() - 5 * HOUR;
    const store = server.tally.services.events;
    await store.writeBatch(ws, {
      events: [event(at, { userId: 'u1' }), event(at + 1, { clientId: false })],
      sessions: [{ id: 'engine-session', userId: null, attributes: { os: 'linux' } }],
    });
    statements.length = 0;
    const query = { workspaceId: ws, ...range(at), filters: [{ properties: [{ key: 'n', op: 'EQ', value: '1' }] }] };
    await store.overview(query as never, Interval.HOUR);
    await store.toolsUsage(query as never, 10);
    // Unfiltered and ragged: the rollups and the raw ends.
    const ragged = {
      workspaceId: ws,
      from: new Date(at - 2 * DAY - 7 * MINUTE),
      to: new Date(at + 13 * MINUTE),
      filters: [],
    };
    await store.overview(ragged, Interval.DAY);
    await store.toolsUsage(ragged, 10);
    await store.sessions(query as never, { first: 5, after: null });
    await store.session(ws, 'engine-session');
    await store.sessionEvents(ws, 'engine-session', { first: 5, after: null });
    await store.activity(query as never, { first: 5, after: null });
    for await (const _ of store.scanEvents(query as never)) void _;
    const exports = statements.length;
    for (const format of ['csv', 'ndjson'] as const) await bytes(await store.exportEvents(query as never, format));
    expect(statements.length).toBe(exports + 2);
    expect(statements.length).toBeGreaterThan(10);
    for (const sql of statements) {
      expect(sql).not.toContain(ws);
      expect(sql).toMatch(/workspace_id = \{p\d+:UUID\}/);
      // Every read carries its limits in its own SETTINGS (never a session SET).
      expect(sql).toMatch(
        /SETTINGS max_execution_time = [\d.]+, timeout_overflow_mode = 'throw', max_memory_usage = \d+/,
      );
    }
  });

  it("an export gives the shared serializer's bytes in pages of any size: keys tied in time, pages cut at their bytes", async () => {
    const clickhouse = server.tally.clickhouse;
    if (!clickhouse) throw new Error('no ClickHouse');
    const store = server.tally.services.events;
    const ws = await newWorkspace();
    const at = Date.now() - 3 * HOUR;
    // Every form a double takes in float8's text (exponents both ways, -0, the extremes), and
    // doubles drawn at random (fixed seed); every text a CSV cell or a JSON string escapes.
    const durations: Array<number | null> = [
      ...[0, -0, 1e-5, 1.2345e-7, 0.0001, 9.999999999999999e-5, 123.456, 604_800_000, 1.5e15, 1e21, -2.5e-9],
      ...[Number.MAX_VALUE, Number.MIN_VALUE, null],
      ...fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { numRuns: 120, seed: 18 }),
    ];
    const texts = [
      'plain',
      '',
      '=1+2',
      '+x',
      '-',
      '@me',
      '\tlead',
      '\rlead',
      'a,b',
      'say "hi"',
      'line\nbreak\r\n',
      'ç 日本 🎉',
    ];
    const odd = ['back\\slash', 'a/b', '\u0001\u001f\b\f', '\u2028 \u007f'];
    const events = durations.map((durationMs, i) =>
      event(at + Math.floor(i / 4), {
        // Four events a millisecond: pages end inside a tie of (ts).
        sessionId: texts[i % texts.length] || 's',
        name: texts[(i + 1) % texts.length] || 'n',
        type: [...texts, ...odd][(i + 2) % (texts.length + odd.length)] ?? 'custom',
        userId: i % 5 === 0 ? null : ([...texts, ...odd][(i + 3) % (texts.length + odd.length)] ?? null),
        durationMs,
        status: ([null, 'ok', 'error'] as const)[i % 3] ?? null,
        properties:
          i % 7 === 0 ? null : i % 7 === 1 ? {} : { text: odd[i % odd.length], n: durationMs, big: 'x'.repeat(i * 20) },
      }),
    );
    // In four inserts (four parts, merged in order as they are read), every fourth event in each.
    for (let part = 0; part < 4; part += 1) {
      const batch = events.filter((_, i) => i % 4 === part);
      expect(await store.writeBatch(ws, { events: batch, sessions: [] })).toEqual({
        stored: batch.length,
        duplicates: 0,
      });
    }
    const reads = new ChReads(clickhouse, { timeoutMs: 30_000, maxMemoryBytes: 1 << 30 });
    const tables = tablesOf(clickhouse.database);
    for (const filters of [[], [{ types: ['plain', '=1+2'] }]]) {
      const query = { workspaceId: ws, ...range(at), filters };
      for (const format of ['csv', 'ndjson'] as const) {
        const want = await bytes(serializeEvents(store.scanEvents(query), format));
        expect(want.length).toBeGreaterThan(1000);
        expect((await bytes(await store.exportEvents(query, format))).equals(want)).toBe(true);
        // Pages of 7 rows; pages cut at their first block (of any size, or of 5 rows); both.
        for (const size of [
          { rows: 7, bytes: 1 << 30 },
          { rows: 100_000, bytes: 1 },
          { rows: 100_000, bytes: 1, blockRows: 5 },
          { rows: 3, bytes: 1, blockRows: 2 },
        ]) {
          const sent = statements.length;
          const got = await bytes(exportPages(reads, tables, query, format, size));
          expect(statements.length - sent).toBeGreaterThan(1);
          expect(got.toString('utf8')).toEqual(want.toString('utf8'));
          expect(got.equals(want)).toBe(true);
        }
      }
    }
  });

  it('an export destroyed by its reader reads no further page', async () => {
    const clickhouse = server.tally.clickhouse;
    if (!clickhouse) throw new Error('no ClickHouse');
    const ws = await newWorkspace();
    const at = Date.now() - 4 * HOUR;
    // Ten pages of five rows of 20 kB: more than the stream buffers ahead of its reader.
    const events = Array.from({ length: 50 }, (_, i) => event(at + i, { properties: { pad: 'x'.repeat(20_000) } }));
    await server.tally.services.events.writeBatch(ws, { events, sessions: [] });
    const reads = new ChReads(clickhouse, { timeoutMs: 30_000, maxMemoryBytes: 1 << 30 });
    statements.length = 0;
    const pagesRead = () => statements.filter((sql) => sql.includes('/* tally:scan */')).length;
    const stream = exportPages(reads, tablesOf(clickhouse.database), { workspaceId: ws, ...range(at) }, 'ndjson', {
      rows: 5,
      bytes: 1 << 30,
    });
    await new Promise((resolve, reject) => {
      stream.once('readable', resolve);
      stream.once('error', reject);
    });
    expect(String(stream.read(100))).toContain(events[0]?.id);
    const closed = new Promise((resolve) => stream.once('close', resolve));
    stream.destroy();
    const before = pagesRead();
    await closed;
    // A parameterised read answers after any read the export had sent (chdb binds them in turn).
    const p = new ChParams();
    await reads.rows(undefined, `SELECT ${p.add(1, 'UInt8')} AS n`, p);
    expect(before).toBeLessThanOrEqual(3);
    expect(pagesRead()).toBe(before);
  });

  it('a read over its time or memory limit is BAD_USER_INPUT saying what to narrow', async () => {
    const clickhouse = server.tally.clickhouse;
    if (!clickhouse) throw new Error('no ClickHouse');
    const slow = new ChReads(clickhouse, { timeoutMs: 1000, maxMemoryBytes: 1 << 30 });
    await expect(slow.rows(undefined, 'SELECT sleepEachRow(0.5) FROM numbers(6)', null)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { reason: 'STATEMENT_TIMEOUT', timeoutMs: 1000 },
    });
    const small = new ChReads(clickhouse, { timeoutMs: 30_000, maxMemoryBytes: 16 * 1024 * 1024 });
    await expect(small.rows(undefined, 'SELECT groupArray(number) FROM numbers(50000000)', null)).rejects.toMatchObject(
      { code: 'BAD_USER_INPUT', details: { reason: 'MEMORY_LIMIT' } },
    );
  });

  it('migrations run once under a lock, however many instances start at once', async () => {
    const clickhouse = server.tally.clickhouse;
    if (!clickhouse) throw new Error('no ClickHouse');
    const fresh = await openClickHouse(testClickHouseTarget());
    try {
      const runs = await Promise.all([1, 2, 3].map(() => migrateClickHouse(fresh, poolOf(server))));
      expect(runs.flat()).toHaveLength(CLICKHOUSE_MIGRATIONS.length);
      const result = await fresh.client.query({
        query: `SELECT version FROM \`${fresh.database}\`.tally_migrations ORDER BY version`,
        format: 'JSONEachRow',
      });
      expect((await result.json<{ version: number }>()).map((r) => Number(r.version))).toEqual(
        CLICKHOUSE_MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await fresh.close();
    }
  });

  it('/readyz reports PostgreSQL and ClickHouse, and is not ready without ClickHouse', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready', databases: { postgres: 'up', clickhouse: 'up' } });
    const sibling = await startSibling(server);
    try {
      jest.spyOn(clickhouseOf(sibling), 'ping').mockResolvedValue({ success: false, error: new Error('gone') });
      const down = await fetch(`${sibling.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        status: 'unavailable',
        reason: 'clickhouse unreachable',
        databases: { postgres: 'up', clickhouse: 'down' },
      });
    } finally {
      await sibling.close();
    }
  });
});

describe('a ClickHouse that cannot be reached', () => {
  it('stops the start with one line naming CLICKHOUSE_URL, its password hidden', async () => {
    const config = testConfig(process.env.TALLY_TEST_ADMIN_URL ?? '', {
      EVENTS_STORE: 'clickhouse',
      CLICKHOUSE_URL: 'http://tally:s3cret@127.0.0.1:1/tally',
    });
    const started = createTally(config, { jobs: { maintenance: false } as never });
    await expect(started).rejects.toMatchObject({
      name: 'StartupError',
      message: expect.stringMatching(
        /^CLICKHOUSE_URL \(http:\/\/tally:\*\*\*@127\.0\.0\.1:1\/tally\) cannot be used: /,
      ),
    });
    await expect(started).rejects.not.toThrow(/s3cret/);
  });

  it('a CLICKHOUSE_URL that is not a URL, or EVENTS_STORE unknown, is a configuration error naming it', () => {
    expect(() => loadConfig({ EVENTS_STORE: 'clickhouse', CLICKHOUSE_URL: 'clickhouse:9000' })).toThrow(
      /CLICKHOUSE_URL/,
    );
    expect(() => loadConfig({ EVENTS_STORE: 'mysql' })).toThrow(/EVENTS_STORE/);
  });
});

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

function clickhouseOf(server: TestServer): ClickHouseClient {
  const clickhouse = server.tally.clickhouse;
  if (!clickhouse) throw new Error('this test server does not store events in ClickHouse');
  return clickhouse.client;
}

/** A pg pool of the server's database (the migration lock is PostgreSQL's). */
function poolOf(server: TestServer) {
  const driver: unknown = Reflect.get(server.tally.db.driver, 'master');
  return driver as import('pg').Pool;
}
