import { randomUUID } from 'node:crypto';
import type { EventFilter } from '@tally/shared';
import { createKeySecret, createRoleTeam, type RoleTeam } from './factories';
import { type TestServer, codeOf, startTestServer } from './harness';
import {
  ANALYTICS,
  FIXED_DATES_WINDOW,
  type AnalyticsResult,
  type Connection,
  type EventResult,
  type SessionResult,
  storedEvents,
  track,
} from './analytics-fixtures';

let server: TestServer;
let team: RoleTeam;
let editorKey: string;
let viewerKey: string;

/**
 * The known batch: four sessions over two days (UTC), two users (u1 in A and C, u2 in B; D has
 * none), eight events, two errors.
 */
const KNOWN = {
  events: [
    {
      sessionId: 'A',
      name: 'search',
      type: 'tool_call',
      timestamp: '2026-01-10T09:30:00Z',
      userId: 'u1',
      durationMs: 100,
      status: 'ok',
    },
    {
      sessionId: 'A',
      name: 'search',
      type: 'tool_call',
      timestamp: '2026-01-10T09:45:00Z',
      userId: 'u1',
      durationMs: 300,
      status: 'error',
    },
    { sessionId: 'A', name: 'open', type: 'pageview', timestamp: '2026-01-10T10:10:00Z', userId: 'u1' },
    {
      sessionId: 'B',
      name: 'search',
      type: 'tool_call',
      timestamp: '2026-01-10T10:20:00Z',
      userId: 'u2',
      durationMs: 50,
      status: 'ok',
      properties: { plan: 'pro', region: 'eu-west' },
    },
    {
      sessionId: 'B',
      name: 'fetch',
      type: 'tool_call',
      timestamp: '2026-01-10T11:05:00Z',
      userId: 'u2',
      durationMs: 1000,
      status: 'error',
      properties: { plan: 'free' },
    },
    {
      sessionId: 'C',
      name: 'fetch',
      type: 'tool_call',
      timestamp: '2026-01-11T08:00:00Z',
      userId: 'u1',
      durationMs: 20,
      status: 'ok',
      properties: { plan: 'pro' },
    },
    { sessionId: 'C', name: 'signup', timestamp: '2026-01-11T08:01:00Z', userId: 'u1' },
    {
      sessionId: 'D',
      name: 'search',
      type: 'tool_call',
      timestamp: '2026-01-11T23:59:59.999Z',
      durationMs: 10,
      status: 'ok',
    },
  ],
};
/** Ragged at the start (not on an hour), so rollups and raw rows both answer. */
const FULL = { from: '2026-01-10T09:15:00Z', to: '2026-01-12T00:00:00Z' };

beforeAll(async () => {
  server = await startTestServer(FIXED_DATES_WINDOW);
  team = await createRoleTeam(server, 'Analytics Team');
  [editorKey, viewerKey] = await Promise.all([
    createKeySecret(server, team.owner, team.teamId, 'EDITOR'),
    createKeySecret(server, team.owner, team.teamId, 'VIEWER'),
  ]);
  // Sent in two batches, the second first, so the sessions and rollups see events out of order.
  await track(server, editorKey, { events: KNOWN.events.slice(4) });
  await track(server, editorKey, { events: KNOWN.events.slice(0, 4) });
});
afterAll(() => server.close());

async function analytics(
  variables: Record<string, unknown>,
  token: string = team.viewer.accessToken,
): Promise<AnalyticsResult> {
  const res = await server.gql<{ workspace: { analytics: AnalyticsResult } }>(
    ANALYTICS,
    { w: team.teamId, range: FULL, first: 100, limit: 100, ...variables },
    { token },
  );
  const result = res.data?.workspace.analytics;
  if (!result) throw new Error(`analytics failed: ${JSON.stringify(res.errors)}`);
  return result;
}

/** Everything that does not depend on how it was computed. */
function answers(result: AnalyticsResult) {
  return { overview: result.overview, toolsUsage: result.toolsUsage, sessions: result.sessions.nodes.map((s) => s.id) };
}

