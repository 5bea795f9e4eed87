import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { expireEventIds } from '../../src/modules/events/id-ledger';
import { EVENT_PARTITIONS_JOB, EventPartitions, monthKey } from '../../src/modules/events/postgres/partitions';
import { EVENT_TABLES } from '../../src/modules/events/postgres/tables';
import { WORKSPACE_PURGE_JOB } from '../../src/modules/workspaces/workspace-purge';
import { FIXED_DATES_WINDOW, postEvents, track } from '../analytics-fixtures';
import { drainJobs } from '../drivers/jobs';
import { eventPartitions, partitionOf, pgCount } from '../drivers/postgres-events';
import { createKeySecret, createRoleTeam, type RoleTeam } from '../factories';
import { type TestServer, startTestServer } from '../harness';

/**
 * The PostgreSQL engine's own tables: what the API-level analytics tests (analytics-*.test.ts)
 * no longer look at, because they must pass unchanged on any engine. Here: rollup deltas and
 * their folding, the id ledger of client ids, monthly partitions (made ahead, on demand, never for
 * a refused batch), and that a purge empties every event table. Each test drives the store the
 * way users do (ingest over HTTP, the store's `settle()`, the jobs) and then reads the tables.
 */

const DAY = 24 * 60 * 60 * 1000;

let server: TestServer;
let team: RoleTeam;
let editorKey: string;

beforeAll(async () => {
  server = await startTestServer(FIXED_DATES_WINDOW, { purge: { batchSize: 3 } });
  team = await createRoleTeam(server, 'Engine Team');
  editorKey = await createKeySecret(server, team.owner, team.teamId, 'EDITOR');
});
afterAll(() => server.close());

/** Rows a workspace holds in each event table. */
async function rowsOf(workspaceId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of EVENT_TABLES) {
    counts[table] = await pgCount(server, `SELECT count(*) AS n FROM ${table} WHERE workspace_id = $1`, [workspaceId]);
  }
  return counts;
}

/** Rollup deltas of a workspace that are not folded yet. */
const deltasOf = (workspaceId: string) =>
  pgCount(
    server,
    `SELECT (SELECT count(*) FROM event_rollup_deltas WHERE workspace_id = $1)
          + (SELECT count(*) FROM session_rollup_deltas WHERE workspace_id = $1) AS n`,
    [workspaceId],
  );

