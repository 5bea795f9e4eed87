import { randomUUID } from 'node:crypto';
import { Interval, PropertyOp } from '@tally/shared';
import { Pool } from 'pg';
import { SyntheticEvents } from '../bench/dataset';
import {
  type ClickHouse,
  ClickHouseEventStore,
  migrateClickHouse,
  openClickHouse,
} from '../src/modules/events/clickhouse/clickhouse-event-store';
import { type CopySummary, copyEventsToClickHouse } from '../src/modules/events/clickhouse/copy-from-postgres';
import type {
  AnalyticsQuery,
  EventBatch,
  EventData,
  EventInput,
  EventStore,
  SessionData,
  SessionKey,
  UsageData,
} from '../src/modules/events/event-store';
import { sessionKeyOf } from '../src/modules/events/session-order';
import { CHDB_SKIPPED, chdbAvailable, testClickHouseTarget } from './drivers/clickhouse';
import { type TestServer, startTestServer } from './harness';

/**
 * `pnpm events:to-clickhouse` (scripts/copy-events-to-clickhouse.ts) runs copyEventsToClickHouse:
 * events written through a test server's PostgreSQL store are copied into a ClickHouse store on
 * the real engine (chdb), which then answers overview, Tools & Usage and sessions exactly as
 * PostgreSQL does; a copy stopped half-way and run again, or run once more, counts nothing twice,
 * and a run after more events arrived copies only those.
 */
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