describe('exact numbers for a known batch', () => {
  it('overview, series, tools & usage and lists agree with each other and with the raw rows', async () => {
    const result = await analytics({ interval: 'DAY' });
    expect(result.overview).toEqual({
      sessions: 4,
      events: 8,
      users: 2,
      errors: 2,
      avgSessionDurationMs: (2_400_000 + 2_700_000 + 60_000 + 0) / 4,
      series: [
        { at: '2026-01-10T00:00:00.000Z', sessions: 2, events: 5 },
        { at: '2026-01-11T00:00:00.000Z', sessions: 2, events: 3 },
      ],
    });
    const usage = Object.fromEntries(result.toolsUsage.map((row) => [row.name, row]));
    expect(result.toolsUsage.map((row) => row.name)).toEqual(['search', 'fetch', 'open', 'signup']);
    expect(usage['search']).toMatchObject({
      type: 'tool_call',
      count: 4,
      sessions: 3,
      errorRate: 0.25,
      avgDurationMs: 115,
    });
    expect(usage['fetch']).toMatchObject({
      type: 'tool_call',
      count: 2,
      sessions: 2,
      errorRate: 0.5,
      avgDurationMs: 510,
    });
    expect(usage['open']).toMatchObject({
      type: 'pageview',
      count: 1,
      sessions: 1,
      errorRate: 0,
      avgDurationMs: null,
      p95DurationMs: null,
    });
    expect(usage['signup']).toMatchObject({ type: 'custom', count: 1, sessions: 1 });
    // p95 of 10, 50, 100, 300 ms: within the bucket of 300 ms (quarter powers of two).
    expect(usage['search']?.p95DurationMs).toBeGreaterThanOrEqual(2 ** (32 / 4));
    expect(usage['search']?.p95DurationMs).toBeLessThanOrEqual(2 ** (33 / 4));

    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(sum(result.overview.series.map((p) => p.events))).toBe(result.overview.events);
    expect(sum(result.overview.series.map((p) => p.sessions))).toBe(result.overview.sessions);
    expect(sum(result.toolsUsage.map((row) => row.count))).toBe(result.overview.events);
    expect(result.activity.nodes).toHaveLength(8);
    expect(result.sessions.nodes.map((s) => s.id)).toEqual(['D', 'C', 'B', 'A']);
    // The stored events themselves (the store's scan, not its aggregates) agree.
    const raw = await storedEvents(server, team.teamId, { range: FULL });
    expect(raw).toHaveLength(8);
    expect(raw.filter((event) => event.status === 'error')).toHaveLength(2);
    expect(new Set(raw.flatMap((event) => (event.userId === null ? [] : [event.userId]))).size).toBe(2);

    const sessionA = result.sessions.nodes.find((s) => s.id === 'A');
    expect(sessionA).toEqual({
      id: 'A',
      userId: 'u1',
      startedAt: '2026-01-10T09:30:00.000Z',
      endedAt: '2026-01-10T10:10:00.000Z',
      durationMs: 2_400_000,
      eventCount: 3,
      errorCount: 1,
      attributes: null,
    });
  });

  it('hourly series over a ragged range sum to the totals, which rollups and raw rows give alike', async () => {
    const ragged = { from: '2026-01-10T09:40:00Z', to: '2026-01-11T08:00:30Z' };
    const result = await analytics({ range: ragged, interval: 'HOUR' });
    // 09:45, 10:10, 10:20, 11:05, 08:00; sessions started in range: B and C.
    expect(result.overview).toMatchObject({ events: 5, errors: 2, sessions: 2, users: 2 });
    expect(result.overview.series[0]?.at).toBe('2026-01-10T09:00:00.000Z');
    expect(result.overview.series.at(-1)?.at).toBe('2026-01-11T08:00:00.000Z');
    expect(result.overview.series).toHaveLength(24);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(sum(result.overview.series.map((p) => p.events))).toBe(5);
    expect(sum(result.overview.series.map((p) => p.sessions))).toBe(2);
    // A property condition that every event meets forces the raw path: the same answers.
    const everything: EventFilter = { properties: [{ key: 'nothing-here', op: 'NEQ', value: 'x' }] };
    const raw = await analytics({ range: ragged, interval: 'HOUR', filter: everything });
    expect(answers(raw)).toEqual(answers(result));
    const full = await analytics({ interval: 'HOUR' });
    const fullRaw = await analytics({ interval: 'HOUR', filter: everything });
    expect(answers(fullRaw)).toEqual(answers(full));
    // Usage: search counts A's second call (its first came before the range), so no session of A.
    const search = result.toolsUsage.find((row) => row.name === 'search');
    expect(search).toMatchObject({ count: 2, sessions: 1 });
  });

  it('a names filter over every name gives the same numbers (rollups by name and type)', async () => {
    const all = await analytics({ interval: 'DAY' });
    const named = await analytics({ interval: 'DAY', filter: { names: ['search', 'fetch', 'open', 'signup'] } });
    expect(answers(named)).toEqual(answers(all));
  });
});

