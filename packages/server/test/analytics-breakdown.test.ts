import { createKeySecret, createRoleTeam, type RoleTeam } from './factories';
import { type TestServer, codeOf, startTestServer } from './harness';
import { FIXED_DATES_WINDOW, track } from './analytics-fixtures';

/**
 * Issue 20: Tools & Usage compared with the previous period, breakdowns by an event property or
 * a session attribute, and one tool's duration series — exact numbers for a known batch, on
 * every engine (the server-clickhouse project runs this file again).
 */

let server: TestServer;
let team: RoleTeam;
let editorKey: string;
let viewerKey: string;

const event = (
  sessionId: string,
  name: string,
  timestamp: string,
  more: Record<string, unknown> = {},
): Record<string, unknown> => ({ sessionId, name, type: 'tool_call', timestamp, ...more });

/**
 * The previous period (Jan 8–10): search ×2 (one error), fetch ×1. The current one (Jan 10–12):
 * search ×3 (one error), fetch ×2 (both errors), plan ×1 (new). Sessions carry app and version.
 */
const BATCH = {
  sessions: [
    { id: 'P1', attributes: { app: 'cli', version: '1.0' } },
    { id: 'C1', attributes: { app: 'cli', version: '1.2' } },
    { id: 'C2', attributes: { app: 'web', version: 2 } },
    { id: 'C3' },
  ],
  events: [
    event('P1', 'search', '2026-01-08T10:00:00Z', { durationMs: 100, status: 'ok' }),
    event('P1', 'search', '2026-01-09T10:00:00Z', { durationMs: 200, status: 'error' }),
    event('P1', 'fetch', '2026-01-09T11:00:00Z', { durationMs: 50 }),
    event('C1', 'search', '2026-01-10T10:00:00Z', {
      durationMs: 100,
      status: 'ok',
      properties: { model: 'sonnet', tokens: 10 },
    }),
    event('C1', 'search', '2026-01-10T11:00:00Z', {
      durationMs: 400,
      status: 'error',
      properties: { model: 'sonnet', tokens: 20 },
    }),
    event('C2', 'search', '2026-01-11T10:00:00Z', { durationMs: 300, properties: { model: 'haiku', tokens: 10 } }),
    event('C2', 'fetch', '2026-01-11T11:00:00Z', { durationMs: 10, status: 'error', properties: { cached: true } }),
    event('C3', 'fetch', '2026-01-11T12:00:00Z', { durationMs: 20, status: 'error', properties: { model: null } }),
    event('C3', 'plan', '2026-01-11T13:00:00Z', { properties: { model: 'sonnet' } }),
  ],
};
const CURRENT = { from: '2026-01-10T00:00:00Z', to: '2026-01-12T00:00:00Z' };

beforeAll(async () => {
  server = await startTestServer(FIXED_DATES_WINDOW);
  team = await createRoleTeam(server, 'Breakdown Team');
  [editorKey, viewerKey] = await Promise.all([
    createKeySecret(server, team.owner, team.teamId, 'EDITOR'),
    createKeySecret(server, team.owner, team.teamId, 'VIEWER'),
  ]);
  await track(server, editorKey, BATCH);
});
afterAll(() => server.close());

interface Row {
  name: string;
  count: number;
  errorRate: number;
  p95DurationMs: number | null;
  previousCount: number | null;
  previousErrorRate: number | null;
  previousP95DurationMs: number | null;
}

const TOOLS = `query($w: ID!, $range: DateRangeInput!, $compare: CompareTo, $filter: EventFilterInput) {
  workspace(id: $w) { analytics(range: $range, filter: $filter) { toolsUsage(compare: $compare) {
    name count errorRate p95DurationMs previousCount previousErrorRate previousP95DurationMs
  } } }
}`;

async function tools(variables: Record<string, unknown>, token = team.viewer.accessToken): Promise<Row[]> {
  const res = await server.gql<{ workspace: { analytics: { toolsUsage: Row[] } } }>(
    TOOLS,
    { w: team.teamId, range: CURRENT, ...variables },
    { token },
  );
  const rows = res.data?.workspace.analytics.toolsUsage;
  if (!rows) throw new Error(JSON.stringify(res.errors));
  return rows;
}

describe('toolsUsage(compare: PREVIOUS_PERIOD)', () => {
  it('each row carries its name in the period just before; a new name has nulls', async () => {
    const rows = await tools({ compare: 'PREVIOUS_PERIOD' });
    expect(rows.map((r) => [r.name, r.count, r.previousCount, r.previousErrorRate])).toEqual([
      ['search', 3, 2, 0.5],
      ['fetch', 2, 1, 0],
      ['plan', 1, null, null],
    ]);
    const search = rows.find((r) => r.name === 'search');
    expect(search?.errorRate).toBeCloseTo(1 / 3);
    // p95 of 100 and 200 from the log histogram: within 19 % of 200.
    expect(search?.previousP95DurationMs).toBeGreaterThan(200 * 0.81);
    expect(search?.previousP95DurationMs).toBeLessThan(200 * 1.19);
    expect(rows.find((r) => r.name === 'plan')?.previousP95DurationMs).toBeNull();
  });

  it('without compare the previous fields are null; filters apply to both periods', async () => {
    const plain = await tools({});
    expect(plain.every((r) => r.previousCount === null && r.previousErrorRate === null)).toBe(true);
    const filtered = await tools({ compare: 'PREVIOUS_PERIOD', filter: { names: ['fetch'] } });
    expect(filtered.map((r) => [r.name, r.count, r.previousCount])).toEqual([['fetch', 2, 1]]);
  });

  it('an unknown compare value is refused', async () => {
    const res = await server.gql(
      TOOLS,
      { w: team.teamId, range: CURRENT, compare: 'LAST_YEAR' },
      {
        token: team.viewer.accessToken,
      },
    );
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(res.data ?? null).toBeNull();
  });
});

