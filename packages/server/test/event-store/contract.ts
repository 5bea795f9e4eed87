import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  type EventFilter,
  Interval,
  OrderDirection,
  PropertyOp,
  type SessionOrder,
  SessionOrderField,
} from '@tally/shared';
import fc from 'fast-check';
import { SyntheticEvents } from '../../bench/dataset';
import { HISTOGRAM_BUCKETS, bucketBounds } from '../../src/modules/events/duration-histogram';
import type {
  AnalyticsQuery,
  BreakdownData,
  BreakdownKey,
  EventBatch,
  EventData,
  EventInput,
  EventKey,
  EventStore,
  OverviewData,
  Page,
  SessionData,
  SessionKey,
  UsageData,
} from '../../src/modules/events/event-store';
import { serializeEvents } from '../../src/modules/events/export-format';
import { sessionKeyOf, sessionSortValue } from '../../src/modules/events/session-order';
import { MemoryEventStore } from '../../src/modules/events/reference/memory-event-store';

/** An engine under test: its store, and a way to get a fresh workspace it may write to. */
export interface StoreUnderTest {
  store: EventStore;
  newWorkspace(): Promise<string>;
  close(): Promise<void>;
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** The histogram's stated error (duration-histogram.ts): within 19 %, and 1 ms in bucket 0. */
const P95_RELATIVE_ERROR = 0.19;
const [LAST_BUCKET_FROM] = bucketBounds(HISTOGRAM_BUCKETS - 1);

/**
 * The event store contract: every engine answers every query as the reference in-memory store
 * (modules/events/reference/memory-event-store.ts) does, on the same generated batches (the shape
 * of bench/dataset.ts, over the last 30 days, so inside the ingest's timestamp window), while
 * batches are retried and written between pages. Averages are compared to a relative 1e-9 (sums
 * in another order); p95 within the histogram's stated error of the true quantile.
 */
export function runEventStoreContract(makeStore: () => Promise<StoreUnderTest>): void {
  let engine: StoreUnderTest;
  let store: EventStore;
  let reference: MemoryEventStore;
  let ws: string;
  let other: string;
  const now = new Date();
  const dataset = new SyntheticEvents(1800, { seed: 17, now, batchSize: 300, sessionLength: [10, 40] });
  const end = new Date(Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS);
  const start = new Date(end.getTime() - 31 * DAY_MS);

  /** Writes a batch to both stores; their results must agree. */
  async function write(workspaceId: string, batch: EventBatch): Promise<void> {
    const [got, want] = await Promise.all([
      store.writeBatch(workspaceId, batch),
      reference.writeBatch(workspaceId, batch),
    ]);
    expect(got).toEqual(want);
  }

  /** Batch `i` of the dataset with client ids (as the SDKs send them), a third of them without timestamps. */
  function datasetBatch(i: number): EventBatch {
    const batch = dataset.batch(i);
    return {
      sessions: batch.sessions,
      events: batch.events.map((e, j) => ({ ...e, clientId: true, clientTimestamp: j % 3 !== 0 })),
    };
  }

  beforeAll(async () => {
    engine = await makeStore();
    store = engine.store;
    reference = new MemoryEventStore();
    [ws, other] = await Promise.all([engine.newWorkspace(), engine.newWorkspace()]);
    for (let i = 0; i < dataset.batchCount; i += 1) {
      await write(ws, datasetBatch(i));
      // Half-way, the upkeep runs (PostgreSQL: the deltas so far folded into the rollups).
      if (i === Math.floor(dataset.batchCount / 2)) await store.settle();
    }
    await write(ws, oddBatch(now));
    // Another workspace's events, which no query of `ws` may see.
    await write(other, datasetBatch(0));
  }, 120_000);
  afterAll(() => engine.close());

  const q = (from: Date, to: Date, filters: EventFilter[] = []): AnalyticsQuery => ({
    workspaceId: ws,
    from,
    to,
    filters,
  });
  /**
   * Ranges: the whole month, two ragged (not hour-aligned) weeks, one day, ten minutes. The first
   * week's ends lie late and early in their hours, the second's early and late: a store that may
   * read a ragged end as its whole hour less the rest (PostgreSQL, splitAroundHours) does so on
   * the first and reads the ends themselves on the second.
   */
  const ranges = () => [
    q(start, end),
    q(
      new Date(start.getTime() + 3 * DAY_MS + 17 * 60_000 + 123),
      new Date(start.getTime() + 10 * DAY_MS + 41 * 60_000),
    ),
    q(new Date(start.getTime() + 2 * DAY_MS + 43 * 60_000), new Date(start.getTime() + 9 * DAY_MS + 11 * 60_000 + 7)),
    q(new Date(end.getTime() - 2 * DAY_MS), new Date(end.getTime() - DAY_MS)),
    q(new Date(end.getTime() - 5 * DAY_MS), new Date(end.getTime() - 5 * DAY_MS + 10 * 60_000)),
  ];

  async function sameOverview(query: AnalyticsQuery, interval: Interval): Promise<OverviewData> {
    const [got, want] = await Promise.all([store.overview(query, interval), reference.overview(query, interval)]);
    expect({ ...got, avgSessionDurationMs: null }).toEqual({ ...want, avgSessionDurationMs: null });
    expectClose(got.avgSessionDurationMs, want.avgSessionDurationMs);
    return got;
  }

  async function sameUsage(query: AnalyticsQuery, limit = 100): Promise<UsageData[]> {
    const [got, want] = await Promise.all([store.toolsUsage(query, limit), reference.toolsUsage(query, limit)]);
    const exact = (rows: UsageData[]) => rows.map((r) => ({ ...r, avgDurationMs: null, p95DurationMs: null }));
    expect(exact(got)).toEqual(exact(want));
    const truth = await trueP95s(query);
    got.forEach((row, i) => {
      expectClose(row.avgDurationMs, want[i]?.avgDurationMs ?? null);
      const p95 = truth.get(`${row.name}\u0000${row.type}`) ?? null;
      if (p95 === null || row.p95DurationMs === null) expect(row.p95DurationMs).toBe(p95);
      // The last bucket is open-ended: beyond its start only "at least that" is promised.
      else if (p95 >= LAST_BUCKET_FROM) expect(row.p95DurationMs).toBeGreaterThanOrEqual(LAST_BUCKET_FROM);
      else expect(Math.abs(row.p95DurationMs - p95)).toBeLessThanOrEqual(P95_RELATIVE_ERROR * p95 + 1);
    });
    return got;
  }

  /** The exact p95 of each name's durations in the range, from the reference's events. */
  async function trueP95s(query: AnalyticsQuery): Promise<Map<string, number | null>> {
    const durations = new Map<string, number[]>();
    for (const e of await all(reference.scanEvents(query))) {
      const key = `${e.name}\u0000${e.type}`;
      const list = durations.get(key) ?? [];
      if (e.durationMs !== null) list.push(e.durationMs);
      durations.set(key, list);
    }
    const result = new Map<string, number | null>();
    for (const [key, list] of durations) {
      list.sort((a, b) => a - b);
      result.set(key, list.length === 0 ? null : (list[Math.max(1, Math.ceil(0.95 * list.length)) - 1] ?? null));
    }
    return result;
  }

  describe('aggregates', () => {
    it('totals and series by HOUR and DAY, distinct users and session durations, on every range', async () => {
      for (const query of ranges()) {
        for (const interval of [Interval.HOUR, Interval.DAY]) await sameOverview(query, interval);
      }
      const whole = await reference.overview(q(start, end), Interval.DAY);
      // The generated data is really there: hundreds of sessions, errors, users.
      expect(whole.events).toBeGreaterThan(1800);
      expect(whole.errors).toBeGreaterThan(10);
      expect(whole.users).toBeGreaterThan(1);
    });

    it('per name: counts, errors, first-use sessions, average and p95 durations', async () => {
      for (const query of ranges()) await sameUsage(query);
      expect((await sameUsage(q(start, end), 3)).length).toBe(3);
      // Cut inside the long tail of names, where counts tie at the cut.
      for (const limit of [17, 40, 90]) expect((await sameUsage(q(start, end), limit)).length).toBe(limit);
      // Named names, more of them than the limit: the busiest of those (and with no more than the
      // limit, all of them, their histograms read beside the counts).
      const named = q(start, end, [{ names: ['read_file', 'run_tests', '/overview', 'plan_upgraded'] }]);
      expect((await sameUsage(named, 2)).map((row) => row.name)).toHaveLength(2);
      expect(new Set((await sameUsage(named, 4)).map((row) => row.name))).toEqual(
        new Set(['read_file', 'run_tests', '/overview', 'plan_upgraded']),
      );
    });

    it('`ranked`, when a store calls it, hears the names of the rows it answers, once, before the answer', async () => {
      const filtered = q(start, end, [{ names: ['read_file', 'run_tests', '/overview', 'plan_upgraded'] }]);
      for (const [query, limit] of [
        ...ranges().map((r) => [r, 100] as const),
        [q(start, end), 3] as const,
        [filtered, 2] as const,
      ]) {
        const heard: string[][] = [];
        let answered = false;
        const rows = await store.toolsUsage(query, limit, undefined, (names) => {
          heard.push([...names].sort());
          if (answered) throw new Error('ranked was called after the answer');
        });
        answered = true;
        expect(heard.length).toBeLessThanOrEqual(1);
        if (heard[0]) expect(heard[0]).toEqual([...new Set(rows.map((row) => row.name))].sort());
      }
    });

    it('the same answers after the upkeep runs (settle)', async () => {
      await store.settle();
      for (const query of ranges().slice(0, 2)) {
        await sameOverview(query, Interval.HOUR);
        await sameUsage(query);
      }
    });
  });

  describe('ragged ends in busy hours', () => {
    // 360 events over three whole hours a day ago, a few seconds apart: four names, errors,
    // durations (some missing), 23 sessions across the hours, half of them folded (settle).
    let busy: string;
    const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - 30 * HOUR_MS;
    beforeAll(async () => {
      busy = await engine.newWorkspace();
      const events = Array.from({ length: 360 }, (_, i): EventInput => ({
        ...plainEvent(new Date(hour + ((i * 997_000) % (3 * HOUR_MS))), `busy-${i % 23}`),
        name: ['read_file', 'run_tests', 'search', 'edit'][i % 4] ?? 'x',
        type: i % 5 === 0 ? 'tool' : 'custom',
        status: i % 7 === 0 ? 'error' : 'ok',
        durationMs: i % 6 === 0 ? null : ((i * 37) % 5000) + 0.5,
        userId: `user-${i % 11}`,
      }));
      await write(busy, { events: events.slice(0, 180), sessions: [] });
      await store.settle();
      await write(busy, { events: events.slice(180), sessions: [] });
    });

    it('ends early or late in their hours (read as they are, or as the hour less the rest) agree', async () => {
      // Minutes into the first hour and into the third: [7, 53] has both ends short of their
      // hour's far side, [53, 7] both near it, the others one of each.
      for (const [a, b] of [
        [7, 53],
        [53, 7],
        [30, 30],
        [1, 59],
        [59, 1],
      ] as const) {
        const query: AnalyticsQuery = {
          workspaceId: busy,
          from: new Date(hour + a * 60_000 + 311),
          to: new Date(hour + 2 * HOUR_MS + b * 60_000 + 13),
          filters: [],
        };
        for (const interval of [Interval.HOUR, Interval.DAY]) await sameOverview(query, interval);
        const rows = await sameUsage(query);
        expect(rows).toHaveLength(8); // four names, each as 'tool' and 'custom'
        await sameUsage({ ...query, filters: [{ names: ['search', 'edit'] }] });
      }
    });
  });

  describe('filters', () => {
    const kinds: Array<[string, EventFilter[]]> = [
      ['names', [{ names: ['read_file', 'run_tests'] }]],
      [
        'names in two filters: where both lists hold',
        [{ names: ['read_file', 'run_tests', '/overview'] }, { names: ['run_tests', '/overview', 'nope'] }],
      ],
      ['names and types together', [{ names: ['read_file', '/overview'], types: ['tool_call'] }]],
      ['types', [{ types: ['pageview'] }]],
      ['userIds', [{ userIds: ['user-1', 'user-2'] }]],
      ['EQ', [{ properties: [{ key: 'model', op: PropertyOp.EQ, value: 'claude-haiku' }] }]],
      ['EQ on a number', [{ properties: [{ key: 'weight', op: PropertyOp.EQ, value: '0.0000001' }] }]],
      ['NEQ (a missing key matches)', [{ properties: [{ key: 'plan', op: PropertyOp.NEQ, value: 'pro' }] }]],
      [
        'NEQ on a null value',
        [{ properties: [{ key: 'referrer', op: PropertyOp.NEQ, value: 'https://example.com/' }] }],
      ],
      ['CONTAINS ignores case', [{ properties: [{ key: 'model', op: PropertyOp.CONTAINS, value: 'CLAUDE' }] }]],
      ['CONTAINS in nested JSON text', [{ properties: [{ key: 'nested', op: PropertyOp.CONTAINS, value: '"a": 1' }] }]],
      ['EXISTS (a null value exists)', [{ properties: [{ key: 'referrer', op: PropertyOp.EXISTS }] }]],
      ['a key with a dot is one key', [{ properties: [{ key: 'a.b', op: PropertyOp.EXISTS }] }]],
      [
        'two filters (ad-hoc and saved) must both match',
        [{ types: ['tool_call'] }, { properties: [{ key: 'client', op: PropertyOp.EQ, value: 'cli' }] }],
      ],
      ['an empty filter matches everything', [{}]],
    ];
    it.each(kinds)('%s: every query agrees', async (_kind, filters) => {
      const query = q(start, end, filters);
      await sameOverview(query, Interval.DAY);
      await sameUsage(query);
      expect(await allSessions(store, query)).toEqual(await allSessions(reference, query));
      expect(await allActivity(store, query, 500)).toEqual(await allActivity(reference, query, 500));
      const matched = (await reference.overview(query, Interval.DAY)).events;
      expect(matched).toBeGreaterThan(0);
    });

    it('any filter drawn at random (fixed seed) agrees', async () => {
      const names = ['read_file', 'run_tests', '/overview', 'plan_upgraded', 'nope'];
      const keys = ['model', 'client', 'plan', 'referrer', 'tokens', 'path', 'missing'];
      const values = ['claude-sonnet', 'cli', 'pro', 'GPT', 'https://example.com/', '9', ''];
      const condition = fc.record({
        key: fc.constantFrom(...keys),
        op: fc.constantFrom(PropertyOp.EQ, PropertyOp.NEQ, PropertyOp.CONTAINS, PropertyOp.EXISTS),
        value: fc.constantFrom(...values),
      });
      const filter = fc.record(
        {
          names: fc.subarray(names, { minLength: 1 }),
          types: fc.subarray(['tool_call', 'pageview', 'custom'], { minLength: 1 }),
          userIds: fc.subarray(['user-1', 'user-2', 'user-3'], { minLength: 1 }),
          properties: fc.array(condition, { minLength: 1, maxLength: 2 }),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(filter, { minLength: 1, maxLength: 2 }), async (filters) => {
          const query = q(ranges()[1]?.from ?? start, end, filters);
          await sameOverview(query, Interval.DAY);
          await sameUsage(query);
          expect(await allActivity(store, query, 1000)).toEqual(await allActivity(reference, query, 1000));
        }),
        { seed: 4242, numRuns: 25 },
      );
    });
  });

  describe('lists', () => {
    it('sessions page by page (newest first), each session and its timeline as the reference has them', async () => {
      const query = q(start, end);
      const sessions = await allSessions(store, query, 7);
      expect(sessions).toEqual(await allSessions(reference, query, 7));
      expect(sessions.length).toBeGreaterThan(40);
      for (const s of sessions.slice(0, 5)) {
        expect(await store.session(ws, s.id)).toEqual(await reference.session(ws, s.id));
        const timeline = await allSessionEvents(store, ws, s.id, 4);
        expect(timeline).toEqual(await allSessionEvents(reference, ws, s.id, 4));
        expect(timeline.length).toBe(s.eventCount);
      }
      expect(await store.session(ws, 'no-such-session')).toBeNull();
      expect(await store.session(other, sessions[0]?.id ?? '')).toBeNull();
    });

    it('sessions in every order (start, duration, events, errors; ascending and descending), page by page', async () => {
      const orders: SessionOrder[] = Object.values(SessionOrderField).flatMap((field) =>
        Object.values(OrderDirection).map((direction) => ({ field, direction })),
      );
      const queries = [
        q(start, end),
        ranges()[1] ?? q(start, end),
        q(start, end, [{ names: ['read_file', 'run_tests'] }]),
      ];
      for (const query of queries) {
        const total = await store.countSessions(query);
        expect(total).toBe(await reference.countSessions(query));
        for (const order of orders) {
          const sessions = await allSessions(store, query, 13, order);
          expect({ order, ids: sessions.map((s) => s.id) }).toEqual({
            order,
            ids: (await allSessions(reference, query, 13, order)).map((s) => s.id),
          });
          expect(sessions).toHaveLength(total);
          // In the order: by its value, then by id, both the same way.
          const sign = order.direction === OrderDirection.ASC ? 1 : -1;
          for (let i = 1; i < sessions.length; i += 1) {
            const [a, b] = [sessions[i - 1], sessions[i]];
            if (!a || !b) continue;
            const byValue = sessionSortValue(b, order.field) - sessionSortValue(a, order.field);
            expect(sign * byValue > 0 || (byValue === 0 && sign * (b.id > a.id ? 1 : -1) > 0)).toBe(true);
          }
        }
      }
      expect(await store.countSessions(q(start, end))).toBeGreaterThan(40);
      // Ties are many (event and error counts): the id decides, and a page never repeats or skips one.
      const byErrors = await allSessions(store, q(start, end), 5, {
        field: SessionOrderField.ERRORS,
        direction: OrderDirection.DESC,
      });
      expect(new Set(byErrors.map((s) => s.id)).size).toBe(byErrors.length);
      expect(await store.countSessions({ ...q(start, end), workspaceId: randomUUID() })).toBe(0);
    });

    it('paging activity while batches arrive: every event there at the start is seen exactly once, in order', async () => {
      const query = q(start, end);
      const before = (await allActivity(reference, query, 10_000)).map((e) => e.id);
      const seen: EventData[] = [];
      let after: EventKey | null = null;
      for (let page = 0; ; page += 1) {
        const result: Page<EventData> = await store.activity(query, { first: 97, after });
        seen.push(...result.nodes);
        // New events in the range, older and newer than the page's end, between pages.
        if (page < 4) await write(ws, arrivals(now, page));
        const last = result.nodes.at(-1);
        if (!result.hasNextPage || !last) break;
        after = { ts: last.timestamp, id: last.id };
      }
      const ids = seen.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      const seenIds = new Set(ids);
      expect(before.filter((id) => !seenIds.has(id))).toEqual([]);
      for (let i = 1; i < seen.length; i += 1) {
        const [a, b] = [seen[i - 1], seen[i]];
        if (a && b) expect(compareKeys(b, a)).toBeLessThan(0);
      }
      // And the stores agree again, on everything that arrived.
      await sameOverview(query, Interval.HOUR);
    });
  });

  describe('dedupe', () => {
    it('a retried batch is never counted twice: duplicates reported, every answer unchanged', async () => {
      const query = q(start, end);
      const overview = await store.overview(query, Interval.DAY);
      const usage = await store.toolsUsage(query, 100);
      const retried = datasetBatch(1);
      // Ids sent without a timestamp come back with another time of receipt: the id ledger knows them.
      const resent: EventBatch = {
        ...retried,
        events: retried.events.map((e) =>
          e.clientTimestamp ? e : { ...e, timestamp: new Date(e.timestamp.getTime() + 1000) },
        ),
      };
      const result = await store.writeBatch(ws, resent);
      expect(result).toEqual({ stored: 0, duplicates: resent.events.length });
      await reference.writeBatch(ws, resent);
      expect(await store.overview(query, Interval.DAY)).toEqual(overview);
      expect(await store.toolsUsage(query, 100)).toEqual(usage);
    });

    it('copies of a batch sent at once are stored once between them; a copy at another time is another event', async () => {
      const at = new Date(now.getTime() - 2 * HOUR_MS);
      const query = q(new Date(at.getTime() - HOUR_MS), new Date(at.getTime() + HOUR_MS));
      const before = await store.overview(query, Interval.HOUR);
      const event = (i: number, timed: boolean): EventInput => ({
        ...plainEvent(new Date(at.getTime() + i), 'concurrent-copies'),
        id: randomUUID(),
        clientId: true,
        clientTimestamp: timed,
        name: 'copied',
      });
      const batch: EventBatch = {
        events: Array.from({ length: 24 }, (_, i) => event(i, i % 2 === 0)),
        sessions: [{ id: 'concurrent-copies', userId: 'copier', attributes: { via: 'retry' } }],
      };
      // Each copy of an event sent without its time is received at another time, as a retry is.
      const copy = (k: number): EventBatch => ({
        ...batch,
        events: batch.events.map((e) =>
          e.clientTimestamp ? e : { ...e, timestamp: new Date(e.timestamp.getTime() + k) },
        ),
      });
      const results = await Promise.all([0, 1, 2, 3].map((k) => store.writeBatch(ws, copy(k))));
      expect(results.reduce((sum, r) => sum + r.stored, 0)).toBe(24);
      expect(results.every((r) => r.stored + r.duplicates === 24)).toBe(true);
      await reference.writeBatch(ws, copy(0));
      const after = await store.overview(query, Interval.HOUR);
      expect(after.events - before.events).toBe(24);
      await sameOverview(query, Interval.HOUR);
      // The same id with another client time is another event (its identity is id and time).
      const moved = { ...batch.events[0], timestamp: new Date(at.getTime() + 500) } as EventInput;
      await write(ws, { events: [moved], sessions: [] });
      expect((await store.overview(query, Interval.HOUR)).events - before.events).toBe(25);
      expect(await store.session(ws, 'concurrent-copies')).toEqual(await reference.session(ws, 'concurrent-copies'));
    });

    it('a client id twice in one batch is stored once; events without client ids are always new', async () => {
      const at = new Date(now.getTime() - 3 * HOUR_MS);
      const id = randomUUID();
      const event = (over: Partial<EventInput>): EventInput => ({ ...plainEvent(at, 'dup-session'), ...over });
      const batch: EventBatch = {
        events: [
          event({ id, clientId: true }),
          event({ id, clientId: true, name: 'second copy' }),
          event({ id: randomUUID(), clientId: false }),
          event({ id: randomUUID(), clientId: false }),
        ],
        sessions: [],
      };
      const [got, want] = await Promise.all([store.writeBatch(ws, batch), reference.writeBatch(ws, batch)]);
      expect(got).toEqual({ stored: 3, duplicates: 1 });
      expect(got).toEqual(want);
      const timeline = await allSessionEvents(store, ws, 'dup-session', 10);
      expect(timeline.map((e) => e.name).sort()).toEqual(['x', 'x', 'x']);
    });
  });

  describe('export', () => {
    it.each(['csv', 'ndjson'] as const)('%s: the bytes of the shared serializer, filtered or not', async (format) => {
      for (const filters of [[], [{ names: ['odd'] }], [{ types: ['pageview'] }]] as EventFilter[][]) {
        const query = q(start, end, filters);
        const got = await bytes(await store.exportEvents(query, format));
        const want = await bytes(serializeEvents(reference.scanEvents(query), format));
        expect(got.toString('utf8')).toEqual(want.toString('utf8'));
        expect(got.equals(want)).toBe(true);
      }
      // Formula cells are neutralised in CSV (and only there).
      const odd = (await bytes(await store.exportEvents(q(start, end, [{ names: ['odd'] }]), format))).toString();
      if (format === 'csv') expect(odd).toContain(`,"'=HYPERLINK(""http://x"")",`);
      else expect(odd).toContain('"userId" : "=HYPERLINK(');
    });

    it('scanEvents gives the matching events in (ts, id) order, in batches', async () => {
      const query = q(start, end, [{ types: ['tool_call'] }]);
      const batches: EventData[][] = [];
      for await (const batch of store.scanEvents(query, { batchSize: 250 })) batches.push(batch);
      expect(batches.length).toBeGreaterThan(1);
      expect(batches.every((b) => b.length <= 250)).toBe(true);
      expect(batches.flat()).toEqual(await all(reference.scanEvents(query)));
    });
  });

  describe('breakdown', () => {
    async function sameBreakdown(query: AnalyticsQuery, by: BreakdownKey, limit = 100): Promise<BreakdownData[]> {
      const [got, want] = await Promise.all([store.breakdown(query, by, limit), reference.breakdown(query, by, limit)]);
      expect(got).toEqual(want);
      return got;
    }

    it('by an event property: strings, numbers, booleans, nested JSON, null and missing as not set', async () => {
      const keys = ['model', 'client', 'plan', 'referrer', 'tokens', 'weight', 'a.b', 'nested', 'big', 'missing'];
      for (const query of ranges()) {
        for (const key of keys) await sameBreakdown(query, { kind: 'property', key });
      }
      const models = await sameBreakdown(q(start, end), { kind: 'property', key: 'model' });
      expect(models.length).toBeGreaterThan(2);
      expect(models.some((row) => row.value === null)).toBe(true);
      const odd = q(start, end, [{ names: ['odd'] }]);
      expect(await sameBreakdown(odd, { kind: 'property', key: 'weight' })).toContainEqual(
        expect.objectContaining({ value: '0.0000001', count: 1 }),
      );
      expect(await sameBreakdown(odd, { kind: 'property', key: 'a.b' })).toContainEqual(
        expect.objectContaining({ value: 'true', count: 1 }),
      );
      // Cut where counts tie: the same values on every engine.
      for (const limit of [1, 2, 5]) {
        expect((await sameBreakdown(q(start, end), { kind: 'property', key: 'tokens' }, limit)).length).toBe(limit);
      }
    });

    it('by a session attribute, as each session has it now (merged in order); filtered ranges too', async () => {
      for (const query of ranges().slice(0, 2)) {
        for (const key of ['os', 'appVersion', 'client', 'missing']) {
          await sameBreakdown(query, { kind: 'sessionAttribute', key });
        }
      }
      const byOs = await sameBreakdown(q(start, end), { kind: 'sessionAttribute', key: 'os' });
      expect(byOs.length).toBeGreaterThan(1);
      for (const [_kind, filters] of [
        ['names', [{ names: ['read_file', 'run_tests'] }]],
        ['property', [{ properties: [{ key: 'client', op: PropertyOp.EQ, value: 'cli' }] }]],
      ] as Array<[string, EventFilter[]]>) {
        await sameBreakdown(q(start, end, filters), { kind: 'sessionAttribute', key: 'os' });
        await sameBreakdown(q(start, end, filters), { kind: 'property', key: 'model' }, 3);
      }

      // Attributes of every JSON type, merged over two batches; another workspace unseen.
      const typed = await engine.newWorkspace();
      const at = (i: number) => new Date(end.getTime() - 3 * HOUR_MS + i * 60_000);
      const event = (i: number, sessionId: string, status: 'ok' | 'error' | null = null): EventInput => ({
        ...plainEvent(at(i), sessionId),
        status,
      });
      await write(typed, {
        events: [event(1, 's1'), event(2, 's1', 'error'), event(3, 's2'), event(4, 's3'), event(5, 's4')],
        sessions: [
          { id: 's1', userId: null, attributes: { plan: 'pro', seats: 3, beta: true, meta: { b: 1, a: [2] } } },
          { id: 's2', userId: null, attributes: { plan: 'free', seats: 3.5, beta: false, gone: 'x' } },
          { id: 's3', userId: null, attributes: { plan: null, seats: 1e-7 } },
        ],
      });
      await write(typed, {
        events: [event(6, 's2', 'error'), event(7, 's3')],
        sessions: [{ id: 's2', userId: null, attributes: { plan: 'pro', gone: null } }],
      });
      const tq = { workspaceId: typed, from: start, to: end, filters: [] };
      for (const key of ['plan', 'seats', 'beta', 'meta', 'gone', 'missing']) {
        await sameBreakdown(tq, { kind: 'sessionAttribute', key });
      }
      expect(await sameBreakdown(tq, { kind: 'sessionAttribute', key: 'plan' })).toEqual([
        { value: 'pro', count: 4, sessions: 2, errors: 2 },
        { value: null, count: 3, sessions: 2, errors: 0 },
      ]);
      expect(await sameBreakdown(tq, { kind: 'sessionAttribute', key: 'meta' })).toEqual([
        { value: null, count: 5, sessions: 3, errors: 1 },
        { value: '{"a": [2], "b": 1}', count: 2, sessions: 1, errors: 1 },
      ]);
      expect(
        await store.breakdown({ ...tq, workspaceId: other }, { kind: 'sessionAttribute', key: 'seats' }, 10),
      ).toEqual([expect.objectContaining({ value: null })]);
    });
  });

  describe('duration series', () => {
    it('per bucket: events, errors and p95 of their durations, on every range, filtered or not', async () => {
      for (const query of ranges()) {
        for (const interval of [Interval.HOUR, Interval.DAY]) {
          expect(await store.durationSeries(query, interval)).toEqual(await reference.durationSeries(query, interval));
        }
      }
      const one = q(start, end, [{ names: ['read_file'] }]);
      const got = await store.durationSeries(one, Interval.DAY);
      expect(got).toEqual(await reference.durationSeries(one, Interval.DAY));
      expect(got.length).toBeGreaterThanOrEqual(31);
      expect(got.filter((point) => point.p95DurationMs !== null).length).toBeGreaterThan(10);
      expect(got.reduce((sum, point) => sum + point.count, 0)).toBe(
        (await reference.overview(one, Interval.DAY)).events,
      );
    });
  });

  describe('purge', () => {
    it('removes every event, session and aggregate of the workspace; resumable; other workspaces keep theirs', async () => {
      const doomed = await engine.newWorkspace();
      await write(doomed, datasetBatch(2));
      await store.settle();
      await write(doomed, datasetBatch(3));
      const otherBefore = await store.overview({ ...q(start, end), workspaceId: other }, Interval.DAY);
      const stopped = new AbortController();
      stopped.abort();
      expect(await store.purgeWorkspace(doomed, { signal: stopped.signal })).toEqual({ done: false });
      expect(await store.purgeWorkspace(doomed, { batchSize: 50 })).toEqual({ done: true });
      const gone = { workspaceId: doomed, from: start, to: end, filters: [] };
      const empty = await store.overview(gone, Interval.DAY);
      expect({ ...empty, series: [] }).toEqual({
        sessions: 0,
        events: 0,
        users: 0,
        errors: 0,
        avgSessionDurationMs: null,
        series: [],
      });
      expect(await store.toolsUsage(gone, 100)).toEqual([]);
      expect((await store.sessions(gone, { first: 10, after: null })).nodes).toEqual([]);
      expect(await store.countSessions(gone)).toBe(0);
      expect(await all(store.scanEvents(gone))).toEqual([]);
      expect(await store.overview({ ...q(start, end), workspaceId: other }, Interval.DAY)).toEqual(otherBefore);
      // The ids are forgotten too: the same batch is new again.
      const again = datasetBatch(2);
      expect((await store.writeBatch(doomed, again)).stored).toBe(again.events.length);
    });
  });
}

/** Events that exercise the serializers and the filters: formulas, quotes, line breaks, numbers. */
function oddBatch(now: Date): EventBatch {
  const at = (minutesAgo: number) => new Date(now.getTime() - 6 * HOUR_MS - minutesAgo * 60_000);
  const base = (minutesAgo: number, over: Partial<EventInput>): EventInput => ({
    ...plainEvent(at(minutesAgo), 'odd-session'),
    name: 'odd',
    ...over,
  });
  return {
    events: [
      base(1, { userId: '=HYPERLINK("http://x")', durationMs: 0.00001, properties: { weight: 1e-7, 'a.b': true } }),
      base(2, {
        type: '+cmd',
        durationMs: 123.456,
        properties: { nested: { b: [1, 'two'], a: 1 }, q: 'say "hi", ok' },
      }),
      base(3, { type: '-1', userId: '@user', properties: { text: 'line\nbreak\r\nand\ttab', big: 1e21 } }),
      base(4, { type: '\tlead', durationMs: 604_800_000, properties: { unicode: 'çà 日本 🎉', empty: '' } }),
      base(5, { sessionId: '=odd,session', status: 'error', durationMs: 0, properties: { model: 'Claude-X' } }),
      base(6, { type: '', userId: '', properties: null, status: 'ok', durationMs: 1e-5 }),
    ],
    sessions: [{ id: 'odd-session', userId: 'odd-user', attributes: { os: 'linux' } }],
  };
}

/** New events between pages: some older than any page read so far, some newer. */
function arrivals(now: Date, page: number): EventBatch {
  return {
    events: Array.from({ length: 12 }, (_, i) => ({
      ...plainEvent(
        new Date(now.getTime() - ((i * 61 + page * 7) % (29 * 24)) * HOUR_MS - i * 1000),
        `arrival-${page}`,
      ),
      name: 'arrival',
    })),
    sessions: [],
  };
}

function plainEvent(timestamp: Date, sessionId: string): EventInput {
  return {
    id: randomUUID(),
    clientId: false,
    clientTimestamp: true,
    timestamp,
    sessionId,
    name: 'x',
    type: 'custom',
    userId: null,
    durationMs: null,
    status: null,
    properties: null,
  };
}

function expectClose(got: number | null, want: number | null): void {
  if (got === null || want === null) expect(got).toBe(want);
  else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
}

function compareKeys(a: EventData, b: EventData): number {
  const byTime = a.timestamp.getTime() - b.timestamp.getTime();
  return byTime !== 0 ? byTime : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

async function all<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const result: T[] = [];
  for await (const batch of batches) result.push(...batch);
  return result;
}

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

async function allSessions(
  store: EventStore,
  query: AnalyticsQuery,
  first = 50,
  order?: SessionOrder,
): Promise<SessionData[]> {
  const result: SessionData[] = [];
  let after: SessionKey | null = null;
  for (;;) {
    const page: Page<SessionData> = await store.sessions(query, { first, after, ...(order ? { order } : {}) });
    result.push(...page.nodes);
    const last = page.nodes.at(-1);
    if (!page.hasNextPage || !last) return result;
    after = sessionKeyOf(last, order);
  }
}

async function allActivity(store: EventStore, query: AnalyticsQuery, first: number): Promise<EventData[]> {
  const result: EventData[] = [];
  let after: EventKey | null = null;
  for (;;) {
    const page: Page<EventData> = await store.activity(query, { first, after });
    result.push(...page.nodes);
    const last = page.nodes.at(-1);
    if (!page.hasNextPage || !last) return result;
    after = { ts: last.timestamp, id: last.id };
  }
}

async function allSessionEvents(store: EventStore, ws: string, sessionId: string, first: number): Promise<EventData[]> {
  const result: EventData[] = [];
  let after: EventKey | null = null;
  for (;;) {
    const page: Page<EventData> = await store.sessionEvents(ws, sessionId, { first, after });
    result.push(...page.nodes);
    const last = page.nodes.at(-1);
    if (!page.hasNextPage || !last) return result;
    after = { ts: last.timestamp, id: last.id };
  }
}