describe("the engine's upkeep (settle(): PostgreSQL folds its rollup deltas)", () => {
  // What the fold leaves in PostgreSQL's tables: event-store/postgres-engine.test.ts.
  it('changes no answer, and the totals still hold the batch', async () => {
    const ragged = { from: '2026-01-10T09:40:00Z', to: '2026-01-11T08:00:30Z' };
    const before = await Promise.all([
      analytics({ interval: 'DAY' }),
      analytics({ interval: 'HOUR' }),
      analytics({ range: ragged, interval: 'HOUR' }),
    ]);
    await server.tally.services.events.settle();
    const after = await Promise.all([
      analytics({ interval: 'DAY' }),
      analytics({ interval: 'HOUR' }),
      analytics({ range: ragged, interval: 'HOUR' }),
    ]);
    expect(after.map(answers)).toEqual(before.map(answers));
    // The totals after it hold the batch: 8 events, 2 errors, and A, B, C, D each once.
    expect(after[0]?.overview).toMatchObject({ events: 8, errors: 2, sessions: 4, users: 2 });
    expect(after[0]?.toolsUsage.reduce((sum, row) => sum + row.count, 0)).toBe(8);
  });

  it('rollups folded earlier and deltas since add up, in another workspace', async () => {
    const other = await createRoleTeam(server, 'Fold Team');
    const key = await createKeySecret(server, other.owner, other.teamId, 'EDITOR');
    const read = async () => {
      const res = await server.gql<{ workspace: { analytics: AnalyticsResult } }>(
        ANALYTICS,
        { w: other.teamId, range: FULL, first: 100, limit: 100, interval: 'DAY' },
        { token: other.owner.accessToken },
      );
      const result = res.data?.workspace.analytics;
      if (!result) throw new Error(`analytics failed: ${JSON.stringify(res.errors)}`);
      return result;
    };
    await track(server, key, { events: KNOWN.events.slice(0, 4) });
    await server.tally.services.events.settle();
    await track(server, key, { events: KNOWN.events.slice(4) });
    const mixed = await read();
    expect(mixed.overview).toMatchObject({ events: 8, errors: 2, sessions: 4, users: 2 });
    expect(mixed.toolsUsage.find((row) => row.name === 'search')).toMatchObject({ count: 4, sessions: 3 });
    await server.tally.services.events.settle();
    expect(answers(await read())).toEqual(answers(mixed));
  });
});