describe(`copying events from PostgreSQL to ClickHouse${chdbAvailable ? '' : ` — ${CHDB_SKIPPED}`}`, () => {
  if (!chdbAvailable) {
    // jest prints no name of a file whose every test is skipped: this line says it.
    console.warn(`copy-events-to-clickhouse.test.ts: ${CHDB_SKIPPED}`);
    it.skip('runs where chdb is installed', () => undefined);
    return;
  }
  let server: TestServer;
  let pool: Pool;
  let ch: ClickHouse;
  let postgres: EventStore;
  let clickhouse: ClickHouseEventStore;
  let team: string;
  let other: string;
  let deleted: string;
  const now = new Date();
  // Whole hours around the last 31 days: every event written here is inside.
  const end = new Date(Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS);
  const start = new Date(end.getTime() - 31 * DAY_MS);

  async function newWorkspace(name: string): Promise<string> {
    const rows: Array<{ id: string }> = await server.tally.db.query(
      `INSERT INTO workspaces (kind, name) VALUES ('TEAM', $1) RETURNING id`,
      [name],
    );
    const id = rows[0]?.id;
    if (!id) throw new Error('workspace insert failed');
    return id;
  }

  function event(sessionId: string, at: Date, fields: Partial<EventInput> = {}): EventInput {
    return {
      id: randomUUID(),
      clientId: true,
      clientTimestamp: true,
      timestamp: at,
      sessionId,
      name: 'search_docs',
      type: 'tool_call',
      userId: null,
      durationMs: 120,
      status: 'ok',
      properties: { plan: 'pro' },
      ...fields,
    };
  }

  /**
   * What the synthetic dataset lacks: sessions spread over several batches, whose user changes
   * and whose attributes merge; events without a client id or without a client time; a session
   * given attributes by a batch without its events.
   */
  function handMade(): EventBatch[] {
    const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * HOUR_MS);
    return [
      {
        events: [
          event('merged', at(50), { userId: 'ada' }),
          event('merged', at(49), { name: '/settings', type: 'pageview', durationMs: null, status: null }),
          event('anonymous', at(48), { properties: null, durationMs: null }),
        ],
        sessions: [{ id: 'merged', userId: null, attributes: { os: 'macOS', app: '2.3' } }],
      },
      {
        events: [
          event('merged', at(30), { status: 'error', durationMs: 9000, properties: { plan: 'team', q: '=1+2' } }),
          event('merged', at(29), { clientId: false }),
          event('merged', now, { clientTimestamp: false, userId: 'ada' }),
        ],
        sessions: [{ id: 'merged', userId: 'grace', attributes: { app: '2.4', device: 'laptop' } }],
      },
      { events: [event('late', at(2), { userId: 'linus' })], sessions: [] },
      // Attributes for a known session, without any of its events.
      { events: [], sessions: [{ id: 'late', userId: null, attributes: { os: 'Linux' } }] },
    ];
  }

  async function write(workspaceId: string, batches: EventBatch[]): Promise<number> {
    let stored = 0;
    for (const batch of batches) stored += (await postgres.writeBatch(workspaceId, batch)).stored;
    return stored;
  }

  function query(workspaceId: string, filters: AnalyticsQuery['filters'] = []): AnalyticsQuery {
    return { workspaceId, from: start, to: end, filters };
  }

  async function allSessions(store: EventStore, q: AnalyticsQuery): Promise<SessionData[]> {
    const all: SessionData[] = [];
    let after: SessionKey | null = null;
    for (;;) {
      const page = await store.sessions(q, { first: 100, after });
      all.push(...page.nodes);
      const last = page.nodes.at(-1);
      if (!page.hasNextPage || !last) return all;
      after = sessionKeyOf(last);
    }
  }

  async function allEvents(store: EventStore, workspaceId: string): Promise<EventData[]> {
    const all: EventData[] = [];
    for await (const batch of store.scanEvents(query(workspaceId), { batchSize: 500 })) all.push(...batch);
    return all;
  }

  async function eventCount(store: EventStore, workspaceId: string): Promise<number> {
    return (await store.overview(query(workspaceId), Interval.DAY)).events;
  }

  /** A Tools & Usage row but its average (sums in another order differ in the last bits). */
  function withoutAverage({ avgDurationMs: _, ...row }: UsageData): Omit<UsageData, 'avgDurationMs'> {
    return row;
  }

  /** The same average to a relative 1e-9, as the contract suite compares them. */
  function expectSameAverage(got: number | null, want: number | null | undefined): void {
    if (got === null || want === null || want === undefined) {
      expect(got).toBe(want);
      return;
    }
    expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-9);
  }

  /** ClickHouse answers as PostgreSQL does, for the workspace, unfiltered and filtered. */
  async function expectSameAnswers(workspaceId: string): Promise<void> {
    const queries = [
      query(workspaceId),
      query(workspaceId, [{ names: ['search_docs', '/settings'] }]),
      query(workspaceId, [{ properties: [{ key: 'plan', op: PropertyOp.EQ, value: 'team' }] }]),
    ];
    for (const q of queries) {
      for (const interval of [Interval.HOUR, Interval.DAY]) {
        expect(await clickhouse.overview(q, interval)).toEqual(await postgres.overview(q, interval));
      }
      const [got, want] = await Promise.all([clickhouse.toolsUsage(q, 100), postgres.toolsUsage(q, 100)]);
      expect(got.map(withoutAverage)).toEqual(want.map(withoutAverage));
      got.forEach((row, i) => expectSameAverage(row.avgDurationMs, want[i]?.avgDurationMs));
      expect(await allSessions(clickhouse, q)).toEqual(await allSessions(postgres, q));
    }
    expect(await allEvents(clickhouse, workspaceId)).toEqual(await allEvents(postgres, workspaceId));
  }

  function copy(signal?: AbortSignal, afterBatch?: () => void): Promise<CopySummary> {
    // Small batches, so a session's events and a workspace's events span several of them.
    return copyEventsToClickHouse({
      pool,
      source: postgres,
      target: clickhouse,
      batchSize: 97,
      ...(signal ? { signal } : {}),
      progress: () => afterBatch?.(),
    });
  }

  beforeAll(async () => {
    server = await startTestServer({ EVENTS_STORE: 'postgres' });
    postgres = server.tally.services.events;
    pool = new Pool({ connectionString: server.databaseUrl, max: 4 });
    ch = await openClickHouse(testClickHouseTarget());
    await migrateClickHouse(ch, pool);
    clickhouse = new ClickHouseEventStore(ch, pool, server.tally.db, { timeoutMs: 30_000, maxMemoryBytes: 2 ** 30 });

    team = await newWorkspace('Copied team');
    other = await newWorkspace('Other team');
    deleted = await newWorkspace('Deleted team');
    await newWorkspace('Team without events');
    const dataset = new SyntheticEvents(900, { seed: 18, now, batchSize: 300 });
    for (let i = 0; i < dataset.batchCount; i += 1) {
      const batch = dataset.batch(i);
      await write(team, [
        {
          sessions: batch.sessions,
          // As SDKs send them: client ids, a third of them without a time; and a few without an id.
          events: batch.events.map((e, j) => ({ ...e, clientId: j % 7 !== 0, clientTimestamp: j % 3 !== 0 })),
        },
      ]);
    }
    await write(team, handMade());
    await write(other, handMade());
    await write(deleted, handMade());
    await server.tally.db.query(`UPDATE workspaces SET deleted_at = now() WHERE id = $1`, [deleted]);
  });

  afterAll(async () => {
    if (ch) {
      await ch.client.command({ query: `DROP DATABASE IF EXISTS \`${ch.database}\`` }).catch(() => undefined);
      await ch.close();
    }
    await pool?.end();
    await server?.close();
  });

  it('copies every live workspace with events, stopped half-way and run again, without counting any event twice', async () => {
    const inTeam = await eventCount(postgres, team);
    const inOther = await eventCount(postgres, other);
    expect(inTeam).toBeGreaterThan(900);

    // Stopped after three batches: what it wrote is in ClickHouse, the rest is not.
    const stop = new AbortController();
    let batches = 0;
    const first = await copy(stop.signal, () => {
      batches += 1;
      if (batches === 3) stop.abort();
    });
    expect(first.stopped).toBe(true);
    expect(first.copied).toBe(3 * 97);
    expect(first.workspaces.map((w) => [w.workspaceId, w.done])).toEqual([[team, false]]);
    expect(await eventCount(clickhouse, team)).toBe(3 * 97);

    // Run again: it carries on; what the first run wrote is skipped as duplicates.
    const second = await copy();
    expect(second.stopped).toBe(false);
    expect(second.workspaces.map((w) => [w.name, w.read, w.copied, w.duplicates, w.done])).toEqual([
      ['Copied team', inTeam, inTeam - 3 * 97, 3 * 97, true],
      ['Other team', inOther, inOther, 0, true],
    ]);
    expect(second.copied).toBe(inTeam - 3 * 97 + inOther);

    await expectSameAnswers(team);
    await expectSameAnswers(other);
    // The deleted team's events stay behind (its purge removes them from PostgreSQL).
    expect(await eventCount(clickhouse, deleted)).toBe(0);
    const merged = await clickhouse.session(team, 'merged');
    expect(merged).toEqual(await postgres.session(team, 'merged'));
    expect(merged).toMatchObject({ userId: 'grace', attributes: { os: 'macOS', app: '2.4', device: 'laptop' } });
    expect(await clickhouse.session(team, 'late')).toMatchObject({ userId: 'linus', attributes: { os: 'Linux' } });
  });

  it('a run after everything is copied copies nothing: every event is a duplicate', async () => {
    const total = (await eventCount(postgres, team)) + (await eventCount(postgres, other));
    const again = await copy();
    expect({ copied: again.copied, duplicates: again.duplicates, stopped: again.stopped }).toEqual({
      copied: 0,
      duplicates: total,
      stopped: false,
    });
    await expectSameAnswers(team);
    await expectSameAnswers(other);
  });

  it('a run after more events arrived in PostgreSQL copies only those, and the sessions they change', async () => {
    const stored = await write(team, [
      {
        events: [
          event('merged', new Date(now.getTime() - HOUR_MS), { userId: 'barbara', name: 'summarize' }),
          event('fresh', new Date(now.getTime() - 2 * HOUR_MS)),
        ],
        sessions: [{ id: 'merged', userId: null, attributes: { app: '2.5' } }],
      },
    ]);
    expect(stored).toBe(2);
    const total = (await eventCount(postgres, team)) + (await eventCount(postgres, other));
    const later = await copy();
    expect({ copied: later.copied, duplicates: later.duplicates }).toEqual({ copied: 2, duplicates: total - 2 });
    await expectSameAnswers(team);
    expect(await clickhouse.session(team, 'merged')).toMatchObject({
      userId: 'barbara',
      attributes: { os: 'macOS', app: '2.5', device: 'laptop' },
    });
  });
});
