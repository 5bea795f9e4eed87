import { createKeySecret, createRoleTeam, type RoleTeam } from './factories';
import { type TestServer, codeOf, gqlRequest, startSibling, startTestServer } from './harness';
import { FIXED_DATES_WINDOW, type OverviewResult, track } from './analytics-fixtures';

/**
 * Issue 20 §1: `overview(compare: PREVIOUS_PERIOD)` gives, in `previous`, the same totals and
 * series for the range of the same length just before, at that period's own times, with the
 * same filter and interval; on every event store (this file runs in the server-clickhouse
 * project too).
 */

let server: TestServer;
let team: RoleTeam;
let key: string;

/** The current period: [Jan 10, Jan 12). Three sessions, two users, five events, one error. */
const CURRENT = { from: '2026-01-10T00:00:00Z', to: '2026-01-12T00:00:00Z' };
/** Its previous period: [Jan 8, Jan 10). Two sessions, one user, three events, two errors. */
const PREVIOUS = { from: '2026-01-08T00:00:00Z', to: '2026-01-10T00:00:00Z' };

const EVENTS = [
  // Before both periods: counted by neither.
  { sessionId: 'old', name: 'search', type: 'tool_call', timestamp: '2026-01-07T12:00:00Z', userId: 'u9' },
  // The previous period.
  {
    sessionId: 'P1',
    name: 'search',
    type: 'tool_call',
    timestamp: '2026-01-08T10:00:00Z',
    userId: 'u1',
    durationMs: 100,
    status: 'error',
  },
  {
    sessionId: 'P1',
    name: 'fetch',
    type: 'tool_call',
    timestamp: '2026-01-08T10:30:00Z',
    userId: 'u1',
    durationMs: 100,
    status: 'ok',
  },
  {
    sessionId: 'P2',
    name: 'search',
    type: 'tool_call',
    timestamp: '2026-01-09T23:59:59.999Z',
    userId: 'u1',
    status: 'error',
  },
  // The current period.
  { sessionId: 'C1', name: 'search', type: 'tool_call', timestamp: '2026-01-10T00:00:00Z', userId: 'u1' },
  { sessionId: 'C1', name: 'search', type: 'tool_call', timestamp: '2026-01-10T00:10:00Z', userId: 'u1' },
  { sessionId: 'C2', name: 'fetch', type: 'tool_call', timestamp: '2026-01-10T18:00:00Z', userId: 'u2' },
  {
    sessionId: 'C3',
    name: 'search',
    type: 'tool_call',
    timestamp: '2026-01-11T09:00:00Z',
    status: 'error',
  },
  { sessionId: 'C3', name: 'open', type: 'pageview', timestamp: '2026-01-11T09:05:00Z' },
  // After both: counted by neither.
  { sessionId: 'late', name: 'search', type: 'tool_call', timestamp: '2026-01-12T00:00:00Z', userId: 'u9' },
];

const OVERVIEW = `query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput, $interval: Interval, $compare: CompareTo) {
  workspace(id: $w) {
    analytics(range: $range, filter: $filter) {
      overview(interval: $interval, compare: $compare) {
        sessions events users errors avgSessionDurationMs
        series { at sessions events }
        previous {
          sessions events users errors avgSessionDurationMs
          series { at sessions events }
          annotations { text at }
          previous { events }
        }
      }
    }
  }
}`;

type Previous = OverviewResult & { annotations: Array<{ text: string; at: string }>; previous: null | object };
type Compared = OverviewResult & { previous: Previous | null };

beforeAll(async () => {
  server = await startTestServer(FIXED_DATES_WINDOW);
  team = await createRoleTeam(server, 'Compare Team');
  key = await createKeySecret(server, team.owner, team.teamId, 'EDITOR');
  await track(server, key, { events: EVENTS });
});
afterAll(() => server.close());

async function overview(variables: Record<string, unknown>, token = team.viewer.accessToken): Promise<Compared> {
  const res = await server.gql<{ workspace: { analytics: { overview: Compared } } }>(
    OVERVIEW,
    { w: team.teamId, range: CURRENT, ...variables },
    { token },
  );
  const result = res.data?.workspace.analytics.overview;
  if (!result) throw new Error(`overview failed: ${JSON.stringify(res.errors)}`);
  return result;
}