describe('each filter kind', () => {
  const cases: Array<[string, EventFilter, number, string[]]> = [
    ['names', { names: ['fetch'] }, 2, ['C', 'B']],
    ['types', { types: ['pageview'] }, 1, ['A']],
    ['userIds', { userIds: ['u2'] }, 2, ['B']],
    ['properties EQ', { properties: [{ key: 'plan', op: 'EQ', value: 'pro' }] }, 2, ['C', 'B']],
    [
      'properties NEQ (missing or different)',
      { properties: [{ key: 'plan', op: 'NEQ', value: 'pro' }] },
      6,
      ['D', 'C', 'B', 'A'],
    ],
    ['properties CONTAINS (any case)', { properties: [{ key: 'region', op: 'CONTAINS', value: 'WEST' }] }, 1, ['B']],
    ['properties EXISTS', { properties: [{ key: 'plan', op: 'EXISTS' }] }, 3, ['C', 'B']],
    ['several at once', { names: ['search'], userIds: ['u1'] }, 2, ['A']],
  ];
  it.each(cases)('%s', async (_label, filter, events, sessions) => {
    const result = await analytics({ filter, interval: 'DAY' });
    expect(result.activity.nodes).toHaveLength(events);
    expect(result.overview.events).toBe(events);
    expect(result.toolsUsage.reduce((n, row) => n + row.count, 0)).toBe(events);
    expect(result.sessions.nodes.map((s) => s.id)).toEqual(sessions);
    expect(result.overview.sessions).toBe(sessions.length);
  });

  it('a saved filter applies together with an ad-hoc one; an unknown one is NOT_FOUND', async () => {
    const created = await server.gql<{ createSavedFilter: { id: string } }>(
      `mutation($w: ID!, $i: SavedFilterInput!) { createSavedFilter(workspaceId: $w, input: $i) { id } }`,
      { w: team.teamId, i: { name: `u1 ${randomUUID()}`, filter: { userIds: ['u1'] } } },
      { token: team.editor.accessToken },
    );
    const saved = created.data?.createSavedFilter.id;
    expect(saved).toBeDefined();
    const onlySaved = await analytics({ saved });
    expect(onlySaved.overview.events).toBe(5);
    const both = await analytics({ saved, filter: { names: ['search'] } });
    expect(both.overview.events).toBe(2);
    const unknown = await server.gql(
      ANALYTICS,
      { w: team.teamId, range: FULL, saved: randomUUID() },
      { token: team.viewer.accessToken },
    );
    expect(codeOf(unknown)).toBe('NOT_FOUND');
  });
});

describe('input checks', () => {
  it.each([
    ['from after to', { from: '2026-01-12T00:00:00Z', to: '2026-01-10T00:00:00Z' }],
    ['an empty range', { from: '2026-01-10T00:00:00Z', to: '2026-01-10T00:00:00Z' }],
    ['longer than 366 days', { from: '2024-01-01T00:00:00Z', to: '2026-01-10T00:00:00Z' }],
  ])('%s is BAD_USER_INPUT', async (_label, range) => {
    const res = await server.gql(ANALYTICS, { w: team.teamId, range }, { token: team.viewer.accessToken });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });

  it('a bad cursor is BAD_USER_INPUT; first is capped at 100', async () => {
    const bad = await server.gql(
      ANALYTICS,
      { w: team.teamId, range: FULL, after: 'nope' },
      { token: team.viewer.accessToken },
    );
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    const zero = await server.gql(
      ANALYTICS,
      { w: team.teamId, range: FULL, first: 0 },
      { token: team.viewer.accessToken },
    );
    expect(codeOf(zero)).toBe('BAD_USER_INPUT');
  });
});

