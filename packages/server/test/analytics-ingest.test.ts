import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingestReference } from '../src/modules/events/ingest.schema';
import { createRoleTeam, type RoleTeam, createKeySecret } from './factories';
import { type TestServer, startTestServer } from './harness';
import { loadConfig } from '../src/platform/config';
import {
  FIXED_DATES_WINDOW,
  eventsOfSession,
  postEvents,
  storedEvents,
  storedSession,
  track,
} from './analytics-fixtures';

const DAY = 24 * 60 * 60 * 1000;

let server: TestServer;
let team: RoleTeam;
let editorKey: string;
let viewerKey: string;
let adminKey: string;

beforeAll(async () => {
  // Several fixtures carry fixed dates; the timestamp window's own test starts a server of its own.
  server = await startTestServer(FIXED_DATES_WINDOW);
  team = await createRoleTeam(server, 'Ingest Team');
  [editorKey, viewerKey, adminKey] = await Promise.all([
    createKeySecret(server, team.owner, team.teamId, 'EDITOR'),
    createKeySecret(server, team.owner, team.teamId, 'VIEWER'),
    createKeySecret(server, team.owner, team.teamId, 'ADMIN'),
  ]);
});
afterAll(() => server.close());

/** Events of a session that the store holds for the team (what every query of it reads). */
const countEvents = (sessionId: string) => eventsOfSession(server, team.teamId, sessionId);