const BREAKDOWN = `query($w: ID!, $range: DateRangeInput!, $by: BreakdownBy!, $limit: Int, $filter: EventFilterInput) {
  workspace(id: $w) { analytics(range: $range, filter: $filter) { breakdown(by: $by, limit: $limit) {
    value count sessions errorRate
  } } }
}`;
type BreakdownRow = { value: string | null; count: number; sessions: number; errorRate: number };

async function breakdown(variables: Record<string, unknown>, token = team.viewer.accessToken) {
  return server.gql<{ workspace: { analytics: { breakdown: BreakdownRow[] } } }>(
    BREAKDOWN,
    { w: team.teamId, range: CURRENT, ...variables },
    { token },
  );
}

async function rowsOf(variables: Record<string, unknown>, token?: string): Promise<BreakdownRow[]> {
  const res = await breakdown(variables, token);
  const rows = res.data?.workspace.analytics.breakdown;
  if (!rows) throw new Error(JSON.stringify(res.errors));
  return rows;
}

describe('breakdown', () => {
  it('by an event property: values with counts, sessions and error rate; null when not set (a JSON null too)', async () => {
    expect(await rowsOf({ by: { property: 'model' } })).toEqual([
      { value: 'sonnet', count: 3, sessions: 2, errorRate: 1 / 3 },
      { value: null, count: 2, sessions: 2, errorRate: 1 },
      { value: 'haiku', count: 1, sessions: 1, errorRate: 0 },
    ]);
    // Numbers and booleans as their JSON text; ties by value.
    expect((await rowsOf({ by: { property: 'tokens' } })).map((r) => [r.value, r.count])).toEqual([
      [null, 3],
      ['10', 2],
      ['20', 1],
    ]);
    expect((await rowsOf({ by: { property: 'cached' } })).map((r) => r.value)).toEqual([null, 'true']);
  });

  it('by a session attribute, honouring the range, the filter and the limit', async () => {
    // Counts tie: by value, not set last.
    expect(await rowsOf({ by: { sessionAttribute: 'app' } })).toEqual([
      { value: 'cli', count: 2, sessions: 1, errorRate: 0.5 },
      { value: 'web', count: 2, sessions: 1, errorRate: 0.5 },
      { value: null, count: 2, sessions: 1, errorRate: 0.5 },
    ]);
    expect(await rowsOf({ by: { sessionAttribute: 'version' }, filter: { names: ['search'] } })).toEqual([
      { value: '1.2', count: 2, sessions: 1, errorRate: 0.5 },
      { value: '2', count: 1, sessions: 1, errorRate: 0 },
    ]);
    const all = { from: '2026-01-08T00:00:00Z', to: '2026-01-12T00:00:00Z' };
    expect(await rowsOf({ range: all, by: { sessionAttribute: 'app' }, limit: 1 })).toEqual([
      { value: 'cli', count: 5, sessions: 2, errorRate: 2 / 5 },
    ]);
  });

  it('an API key with analytics.view reads it; an outsider gets NOT_FOUND', async () => {
    expect((await rowsOf({ by: { property: 'model' } }, viewerKey)).length).toBe(3);
    const outsider = await breakdown({ by: { property: 'model' } }, team.stranger.accessToken);
    expect(codeOf(outsider)).toBe('NOT_FOUND');
    expect(outsider.data?.workspace ?? null).toBeNull();
  });

  it.each([
    ['neither key', {}],
    ['both keys', { property: 'a', sessionAttribute: 'b' }],
    ['an empty key', { property: '' }],
    ['a key over 200 characters', { sessionAttribute: 'k'.repeat(201) }],
  ])('%s is BAD_USER_INPUT', async (_label, by) => {
    const res = await breakdown({ by });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.data?.workspace ?? null).toBeNull();
  });

  it('limit: 0 is BAD_USER_INPUT; over 100 is capped', async () => {
    expect(codeOf(await breakdown({ by: { property: 'model' }, limit: 0 }))).toBe('BAD_USER_INPUT');
    expect((await rowsOf({ by: { property: 'model' }, limit: 1000 })).length).toBe(3);
  });
});

describe('durationSeries', () => {
  it("one tool's events, error rate and p95 per bucket, every bucket", async () => {
    const res = await server.gql<{
      workspace: {
        analytics: {
          durationSeries: Array<{
            at: string;
            count: number;
            errors: number;
            errorRate: number;
            p95DurationMs: number | null;
          }>;
        };
      };
    }>(
      `query($w: ID!, $range: DateRangeInput!) { workspace(id: $w) {
        analytics(range: $range, filter: { names: ["search"] }) {
          durationSeries(interval: DAY) { at count errors errorRate p95DurationMs }
        } } }`,
      { w: team.teamId, range: CURRENT },
      { token: viewerKey },
    );
    const points = res.data?.workspace.analytics.durationSeries;
    expect(points?.map((p) => [p.at, p.count, p.errors, p.errorRate])).toEqual([
      ['2026-01-10T00:00:00.000Z', 2, 1, 0.5],
      ['2026-01-11T00:00:00.000Z', 1, 0, 0],
    ]);
    expect(points?.[0]?.p95DurationMs).toBeGreaterThan(400 * 0.81);
    expect(points?.[0]?.p95DurationMs).toBeLessThan(400 * 1.19);
    expect(points?.[1]?.p95DurationMs).toBeGreaterThan(300 * 0.81);
  });
});