describe('tampered cursors', () => {
  // Every connection that takes `after`, with the id its cursors carry.
  const CONNECTIONS = {
    sessions: `sessions(first: 1, after: $after) { nodes { id } }`,
    'sessions by events': `sessions(first: 1, after: $after, orderBy: { field: EVENTS, direction: ASC }) { nodes { id } }`,
    activity: `activity(first: 1, after: $after) { nodes { id } }`,
    'session events': `session(id: "A") { events(first: 1, after: $after) { nodes { id } } }`,
  };
  /** A session cursor names its order first: each tampered shape after a valid order. */
  const WRAP: Record<string, (key: unknown) => unknown> = {
    sessions: (key) => (Array.isArray(key) ? ['STARTED_AT.DESC', ...(key as unknown[])] : key),
    'sessions by events': (key) =>
      Array.isArray(key) ? ['EVENTS.ASC', ...(key as unknown[]).map((part, i) => (i === 0 ? '3' : part))] : key,
  };
  const AUDIT_LOG = `query($w: ID!, $after: String) { workspace(id: $w) { auditLog(first: 1, after: $after) { nodes { id } } } }`;
  const cursor = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
  const AT = '2026-01-10T10:00:00.000Z';
  const ID = randomUUID();
  /** Decoded, each is what a client can write into a cursor; several were a 500 (PostgreSQL 22021, 22008). */
  const TAMPERED: Array<[string, unknown]> = [
    ['a NUL in the id', [AT, 'x\u0000']],
    ['a lone surrogate in the id', [AT, '\ud800']],
    ['an id of 201 characters', [AT, 'a'.repeat(201)]],
    ['an empty id', [AT, '']],
    ['a date of year −271821', ['-271821-04-20T00:00:00.000Z', ID]],
    ['a date of year 0', ['0000-01-01T00:00:00.000Z', ID]],
    ['a date past year 9999', ['+010000-01-01T00:00:00.000Z', ID]],
    ['30 February', ['2026-02-30T00:00:00.000Z', ID]],
    ['hour 24', ['2026-01-10T24:00:00.000Z', ID]],
    ['a number that Date.parse reads as a year', ['1', ID]],
    ['a time without a zone', ['2026-01-10T10:00:00', ID]],
    ['not an array of two strings', [AT, 7]],
    ['one part only', [AT]],
    ['a JSON object', { at: AT, id: ID }],
  ];

  it.each(Object.entries(CONNECTIONS))(
    '%s: every tampered shape is BAD_USER_INPUT naming `after`',
    async (name, field) => {
      const query = `query($w: ID!, $range: DateRangeInput!, $after: String) {
      workspace(id: $w) { analytics(range: $range) { ${field} } }
    }`;
      const wrap = WRAP[name] ?? ((key: unknown) => key);
      // A count order's cursor holds no time: of the shapes, those of its id and of its form.
      const timeless = (label: string) => !/date|February|hour|year|zone/.test(label);
      const shapes: Array<[string, unknown]> = TAMPERED.filter(
        ([label]) => name !== 'sessions by events' || timeless(label),
      ).map(([shape, key]) => [shape, wrap(key)]);
      if (name === 'sessions by events') {
        // The value of a count order is a whole number; the order one of the lists'.
        shapes.push(
          ['a fraction', ['EVENTS.ASC', '1.5', 'A']],
          ['a negative number', ['EVENTS.ASC', '-1', 'A']],
          ['a number too long to be exact', ['EVENTS.ASC', '1'.repeat(16), 'A']],
          ['a time for a count', ['EVENTS.ASC', AT, 'A']],
          ['an unknown order', ['EVENTS.UP', '3', 'A']],
          ['no order', ['', '3', 'A']],
        );
      }
      for (const [shape, key] of shapes) {
        const res = await server.gql(
          query,
          { w: team.teamId, range: FULL, after: cursor(key) },
          { token: team.viewer.accessToken },
        );
        expect({ shape, errors: res.errors }).toEqual({
          shape,
          errors: [
            expect.objectContaining({
              message: 'This cursor is not valid: pass an endCursor this API returned.',
              extensions: { code: 'BAD_USER_INPUT', field: 'after' },
            }),
          ],
        });
      }
    },
  );

  it('auditLog: every tampered shape is BAD_USER_INPUT naming `after`, and so is an id that only looks like a UUID', async () => {
    for (const [shape, key] of [...TAMPERED, ['36 dashes for an id', [AT, '-'.repeat(36)]] as [string, unknown]]) {
      const res = await server.gql(
        AUDIT_LOG,
        { w: team.teamId, after: cursor(key) },
        { token: team.owner.accessToken },
      );
      expect({ shape, errors: res.errors }).toEqual({
        shape,
        errors: [
          expect.objectContaining({
            message: 'This cursor is not valid: pass an endCursor this API returned.',
            extensions: { code: 'BAD_USER_INPUT', field: 'after' },
          }),
        ],
      });
    }
  });

  it('the cursors the API returns still page (sessions by text id, the audit log to the microsecond)', async () => {
    type Sessions = { workspace: { analytics: { sessions: Connection<{ id: string }> } } };
    const SESSIONS = `query($w: ID!, $range: DateRangeInput!, $after: String) {
      workspace(id: $w) { analytics(range: $range) { sessions(first: 1, after: $after) {
        nodes { id } pageInfo { hasNextPage endCursor }
      } } }
    }`;
    const token = team.viewer.accessToken;
    const first = await server.gql<Sessions>(SESSIONS, { w: team.teamId, range: FULL }, { token });
    const firstPage = first.data?.workspace.analytics.sessions;
    const next = await server.gql<Sessions>(
      SESSIONS,
      { w: team.teamId, range: FULL, after: firstPage?.pageInfo.endCursor },
      { token },
    );
    expect(next.errors).toBeUndefined();
    expect(next.data?.workspace.analytics.sessions.nodes).toHaveLength(1);
    expect(next.data?.workspace.analytics.sessions.nodes[0]?.id).not.toBe(firstPage?.nodes[0]?.id);
    const page1 = await server.gql<{
      workspace: { auditLog: { nodes: Array<{ id: string }>; pageInfo: { endCursor: string } } };
    }>(
      `query($w: ID!) { workspace(id: $w) { auditLog(first: 1) { nodes { id } pageInfo { endCursor } } } }`,
      { w: team.teamId },
      { token: team.owner.accessToken },
    );
    const endCursor = page1.data?.workspace.auditLog.pageInfo.endCursor;
    const page2 = await server.gql<{ workspace: { auditLog: { nodes: Array<{ id: string }> } } }>(
      AUDIT_LOG,
      { w: team.teamId, after: endCursor },
      { token: team.owner.accessToken },
    );
    expect(page2.errors).toBeUndefined();
    expect(page2.data?.workspace.auditLog.nodes[0]?.id).not.toBe(page1.data?.workspace.auditLog.nodes[0]?.id);
  });
});