describe('POST /v1/events: who may send', () => {
  it("an EDITOR key sends a batch: 202 { accepted } once it is stored, in the key's workspace", async () => {
    const sessionId = `s-${randomUUID()}`;
    const res = await postEvents(server, editorKey, {
      events: [
        { sessionId, name: 'search', type: 'tool_call', durationMs: 12.5, status: 'ok', properties: { q: 'x' } },
        { sessionId, name: 'open', userId: 'u-1' },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 2, duplicates: 0 });
    expect(await countEvents(sessionId)).toBe(2);
    const rows = (await storedEvents(server, team.teamId))
      .filter((event) => event.sessionId === sessionId)
      .map(({ name, type }) => ({ name, type }))
      .sort((x, y) => x.name.localeCompare(y.name));
    expect(rows).toEqual([
      { name: 'open', type: 'custom' },
      { name: 'search', type: 'tool_call' },
    ]);
  });

  it('takes the key in X-API-Key too, and an ADMIN key', async () => {
    const sessionId = `s-${randomUUID()}`;
    expect(
      (await postEvents(server, adminKey, { events: [{ sessionId, name: 'a' }] }, { header: 'x-api-key' })).status,
    ).toBe(202);
    expect(await countEvents(sessionId)).toBe(1);
  });

  it('a VIEWER key may read but not send (403), nor may a signed-in user (403); no or a bad key is 401', async () => {
    const sessionId = `s-${randomUUID()}`;
    const body = { events: [{ sessionId, name: 'x' }] };
    const viewer = await postEvents(server, viewerKey, body);
    expect(viewer.status).toBe(403);
    expect(viewer.body['error']).toBe('FORBIDDEN');
    const owner = await postEvents(server, team.owner.accessToken, body);
    expect(owner.status).toBe(403);
    expect((await postEvents(server, null, body)).status).toBe(401);
    const bad = await postEvents(server, `tly_${'a'.repeat(49)}`, body);
    expect(bad.status).toBe(401);
    expect(bad.body['error']).toBe('UNAUTHENTICATED');
    expect(await countEvents(sessionId)).toBe(0);
  });

  it('the workspace comes from the key: a workspaceId in the body is refused, never followed', async () => {
    const sessionId = `s-${randomUUID()}`;
    const res = await postEvents(server, editorKey, {
      workspaceId: team.stranger.personalWorkspaceId,
      events: [{ sessionId, name: 'x' }],
    });
    expect(res.status).toBe(400);
    // Neither in the key's workspace nor in the one the body named.
    expect(await countEvents(sessionId)).toBe(0);
    expect(await eventsOfSession(server, team.stranger.personalWorkspaceId, sessionId)).toBe(0);
  });
});

describe('POST /v1/events: validation', () => {
  it('a bad batch is refused whole with per-item problems, and nothing of it is stored', async () => {
    const sessionId = `s-${randomUUID()}`;
    const res = await postEvents(server, editorKey, {
      events: [
        { sessionId, name: 'fine' },
        { sessionId, name: 'late', timestamp: 'yesterday' },
        { sessionId, name: '', status: 'maybe' },
        { sessionId, name: 'nul\u0000byte' },
      ],
      sessions: [{ id: sessionId, attributes: { app: 'x' } }],
    });
    expect(res.status).toBe(400);
    expect(res.body['error']).toBe('BAD_USER_INPUT');
    const paths = (res.body['issues'] as Array<{ path: string }>).map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining(['events[1].timestamp', 'events[2].name', 'events[2].status', 'events[3].name']),
    );
    expect(paths).not.toContain('events[0].name');
    expect(await countEvents(sessionId)).toBe(0);
    expect(await storedSession(server, team.teamId, sessionId)).toBeNull();
  });

  it('refuses unknown fields, empty batches, too many events and control characters in properties', async () => {
    const sessionId = `s-${randomUUID()}`;
    const cases: unknown[] = [
      { events: [] },
      { events: [{ sessionId, name: 'x', colour: 'red' }] },
      { events: Array.from({ length: 1001 }, () => ({ sessionId, name: 'x' })) },
      { events: [{ sessionId, name: 'x', properties: { ['bad\u0001key']: 1 } }] },
      { events: [{ sessionId, name: 'x', properties: { note: 'bell\u0007' } }] },
      { events: [{ sessionId, name: 'x', properties: { big: 'x'.repeat(9000) } }] },
      { events: [{ sessionId, name: 'x', timestamp: '2000-01-01T00:00:00Z' }] },
      { events: [{ sessionId, name: 'x', durationMs: -1 }] },
      { events: [{ sessionId, name: 'x', id: 'not-a-uuid' }] },
    ];
    for (const body of cases) {
      const res = await postEvents(server, editorKey, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect((await postEvents(server, editorKey, null, { raw: '{"events": [' })).status).toBe(400);
    expect(await countEvents(sessionId)).toBe(0);
  });

  it('JSON nested deeper than 32 levels is refused by item (5,000 levels in 10 KB was a 500); 32 go in', async () => {
    const sessionId = `s-${randomUUID()}`;
    /** `{ "x": [[…]] }`: an object holding arrays, `levels` deep in all. */
    const nested = (levels: number): Record<string, unknown> => {
      let value: unknown = 'leaf';
      for (let i = 1; i < levels; i += 1) value = [value];
      return { x: value };
    };
    // Written as text: JSON.stringify itself cannot nest 5,000 levels.
    const deep = `{"events":[{"sessionId":"${sessionId}","name":"deep","properties":{"x":${'['.repeat(4999)}"leaf"${']'.repeat(4999)}}}]}`;
    expect(deep.length).toBeLessThan(11_000);
    const refused = await postEvents(server, editorKey, null, { raw: deep });
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 400,
      body: {
        error: 'BAD_USER_INPUT',
        message: 'The batch was not stored: 1 problem(s) found.',
        issues: [{ path: 'events[0].properties', message: 'properties must nest at most 32 levels deep' }],
      },
    });
    const justOver = await postEvents(server, editorKey, {
      events: [{ sessionId, name: 'fine' }],
      sessions: [{ id: sessionId, attributes: nested(33) }],
    });
    expect({ status: justOver.status, body: justOver.body }).toEqual({
      status: 400,
      body: {
        error: 'BAD_USER_INPUT',
        message: 'The batch was not stored: 1 problem(s) found.',
        issues: [{ path: 'sessions[0].attributes', message: 'attributes must nest at most 32 levels deep' }],
      },
    });
    expect(await countEvents(sessionId)).toBe(0);
    expect(await storedSession(server, team.teamId, sessionId)).toBeNull();

    await track(server, editorKey, {
      events: [{ sessionId, name: 'deep enough', properties: nested(32) }],
      sessions: [{ id: sessionId, attributes: nested(32) }],
    });
    expect(await countEvents(sessionId)).toBe(1);
  });

  it('a body over 1 MiB gets 413', async () => {
    const sessionId = `s-${randomUUID()}`;
    const events = Array.from({ length: 200 }, () => ({ sessionId, name: 'x', properties: { pad: 'y'.repeat(6000) } }));
    const res = await postEvents(server, editorKey, { events });
    expect(res.status).toBe(413);
    expect(await countEvents(sessionId)).toBe(0);
  });
});