/** The overview of a range asked on its own (no compare), without `previous`. */
async function alone(range: { from: string; to: string }, variables: Record<string, unknown> = {}) {
  const { previous, ...rest } = await overview({ range, ...variables });
  expect(previous).toBeNull();
  return rest;
}

describe('overview(compare: PREVIOUS_PERIOD)', () => {
  it('gives the previous period’s totals and series at its own times, the current ones unchanged', async () => {
    const result = await overview({ interval: 'DAY', compare: 'PREVIOUS_PERIOD' });
    const { previous, ...current } = result;
    expect(current).toEqual({
      sessions: 3,
      events: 5,
      users: 2,
      errors: 1,
      avgSessionDurationMs: (600_000 + 0 + 300_000) / 3,
      series: [
        { at: '2026-01-10T00:00:00.000Z', sessions: 2, events: 3 },
        { at: '2026-01-11T00:00:00.000Z', sessions: 1, events: 2 },
      ],
    });
    expect(previous).toEqual({
      sessions: 2,
      events: 3,
      users: 1,
      errors: 2,
      avgSessionDurationMs: (1_800_000 + 0) / 2,
      series: [
        { at: '2026-01-08T00:00:00.000Z', sessions: 1, events: 2 },
        { at: '2026-01-09T00:00:00.000Z', sessions: 1, events: 1 },
      ],
      annotations: [],
      // The previous period is not compared again.
      previous: null,
    });
    // Exactly what the previous range gives when asked for itself, and the current range alike.
    const { previous: _ignored, ...own } = previous ?? { previous: null };
    expect({ ...own, annotations: undefined }).toEqual({
      ...(await alone(PREVIOUS, { interval: 'DAY' })),
      annotations: undefined,
    });
    expect(current).toEqual(await alone(CURRENT, { interval: 'DAY' }));
  });

  it('without compare (or with null), previous is null', async () => {
    expect((await overview({ interval: 'DAY' })).previous).toBeNull();
    expect((await overview({ interval: 'DAY', compare: null })).previous).toBeNull();
  });

  it('keeps the interval the range chose (HOUR up to two days) and a ragged range’s length', async () => {
    // 13 hours from 11:30: the previous period is [Jan 9 22:30, Jan 10 11:30).
    const ragged = { from: '2026-01-10T11:30:00Z', to: '2026-01-11T00:30:00Z' };
    const result = await overview({ range: ragged, compare: 'PREVIOUS_PERIOD' });
    const previous = result.previous;
    expect(previous).not.toBeNull();
    expect(result.series[0]?.at).toBe('2026-01-10T11:00:00.000Z');
    expect(previous?.series[0]?.at).toBe('2026-01-09T22:00:00.000Z');
    expect(previous?.series.at(-1)?.at).toBe('2026-01-10T11:00:00.000Z');
    expect(previous?.series).toHaveLength(result.series.length);
    // P2's error at 23:59:59.999 and C1's two events at 00:00 and 00:10.
    expect(previous).toMatchObject({ events: 3, errors: 1, sessions: 2, users: 1 });
    expect(previous?.series.find((p) => p.at === '2026-01-09T23:00:00.000Z')).toEqual({
      at: '2026-01-09T23:00:00.000Z',
      sessions: 1,
      events: 1,
    });
    expect(previous?.series.find((p) => p.at === '2026-01-10T00:00:00.000Z')).toEqual({
      at: '2026-01-10T00:00:00.000Z',
      sessions: 1,
      events: 2,
    });
  });

  it('applies the same filter to both periods', async () => {
    const result = await overview({ interval: 'DAY', compare: 'PREVIOUS_PERIOD', filter: { names: ['search'] } });
    expect(result).toMatchObject({ events: 3, errors: 1, sessions: 2 });
    expect(result.previous).toMatchObject({ events: 2, errors: 2, sessions: 2 });
    const byProperty = await overview({
      interval: 'DAY',
      compare: 'PREVIOUS_PERIOD',
      filter: { userIds: ['u1'], types: ['tool_call'] },
    });
    expect(byProperty).toMatchObject({ events: 2, sessions: 1 });
    expect(byProperty.previous).toMatchObject({ events: 3, sessions: 2, users: 1 });
  });

  it('lists the previous period’s annotations under previous', async () => {
    const created = await server.gql<{ createAnnotation: { id: string } }>(
      `mutation($w: ID!, $i: AnnotationInput!) { createAnnotation(workspaceId: $w, input: $i) { id } }`,
      { w: team.teamId, i: { at: '2026-01-09T12:00:00Z', text: 'Before' } },
      { token: team.editor.accessToken },
    );
    expect(created.errors).toBeUndefined();
    const result = await overview({ interval: 'DAY', compare: 'PREVIOUS_PERIOD' });
    expect(result.previous?.annotations).toEqual([{ text: 'Before', at: '2026-01-09T12:00:00.000Z' }]);
  });

  it('works at the longest range (its previous period lies before the ingest window): zeros there', async () => {
    const year = { from: '2025-01-11T00:00:00Z', to: '2026-01-12T00:00:00Z' };
    const result = await overview({ range: year, interval: 'DAY', compare: 'PREVIOUS_PERIOD' });
    expect(result.events).toBe(EVENTS.length - 1);
    expect(result.previous).toMatchObject({ events: 0, sessions: 0, users: 0, errors: 0 });
    expect(result.previous?.series).toHaveLength(result.series.length);
    expect(result.previous?.series[0]?.at).toBe('2024-01-11T00:00:00.000Z');
  });

  it('is BAD_USER_INPUT for an unknown comparison; a VIEWER key gets it; another team’s person gets NOT_FOUND and no data', async () => {
    const bad = await server.gql(
      OVERVIEW,
      { w: team.teamId, range: CURRENT, compare: 'LAST_YEAR' },
      { token: team.viewer.accessToken },
    );
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');

    const viewerKey = await createKeySecret(server, team.owner, team.teamId, 'VIEWER');
    const asKey = await server.gql<{ workspace: { analytics: { overview: Compared } } }>(
      OVERVIEW,
      { w: team.teamId, range: CURRENT, interval: 'DAY', compare: 'PREVIOUS_PERIOD' },
      { token: viewerKey },
    );
    expect(asKey.data?.workspace.analytics.overview.previous?.events).toBe(3);

    const stranger = await createRoleTeam(server, 'Compare Stranger');
    const other = await server.gql(
      OVERVIEW,
      { w: team.teamId, range: CURRENT, compare: 'PREVIOUS_PERIOD' },
      { token: stranger.owner.accessToken },
    );
    expect(other.data?.workspace ?? null).toBeNull();
    expect(codeOf(other)).toBe('NOT_FOUND');
  });

  it('counts as two analytics fields against the per-minute limit', async () => {
    const sibling = await startSibling(server, { ANALYTICS_QUERIES_PER_MINUTE: '3' });
    try {
      // A fixed window: if it turned during the first try, the second lies within one window.
      for (let attempt = 1; ; attempt += 1) {
        const viewerKey = await createKeySecret(server, team.owner, team.teamId, 'VIEWER');
        const ask = (compare: string | null) =>
          gqlRequest<{ workspace: { analytics: { overview: Compared } } | null }>(
            sibling.url,
            OVERVIEW,
            { w: team.teamId, range: CURRENT, interval: 'DAY', compare },
            { headers: { 'x-api-key': viewerKey } },
          );
        const minute = Math.floor(Date.now() / 60_000);
        const compared = await ask('PREVIOUS_PERIOD');
        const third = await ask(null);
        const fourth = await ask(null);
        if (Math.floor(Date.now() / 60_000) !== minute && attempt === 1) continue;
        expect(compared.errors).toBeUndefined();
        expect(compared.data?.workspace?.analytics.overview.previous?.events).toBe(3);
        expect(third.errors).toBeUndefined();
        expect(fourth.data?.workspace ?? null).toBeNull();
        expect(fourth.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
        break;
      }
    } finally {
      await sibling.close();
    }
  });
});