describe('sessions in an order, and their total', () => {
  type Page = {
    totalCount: number;
    nodes: Array<{ id: string }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
  const SESSIONS = `query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput, $first: Int, $after: String, $orderBy: SessionOrder) {
    workspace(id: $w) { analytics(range: $range, filter: $filter) {
      sessions(first: $first, after: $after, orderBy: $orderBy) { totalCount nodes { id } pageInfo { hasNextPage endCursor } }
    } }
  }`;
  async function page(variables: Record<string, unknown>) {
    return server.gql<{ workspace: { analytics: { sessions: Page } } }>(
      SESSIONS,
      { w: team.teamId, range: FULL, ...variables },
      { token: team.viewer.accessToken },
    );
  }
  /** Every session, one per page, through the cursors. */
  async function ids(orderBy: unknown): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const res = await page({ first: 1, after, orderBy });
      const sessions = res.data?.workspace.analytics.sessions;
      if (!sessions) throw new Error(JSON.stringify(res.errors));
      expect(sessions.totalCount).toBe(4);
      seen.push(...sessions.nodes.map((n) => n.id));
      if (!sessions.pageInfo.hasNextPage) return seen;
      after = sessions.pageInfo.endCursor;
    }
    return seen;
  }

  // A: 40 min, 3 events, 1 error; B: 45 min, 2, 1; C: 1 min, 2, 0; D: 0 ms, 1, 0. Ties by id, the same way.
  it.each([
    ['STARTED_AT', 'ASC', ['A', 'B', 'C', 'D']],
    ['STARTED_AT', 'DESC', ['D', 'C', 'B', 'A']],
    ['DURATION', 'ASC', ['D', 'C', 'A', 'B']],
    ['DURATION', 'DESC', ['B', 'A', 'C', 'D']],
    ['EVENTS', 'ASC', ['D', 'B', 'C', 'A']],
    ['EVENTS', 'DESC', ['A', 'C', 'B', 'D']],
    ['ERRORS', 'ASC', ['C', 'D', 'A', 'B']],
    ['ERRORS', 'DESC', ['B', 'A', 'D', 'C']],
  ])('%s %s, page by page', async (field, direction, expected) => {
    expect(await ids({ field, direction })).toEqual(expected);
  });

  it('newest first without orderBy; totalCount follows the range and the filter', async () => {
    expect(await ids(null)).toEqual(['D', 'C', 'B', 'A']);
    const jan11 = await page({ range: { from: '2026-01-11T00:00:00Z', to: '2026-01-12T00:00:00Z' } });
    expect(jan11.data?.workspace.analytics.sessions.totalCount).toBe(2);
    const fetching = await page({ filter: { names: ['fetch'] } });
    expect(fetching.data?.workspace.analytics.sessions).toMatchObject({
      totalCount: 2,
      nodes: [{ id: 'C' }, { id: 'B' }],
    });
    const none = await page({ filter: { names: ['no-such-event'] } });
    expect(none.data?.workspace.analytics.sessions).toMatchObject({ totalCount: 0, nodes: [] });
  });

  it('a cursor of another order is BAD_USER_INPUT naming both orders', async () => {
    const first = await page({ first: 1, orderBy: { field: 'EVENTS', direction: 'DESC' } });
    const cursor = first.data?.workspace.analytics.sessions.pageInfo.endCursor;
    expect(cursor).toEqual(expect.any(String));
    for (const orderBy of [null, { field: 'EVENTS', direction: 'ASC' }, { field: 'ERRORS', direction: 'DESC' }]) {
      const res = await page({ first: 1, after: cursor, orderBy });
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(
            /^This cursor belongs to the sessions in EVENTS DESC order, not in [A-Z_]+ (ASC|DESC) order/,
          ),
          extensions: { code: 'BAD_USER_INPUT', field: 'after' },
        }),
      ]);
      expect(res.data?.workspace ?? null).toBeNull();
    }
  });

  it('an unknown order field or direction is refused by the schema', async () => {
    const res = await page({ orderBy: { field: 'NAME', direction: 'ASC' } });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });

  it('an outsider gets NOT_FOUND and no total', async () => {
    const res = await server.gql(SESSIONS, { w: team.teamId, range: FULL }, { token: team.stranger.accessToken });
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect(res.data?.['workspace'] ?? null).toBeNull();
  });
});