describe('POST /v1/events: idempotency', () => {
  it('a resent batch with client ids and no timestamps is stored and counted once', async () => {
    const sessionId = `s-${randomUUID()}`;
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const batch = {
      events: ids.map((id, i) => ({ id, sessionId, name: 'retry', status: i === 0 ? 'error' : 'ok', durationMs: 5 })),
    };
    expect(await track(server, editorKey, batch)).toEqual({ accepted: 3, duplicates: 0 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await track(server, editorKey, batch)).toEqual({ accepted: 3, duplicates: 3 });
    // A copy of one id inside a batch counts once too.
    expect(await track(server, editorKey, { events: [batch.events[0], batch.events[0]] })).toEqual({
      accepted: 2,
      duplicates: 2,
    });
    expect(await countEvents(sessionId)).toBe(3);
    expect(await storedSession(server, team.teamId, sessionId)).toMatchObject({ eventCount: 3, errorCount: 1 });
    // The aggregates count them once too, before and after the engine's upkeep (whole days: an
    // engine may answer them from its rollups).
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const days = { workspaceId: team.teamId, from: new Date(today - DAY), to: new Date(today + 2 * DAY), filters: [] };
    const retried = async () =>
      (await server.tally.services.events.toolsUsage(days, 100)).find((row) => row.name === 'retry');
    expect(await retried()).toMatchObject({ count: 3, sessions: 1, errors: 1 });
    await server.tally.services.events.settle();
    expect(await retried()).toMatchObject({ count: 3, sessions: 1, errors: 1 });
  });

  it('a resent batch with client ids and timestamps is stored once (by the primary key), mixed or not', async () => {
    const sessionId = `s-${randomUUID()}`;
    const timed = [0, 1, 2].map((i) => ({
      id: randomUUID(),
      sessionId,
      name: 'timed-retry',
      timestamp: `2026-02-0${i + 1}T10:00:00.000Z`,
      durationMs: 10 * (i + 1),
    }));
    const untimed = { id: randomUUID(), sessionId, name: 'timed-retry' };
    expect(await track(server, editorKey, { events: [...timed, untimed] })).toEqual({ accepted: 4, duplicates: 0 });
    expect(await track(server, editorKey, { events: [untimed, ...timed] })).toEqual({ accepted: 4, duplicates: 4 });
    // Half new, half resent: only the new ones are stored and counted.
    const more = { ...timed[0], id: randomUUID() };
    expect(await track(server, editorKey, { events: [timed[1], more] })).toEqual({ accepted: 2, duplicates: 1 });
    expect(await countEvents(sessionId)).toBe(5);
    // (Which ids needed a claim in PostgreSQL's id ledger: event-store/postgres-engine.test.ts.)
    expect((await storedSession(server, team.teamId, sessionId))?.eventCount).toBe(5);
    const usage = await server.tally.services.events.toolsUsage(
      {
        workspaceId: team.teamId,
        from: new Date('2026-02-01T00:00:00Z'),
        to: new Date('2026-02-04T00:00:00Z'),
        filters: [],
      },
      10,
    );
    expect(usage.find((row) => row.name === 'timed-retry')).toMatchObject({ count: 4, sessions: 1 });
  });

  it('batches sent at once each get their own counts; copies of one racing each other count once', async () => {
    const sessionId = `s-${randomUUID()}`;
    const copy = {
      events: [
        ...[0, 1].map(() => ({ id: randomUUID(), sessionId, name: 'racing-retry' })),
        ...[1, 2, 3].map((day) => ({
          id: randomUUID(),
          sessionId,
          name: 'racing-retry',
          timestamp: `2026-02-1${day}T10:00:00.000Z`,
        })),
      ],
    };
    const others = [1, 2, 3, 4].map((n) => ({
      events: Array.from({ length: n }, () => ({ sessionId: `s-${randomUUID()}`, name: 'racing-other' })),
    }));
    // Copies and other batches interleaved, all in flight at once (a store may group them).
    const bodies = others.flatMap((other) => [copy, other]);
    const answers = await Promise.all(bodies.map((body) => postEvents(server, editorKey, body)));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 202));
    const copies = answers.filter((_, i) => i % 2 === 0).map((a) => a.body);
    expect(copies.filter((b) => b.duplicates === 0)).toEqual([{ accepted: 5, duplicates: 0 }]);
    expect(copies.filter((b) => b.duplicates !== 0)).toEqual(
      others.slice(1).map(() => ({ accepted: 5, duplicates: 5 })),
    );
    expect(answers.filter((_, i) => i % 2 === 1).map((a) => a.body)).toEqual(
      others.map((o) => ({ accepted: o.events.length, duplicates: 0 })),
    );
    expect(await countEvents(sessionId)).toBe(5);
    expect(await storedSession(server, team.teamId, sessionId)).toMatchObject({ eventCount: 5 });
    for (const other of others) {
      for (const event of other.events) expect(await countEvents(event.sessionId)).toBe(1);
    }
  });

  it('the same client id in another workspace is another event', async () => {
    const id = randomUUID();
    const otherTeam = await createRoleTeam(server, 'Other Ingest Team');
    const otherKey = await createKeySecret(server, otherTeam.owner, otherTeam.teamId, 'EDITOR');
    await track(server, editorKey, { events: [{ id, sessionId: 'shared-id', name: 'x' }] });
    expect(await track(server, otherKey, { events: [{ id, sessionId: 'shared-id', name: 'x' }] })).toEqual({
      accepted: 1,
      duplicates: 0,
    });
  });
});