describe('rollups: deltas appended by ingest, folded by settle()', () => {
  it('folds every delta of a workspace; the rollups hold each event and each session once', async () => {
    const other = await createRoleTeam(server, 'Fold Team');
    const key = await createKeySecret(server, other.owner, other.teamId, 'EDITOR');
    // Four sessions over two days, eight events, two errors.
    const events = [
      ['A', '2026-01-10T09:30:00Z'],
      ['A', '2026-01-10T09:45:00Z'],
      ['A', '2026-01-10T10:10:00Z'],
      ['B', '2026-01-10T10:20:00Z'],
      ['C', '2026-01-10T11:05:00Z'],
      ['C', '2026-01-11T08:00:00Z'],
      ['D', '2026-01-11T09:00:00Z'],
      ['D', '2026-01-11T09:30:00Z'],
    ].map(([sessionId, timestamp], i) => ({
      sessionId,
      timestamp,
      name: `n${i % 3}`,
      status: i % 4 ? 'ok' : 'error',
      durationMs: 10 * (i + 1),
    }));
    await track(server, key, { events });
    expect(await deltasOf(other.teamId)).toBeGreaterThan(0);
    await server.tally.services.events.settle();
    expect(await deltasOf(other.teamId)).toBe(0);
    const sums = (sql: string) => pgCount(server, sql, [other.teamId]);
    expect(await sums(`SELECT sum(events) AS n FROM event_rollups_hourly WHERE workspace_id = $1`)).toBe(8);
    expect(await sums(`SELECT sum(errors) AS n FROM event_rollups_hourly WHERE workspace_id = $1`)).toBe(2);
    expect(await sums(`SELECT sum(sessions) AS n FROM session_rollups_hourly WHERE workspace_id = $1`)).toBe(4);
    // The workspace's hourly totals count each event once too, and every length of rollup block
    // each event, error, first-use session and timed event once.
    expect(await sums(`SELECT sum(events) AS n FROM session_rollups_hourly WHERE workspace_id = $1`)).toBe(8);
    expect(await sums(`SELECT sum(errors) AS n FROM session_rollups_hourly WHERE workspace_id = $1`)).toBe(2);
    const firstUses = await sums(`SELECT sum(sessions) AS n FROM event_rollups_hourly WHERE workspace_id = $1`);
    expect(firstUses).toBeGreaterThan(0);
    const blocks: Array<{
      hours: number;
      events: string;
      errors: string;
      sessions: string;
      timed: string;
      dsum: string;
    }> = await server.tally.db.query(
      `SELECT b.hours, sum(b.events) AS events, sum(b.errors) AS errors, sum(b.sessions) AS sessions,
                sum(b.duration_sum_ms) AS dsum, sum((SELECT sum(c) FROM unnest(b.duration_histogram) AS c)) AS timed
           FROM event_rollup_blocks b WHERE b.workspace_id = $1 GROUP BY 1 ORDER BY 1`,
      [other.teamId],
    );
    expect(blocks.map((b) => [b.hours, +b.events, +b.errors, +b.sessions, +b.timed, +b.dsum])).toEqual(
      [4, 8, 48, 96, 192, 384, 768].map((hours) => [hours, 8, 2, firstUses, 8, 360]),
    );
  });

  it('a resent batch (client ids, no timestamps) is folded once', async () => {
    const sessionId = `s-${randomUUID()}`;
    const batch = { events: [0, 1, 2].map(() => ({ id: randomUUID(), sessionId, name: 'engine-retry' })) };
    expect(await track(server, editorKey, batch)).toEqual({ accepted: 3, duplicates: 0 });
    expect(await track(server, editorKey, batch)).toEqual({ accepted: 3, duplicates: 3 });
    await server.tally.services.events.settle();
    expect(
      await pgCount(
        server,
        `SELECT sum(events) AS n FROM event_rollups_hourly WHERE workspace_id = $1 AND name = 'engine-retry'`,
        [team.teamId],
      ),
    ).toBe(3);
  });

  it('a session that starts earlier moves to its new start hour in the session rollup, with its duration', async () => {
    const sessionId = `s-${randomUUID()}`;
    await track(server, editorKey, {
      events: [
        { sessionId, name: 'a', timestamp: '2026-03-05T10:00:00.000Z' },
        { sessionId, name: 'b', timestamp: '2026-03-05T10:05:00.000Z' },
      ],
    });
    await track(server, editorKey, { events: [{ sessionId, name: 'c', timestamp: '2026-03-05T09:58:30.000Z' }] });
    await server.tally.services.events.settle();
    expect(
      await pgCount(server, `SELECT count(*) AS n FROM session_rollup_deltas WHERE workspace_id = $1`, [team.teamId]),
    ).toBe(0);
    const rollup: Array<{ hour: Date; sessions: string; duration: string }> = await server.tally.db.query(
      `SELECT hour, sessions, duration_sum_ms AS duration FROM session_rollups_hourly
        WHERE workspace_id = $1 AND hour >= '2026-03-05T09:00Z' AND hour < '2026-03-05T11:00Z' ORDER BY hour`,
      [team.teamId],
    );
    expect(rollup.map((r) => [r.hour.toISOString(), Number(r.sessions), Number(r.duration)])).toEqual([
      ['2026-03-05T09:00:00.000Z', 1, 390_000],
      ['2026-03-05T10:00:00.000Z', 0, 0],
    ]);
  });
});

describe('the id ledger (event_ids)', () => {
  it('claims only the client ids sent without a timestamp', async () => {
    const sessionId = `s-${randomUUID()}`;
    const timed = [0, 1, 2].map((i) => ({
      id: randomUUID(),
      sessionId,
      name: 'ledger',
      timestamp: `2026-02-0${i + 1}T10:00:00.000Z`,
    }));
    const untimed = { id: randomUUID(), sessionId, name: 'ledger' };
    expect(await track(server, editorKey, { events: [...timed, untimed] })).toEqual({ accepted: 4, duplicates: 0 });
    expect(await track(server, editorKey, { events: [untimed, ...timed] })).toEqual({ accepted: 4, duplicates: 4 });
    const claimed: Array<{ id: string }> = await server.tally.db.query(
      `SELECT id FROM event_ids WHERE workspace_id = $1 AND id = ANY($2::uuid[])`,
      [team.teamId, [...timed.map((e) => e.id), untimed.id]],
    );
    expect(claimed).toEqual([{ id: untimed.id }]);
  });

  it('claims expire after 30 days; newer ones stay', async () => {
    const [old, recent] = [randomUUID(), randomUUID()];
    await server.tally.db.query(
      `INSERT INTO event_ids (workspace_id, id, created_at) VALUES ($1, $2, now() - interval '31 days'),
              ($1, $3, now() - interval '29 days')`,
      [team.teamId, old, recent],
    );
    const result = await expireEventIds(server.tally.db);
    expect(result.done).toBe(true);
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    const left: Array<{ id: string }> = await server.tally.db.query(
      `SELECT id FROM event_ids WHERE workspace_id = $1 AND id = ANY($2::uuid[])`,
      [team.teamId, [old, recent]],
    );
    expect(left).toEqual([{ id: recent }]);
  });
});