describe('who may read', () => {
  it('a VIEWER key reads its own workspace; every member role reads; an outsider gets NOT_FOUND', async () => {
    const byKey = await server.gql<{ workspace: { analytics: { overview: { events: number } } } }>(
      `query($range: DateRangeInput!) { workspace { analytics(range: $range) { overview { events } } } }`,
      { range: FULL },
      { token: viewerKey },
    );
    expect(byKey.data?.workspace.analytics.overview.events).toBe(8);
    for (const member of [team.owner, team.admin, team.editor, team.viewer]) {
      expect((await analytics({}, member.accessToken)).overview.events).toBe(8);
    }
    const outsider = await server.gql(ANALYTICS, { w: team.teamId, range: FULL }, { token: team.stranger.accessToken });
    expect(codeOf(outsider)).toBe('NOT_FOUND');
    expect(outsider.data?.['workspace'] ?? null).toBeNull();
  });
});

describe('session and its timeline', () => {
  const SESSION = `query($w: ID!, $range: DateRangeInput!, $id: ID!, $first: Int, $after: String) {
    workspace(id: $w) { analytics(range: $range) { session(id: $id) {
      id eventCount events(first: $first, after: $after) { nodes { name timestamp } pageInfo { hasNextPage endCursor } }
    } } }
  }`;
  type SessionPage = { id: string; eventCount: number; events: Connection<{ name: string; timestamp: string }> };

  it("lists a session's events in time order, page by page; an unknown id is null", async () => {
    const first = await server.gql<{ workspace: { analytics: { session: SessionPage } } }>(
      SESSION,
      { w: team.teamId, range: FULL, id: 'A', first: 2 },
      { token: team.viewer.accessToken },
    );
    const page1 = first.data?.workspace.analytics.session;
    expect(page1?.events.nodes.map((e) => e.name)).toEqual(['search', 'search']);
    expect(page1?.events.pageInfo.hasNextPage).toBe(true);
    const second = await server.gql<{ workspace: { analytics: { session: SessionPage } } }>(
      SESSION,
      { w: team.teamId, range: FULL, id: 'A', first: 2, after: page1?.events.pageInfo.endCursor },
      { token: team.viewer.accessToken },
    );
    expect(second.data?.workspace.analytics.session.events.nodes.map((e) => e.name)).toEqual(['open']);
    expect(second.data?.workspace.analytics.session.events.pageInfo.hasNextPage).toBe(false);
    const none = await server.gql<{ workspace: { analytics: { session: null } } }>(
      SESSION,
      { w: team.teamId, range: FULL, id: 'nope' },
      { token: team.viewer.accessToken },
    );
    expect(none.data?.workspace.analytics.session).toBeNull();
  });
});