describe('sessions kept current', () => {
  it('start, end, counts, user and merged attributes follow the events, also out of order', async () => {
    const sessionId = `s-${randomUUID()}`;
    await track(server, editorKey, {
      events: [
        { sessionId, name: 'a', timestamp: '2026-03-02T10:00:00.000Z', userId: 'ada' },
        { sessionId, name: 'b', timestamp: '2026-03-02T10:05:00.000Z', status: 'error' },
      ],
      sessions: [{ id: sessionId, attributes: { app: '1.0', os: 'linux' } }],
    });
    await track(server, editorKey, {
      events: [{ sessionId, name: 'c', timestamp: '2026-03-02T09:58:30.000Z' }],
      sessions: [{ id: sessionId, attributes: { app: '1.1' } }],
    });
    // Attributes alone, for a session already known.
    await track(server, editorKey, {
      events: [{ sessionId: `other-${sessionId}`, name: 'z' }],
      sessions: [{ id: sessionId, userId: 'ada-2', attributes: { plan: 'pro' } }],
    });
    expect(await storedSession(server, team.teamId, sessionId)).toEqual({
      id: sessionId,
      startedAt: new Date('2026-03-02T09:58:30.000Z'),
      endedAt: new Date('2026-03-02T10:05:00.000Z'),
      eventCount: 3,
      errorCount: 1,
      userId: 'ada-2',
      attributes: { app: '1.1', os: 'linux', plan: 'pro' },
    });
    // The session counts at its new start hour, with its whole duration, before and after the
    // engine's upkeep (PostgreSQL's session rollup: event-store/postgres-engine.test.ts).
    const hours = {
      workspaceId: team.teamId,
      from: new Date('2026-03-02T09:00Z'),
      to: new Date('2026-03-02T11:00Z'),
      filters: [],
    };
    const byHour = async () => {
      const overview = await server.tally.services.events.overview(hours, 'HOUR');
      return {
        sessions: overview.sessions,
        avg: overview.avgSessionDurationMs,
        series: overview.series.map((point) => [point.at.toISOString(), point.sessions]),
      };
    };
    const expected = {
      sessions: 1,
      avg: 390_000,
      series: [
        ['2026-03-02T09:00:00.000Z', 1],
        ['2026-03-02T10:00:00.000Z', 0],
      ],
    };
    expect(await byHour()).toEqual(expected);
    await server.tally.services.events.settle();
    expect(await byHour()).toEqual(expected);
  });
});