describe('partitions', () => {
  it('the current month and the next three exist from the start (and the job makes them again)', async () => {
    const now = new Date();
    const expected = [0, 1, 2, 3].map((i) =>
      partitionOf(monthKey(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1)))),
    );
    expect(await eventPartitions(server)).toEqual(expect.arrayContaining(expected));
    await server.tally.jobs.send(EVENT_PARTITIONS_JOB, {});
    await drainJobs(server.tally, EVENT_PARTITIONS_JOB, 10_000);
    expect(await eventPartitions(server)).toEqual(expect.arrayContaining(expected));
  });

  it('an event in a month without a partition still goes in: its month is created on demand', async () => {
    const sessionId = `s-${randomUUID()}`;
    expect(await eventPartitions(server)).not.toContain('events_p2021_07');
    await track(server, editorKey, { events: [{ sessionId, name: 'old', timestamp: '2021-07-15T12:00:00Z' }] });
    expect(
      await pgCount(server, `SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND session_id = $2`, [
        team.teamId,
        sessionId,
      ]),
    ).toBe(1);
    expect(await eventPartitions(server)).toContain('events_p2021_07');
  });

  it('instances creating the same month at once all succeed', async () => {
    const pools = Array.from({ length: 4 }, () => new Pool({ connectionString: server.databaseUrl, max: 1 }));
    try {
      const month = [new Date('2004-02-10T00:00:00Z')];
      await Promise.all(pools.map((pool) => new EventPartitions(pool).ensureFor(month)));
      expect(await eventPartitions(server)).toContain('events_p2004_02');
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  describe('and the timestamp window (issue 16; its API side is in analytics-ingest.test.ts)', () => {
    let windowed: TestServer;
    let key: string;
    beforeAll(async () => {
      // The defaults: the last 366 days to 24 hours ahead.
      windowed = await startTestServer();
      const t = await createRoleTeam(windowed, 'Window');
      key = await createKeySecret(windowed, t.owner, t.teamId, 'EDITOR');
    });
    afterAll(() => windowed.close());

    it('a refused batch creates no partition, not even for its months inside the window', async () => {
      const partitions = await eventPartitions(windowed);
      const inside = new Date(Date.now() - 300 * DAY);
      for (const events of [
        [
          { sessionId: 's', name: 'inside', timestamp: inside.toISOString() },
          { sessionId: 's', name: 'old', timestamp: new Date(Date.now() - 367 * DAY).toISOString() },
        ],
        [
          { sessionId: 's', name: '2000', timestamp: '2000-01-01T00:00:00Z' },
          { sessionId: 's', name: '2099', timestamp: '2099-06-01T00:00:00+02:00' },
        ],
      ]) {
        expect((await postEvents(windowed, key, { events })).status).toBe(400);
      }
      expect(await eventPartitions(windowed)).toEqual(partitions);
    });

    it('an accepted event of a past month gets its partition on demand', async () => {
      const old = new Date(Date.now() - 365 * DAY);
      await track(windowed, key, { events: [{ sessionId: 's', name: 'old', timestamp: old.toISOString() }] });
      expect(await eventPartitions(windowed)).toContain(partitionOf(monthKey(old)));
    });
  });
});

describe('the purge of a deleted workspace', () => {
  it('empties every event table of the workspace (folded rollups and deltas too), and nothing of another', async () => {
    const batch = () => ({
      // Two months, client ids with and without timestamps, errors and durations: every table gets rows.
      events: [
        ...['2025-12-24T23:30:00Z', '2026-01-15T08:00:00Z'].flatMap((timestamp, i) =>
          [0, 1, 2].map((j) => ({
            id: randomUUID(),
            sessionId: `s-${i}`,
            userId: `u-${j}`,
            name: `tool-${j}`,
            type: 'tool_call',
            timestamp,
            durationMs: 10 * (j + 1),
            status: j === 0 ? 'error' : 'ok',
          })),
        ),
        { id: randomUUID(), sessionId: 's-now', name: 'untimed' },
      ],
      sessions: [{ id: 's-0', attributes: { app: '1' } }],
    });
    const doomed = await createRoleTeam(server, 'Doomed Engine');
    const kept = await createRoleTeam(server, 'Kept Engine');
    const doomedKey = await createKeySecret(server, doomed.owner, doomed.teamId, 'EDITOR');
    const keptKey = await createKeySecret(server, kept.owner, kept.teamId, 'EDITOR');
    await track(server, doomedKey, batch());
    await track(server, keptKey, batch());
    await server.tally.services.events.settle();
    await track(server, doomedKey, batch());
    await track(server, keptKey, batch());
    const before = await rowsOf(kept.teamId);
    expect(Object.values(await rowsOf(doomed.teamId)).every((n) => n > 0)).toBe(true);
    expect(before).toEqual(await rowsOf(doomed.teamId));

    const deleted = await server.gql(
      `mutation($w: ID!, $n: String!) { deleteTeam(workspaceId: $w, confirmName: $n) }`,
      { w: doomed.teamId, n: 'Doomed Engine' },
      { token: doomed.owner.accessToken },
    );
    expect(deleted.data).toEqual({ deleteTeam: true });
    await drainJobs(server.tally, WORKSPACE_PURGE_JOB, 15_000);

    expect(Object.values(await rowsOf(doomed.teamId))).toEqual(EVENT_TABLES.map(() => 0));
    expect(await rowsOf(kept.teamId)).toEqual(before);
  });
});