describe('overview annotations', () => {
  it('lists the annotations within the range', async () => {
    await server.gql(
      `mutation($w: ID!, $i: AnnotationInput!) { createAnnotation(workspaceId: $w, input: $i) { id } }`,
      { w: team.teamId, i: { at: '2026-01-10T12:00:00Z', text: 'v2.3 released' } },
      { token: team.editor.accessToken },
    );
    const res = await server.gql<{ workspace: { analytics: { overview: { annotations: Array<{ text: string }> } } } }>(
      `query($w: ID!, $range: DateRangeInput!) { workspace(id: $w) { analytics(range: $range) { overview { annotations { text } } } } }`,
      { w: team.teamId, range: FULL },
      { token: team.viewer.accessToken },
    );
    expect(res.data?.workspace.analytics.overview.annotations).toEqual([{ text: 'v2.3 released' }]);
  });
});

describe('pagination while events arrive', () => {
  const FEB = { from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z' };
  const PAGE = `query($w: ID!, $range: DateRangeInput!, $first: Int, $eventsAfter: String, $sessionsAfter: String) {
    workspace(id: $w) { analytics(range: $range) {
      activity(first: $first, after: $eventsAfter) { nodes { id timestamp } pageInfo { hasNextPage endCursor } }
      sessions(first: $first, after: $sessionsAfter) { nodes { id } pageInfo { hasNextPage endCursor } }
    } }
  }`;
  type Pages = {
    activity: Connection<Pick<EventResult, 'id' | 'timestamp'>>;
    sessions: Connection<Pick<SessionResult, 'id'>>;
  };

  async function pageOf(eventsAfter: string | null, sessionsAfter: string | null): Promise<Pages> {
    const res = await server.gql<{ workspace: { analytics: Pages } }>(
      PAGE,
      { w: team.teamId, range: FEB, first: 3, eventsAfter, sessionsAfter },
      { token: team.viewer.accessToken },
    );
    const pages = res.data?.workspace.analytics;
    if (!pages) throw new Error(JSON.stringify(res.errors));
    return pages;
  }

  it('every event and session shows up exactly once, whatever arrives between pages', async () => {
    const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 1, 1, 12, minute, second)).toISOString();
    const original = Array.from({ length: 10 }, (_, i) => ({
      id: randomUUID(),
      sessionId: `feb-${i % 7}`,
      name: 'step',
      // Two events share a timestamp: the id breaks the tie.
      timestamp: at(i === 5 ? 4 : i),
    }));
    await track(server, editorKey, { events: original });

    const seenEvents: string[] = [];
    const seenSessions: string[] = [];
    let eventCursor: string | null = null;
    let sessionCursor: string | null = null;
    let eventsDone = false;
    let sessionsDone = false;
    for (let round = 0; round < 10 && !(eventsDone && sessionsDone); round += 1) {
      const pages = await pageOf(eventCursor, sessionCursor);
      if (!eventsDone) {
        const page = pages.activity;
        seenEvents.push(...page.nodes.map((n) => n.id));
        eventCursor = page.pageInfo.endCursor;
        eventsDone = !page.pageInfo.hasNextPage;
      }
      if (!sessionsDone) {
        const page = pages.sessions;
        seenSessions.push(...page.nodes.map((n) => n.id));
        sessionCursor = page.pageInfo.endCursor;
        sessionsDone = !page.pageInfo.hasNextPage;
      }
      // New events and sessions arrive, newer than everything listed so far.
      await track(server, editorKey, {
        events: [{ id: randomUUID(), sessionId: `feb-new-${round}`, name: 'step', timestamp: at(30 + round) }],
      });
    }
    expect(eventsDone && sessionsDone).toBe(true);
    expect(seenEvents).toHaveLength(10);
    expect(new Set(seenEvents)).toEqual(new Set(original.map((e) => e.id)));
    expect(seenSessions).toHaveLength(7);
    expect(new Set(seenSessions)).toEqual(new Set(Array.from({ length: 7 }, (_, i) => `feb-${i}`)));
  });
});