describe('the timestamp window', () => {
  let windowed: TestServer;
  let key: string;
  let workspaceId: string;
  beforeAll(async () => {
    // The defaults: the last 366 days to 24 hours ahead.
    windowed = await startTestServer();
    const t = await createRoleTeam(windowed, 'Window');
    workspaceId = t.teamId;
    key = await createKeySecret(windowed, t.owner, t.teamId, 'EDITOR');
  });
  afterAll(() => windowed.close());

  const stored = async () => (await storedEvents(windowed, workspaceId)).length;
  const WINDOW = /^must lie between (\S+) and (\S+): events are taken from the last 366 days to 24 hours ahead$/;

  // (That a refused batch creates no partition either: event-store/postgres-engine.test.ts.)
  it('a batch with one event outside it is refused whole, naming the window; nothing is stored', async () => {
    const old = new Date(Date.now() - 367 * DAY);
    const ahead = new Date(Date.now() + 25 * 60 * 60 * 1000);
    const cases: Array<[unknown[], string[]]> = [
      [
        [
          { sessionId: 's', name: 'now' },
          { sessionId: 's', name: 'old', timestamp: old.toISOString() },
        ],
        ['events[1].timestamp'],
      ],
      [[{ sessionId: 's', name: 'ahead', timestamp: ahead.toISOString() }], ['events[0].timestamp']],
      [
        [
          { sessionId: 's', name: '2000', timestamp: '2000-01-01T00:00:00Z' },
          { sessionId: 's', name: '2099', timestamp: '2099-06-01T00:00:00+02:00' },
        ],
        ['events[0].timestamp', 'events[1].timestamp'],
      ],
    ];
    for (const [events, paths] of cases) {
      const before = Date.now();
      const res = await postEvents(windowed, key, { events });
      expect({ events, status: res.status, error: res.body['error'], message: res.body['message'] }).toEqual({
        events,
        status: 400,
        error: 'BAD_USER_INPUT',
        message: `The batch was not stored: ${paths.length} problem(s) found.`,
      });
      const issues = res.body['issues'] as Array<{ path: string; message: string }>;
      expect(issues.map((issue) => issue.path)).toEqual(paths);
      for (const issue of issues) {
        const [, from = '', to = ''] = WINDOW.exec(issue.message) ?? [];
        // The window named is the one applied: 366 days back and 24 hours ahead of the arrival.
        expect(Date.parse(to) - Date.parse(from)).toBe(366 * DAY + DAY);
        expect(Date.parse(from)).toBeGreaterThanOrEqual(before - 366 * DAY);
        expect(Date.parse(from)).toBeLessThanOrEqual(Date.now() - 366 * DAY);
      }
    }
    expect(await stored()).toBe(0);
    expect(await storedSession(windowed, workspaceId, 's')).toBeNull();
  });

  it('events just inside it go in', async () => {
    const old = new Date(Date.now() - 365 * DAY);
    const ahead = new Date(Date.now() + 23 * 60 * 60 * 1000);
    await track(windowed, key, {
      events: [
        { sessionId: 's', name: 'old', timestamp: old.toISOString() },
        { sessionId: 's', name: 'ahead', timestamp: ahead.toISOString() },
      ],
    });
    expect((await storedEvents(windowed, workspaceId)).map((event) => event.name)).toEqual(['old', 'ahead']);
  });

  it('is a setting: EVENT_TIMESTAMP_MAX_AGE_DAYS and EVENT_TIMESTAMP_MAX_AHEAD_HOURS, checked at start', () => {
    expect(loadConfig({}).eventTimestampWindow).toEqual({ maxAgeDays: 366, maxAheadHours: 24 });
    expect(
      loadConfig({ EVENT_TIMESTAMP_MAX_AGE_DAYS: '30', EVENT_TIMESTAMP_MAX_AHEAD_HOURS: '0' }).eventTimestampWindow,
    ).toEqual({ maxAgeDays: 30, maxAheadHours: 0 });
    for (const bad of [
      { EVENT_TIMESTAMP_MAX_AGE_DAYS: '0' },
      { EVENT_TIMESTAMP_MAX_AGE_DAYS: 'a year' },
      { EVENT_TIMESTAMP_MAX_AHEAD_HOURS: '-1' },
    ]) {
      expect(() => loadConfig(bad)).toThrow(new RegExp(Object.keys(bad)[0] ?? ''));
    }
  });
});

describe('rate limit', () => {
  it('a key over its events per minute gets 429 with Retry-After, and that batch is not stored', async () => {
    const limited = await startTestServer({ INGEST_EVENTS_PER_KEY_PER_MINUTE: '5' });
    try {
      const t = await createRoleTeam(limited, 'Limited');
      const key = await createKeySecret(limited, t.owner, t.teamId, 'EDITOR');
      const sessionId = `s-${randomUUID()}`;
      const three = { events: Array.from({ length: 3 }, () => ({ sessionId, name: 'x' })) };
      expect((await postEvents(limited, key, three)).status).toBe(202);
      const refused = await postEvents(limited, key, three);
      expect(refused.status).toBe(429);
      expect(refused.body['error']).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect((await postEvents(limited, key, { events: three.events.slice(0, 2) })).status).toBe(202);
      // Counts are shared through PostgreSQL in batches.
      await limited.tally.services.ingest.flushLimits();
      const points: Array<{ n: string }> = await limited.tally.db.query(
        `SELECT sum(points) AS n FROM rate_limits WHERE key LIKE 'ingest_key:%'`,
      );
      expect(Number(points[0]?.n)).toBe(5);
      expect(await storedEvents(limited, t.teamId)).toHaveLength(5);
    } finally {
      await limited.close();
    }
  });
});

describe('the README', () => {
  it('carries the event field reference printed from the ingest schema', () => {
    // Compared cell by cell: prettier pads the README's tables.
    const cells = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.trim().startsWith('|'))
        .map((line) =>
          line
            .split('|')
            .map((cell) => cell.trim().replace(/^-+$/, '---'))
            .join('|'),
        )
        .join('\n');
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    expect(cells(readme)).toContain(cells(ingestReference()));
  });
});
