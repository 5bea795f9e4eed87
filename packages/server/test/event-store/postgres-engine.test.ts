import { randomUUID } from 'node:crypto';
import { OrderDirection, type SessionOrder, SessionOrderField } from '@tally/shared';
import { Client, Pool, type QueryResult, type QueryResultRow } from 'pg';
import type {
  AnalyticsQuery,
  EventBatch,
  EventInput,
  ReadGate,
  WriteResult,
} from '../../src/modules/events/event-store';
import { expireEventIds } from '../../src/modules/events/id-ledger';
import { GROUP_WRITERS } from '../../src/modules/events/postgres/ingest';
import { countSessions, sessions } from '../../src/modules/events/postgres/lists';
import { AnalyticsSql } from '../../src/modules/events/postgres/read-pool';
import { EVENT_PARTITIONS_JOB, EventPartitions, monthKey } from '../../src/modules/events/postgres/partitions';
import { EVENT_TABLES } from '../../src/modules/events/postgres/tables';
import { WORKSPACE_PURGE_JOB } from '../../src/modules/workspaces/workspace-purge';
import { FIXED_DATES_WINDOW, postEvents, track } from '../analytics-fixtures';
import { drainJobs } from '../drivers/jobs';
import { eventPartitions, ingestsWaitingOnLocks, partitionOf, pgCount, writersOf } from '../drivers/postgres-events';
import { createKeySecret, createRoleTeam, type RoleTeam } from '../factories';
import { type TestServer, startTestServer, waitFor } from '../harness';

/**
 * The PostgreSQL engine's own tables: what the API-level analytics tests (analytics-*.test.ts)
 * no longer look at, because they must pass unchanged on any engine. Here: rollup deltas and
 * their folding, the id ledger of client ids, monthly partitions (made ahead, on demand, never for
 * a refused batch), and that a purge empties every event table. Each test drives the store the
 * way users do (ingest over HTTP, the store's `settle()`, the jobs) and then reads the tables.
 */

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

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

describe('the ragged hours of a range are read by index (AnalyticsSql.readByIndex)', () => {
  // The statements reading raw events only in the ragged hours rule out sequential scans for
  // themselves: at the newest end of a partition the planner's statistics cannot tell that an hour
  // of one workspace is a few rows, and it scanned the whole partition (0.4 s at 10 M events).
  const setting = `SELECT current_setting('enable_seqscan') AS v, current_setting('transaction_read_only') AS ro`;

  it('runs its statement with enable_seqscan off, read-only; the setting does not outlive it', async () => {
    const pool = new Pool({ connectionString: server.databaseUrl, max: 1 });
    try {
      const sql = new AnalyticsSql(pool, null);
      const ragged = await sql.readByIndex<{ v: string; ro: string }>(undefined, setting, []);
      expect(ragged.rows[0]).toEqual({ v: 'off', ro: 'on' });
      // The same (only) connection afterwards: back to the server's default.
      const next = await sql.read<{ v: string; ro: string }>(undefined, setting, []);
      expect(next.rows[0]).toEqual({ v: 'on', ro: 'off' });
    } finally {
      await pool.end();
    }
  });

  it('a statement that fails or runs too long is rolled back; the connection serves the next one', async () => {
    const pool = new Pool({ connectionString: server.databaseUrl, max: 1, options: '-c statement_timeout=50' });
    try {
      const sql = new AnalyticsSql(pool, 50);
      await expect(sql.readByIndex(undefined, 'SELECT pg_sleep(1)', [])).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        details: { reason: 'STATEMENT_TIMEOUT', timeoutMs: 50 },
      });
      await expect(sql.readByIndex(undefined, 'SELECT 1 / $1::int AS n', [0])).rejects.toMatchObject({
        code: '22012',
      });
      const after = await sql.readByIndex<{ v: string; ro: string }>(undefined, setting, []);
      expect(after.rows[0]).toEqual({ v: 'off', ro: 'on' });
      const outside = await pool.query<{ open: boolean }>(`SELECT now() = statement_timestamp() AS open`);
      expect(outside.rows[0]?.open).toBe(true);
    } finally {
      await pool.end();
    }
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

/**
 * Group commit (postgres/ingest.ts, events/group-commit.ts), driven through the store itself so
 * that which batches arrive together is certain: calls made in one tick are queued in order,
 * the first GROUP_WRITERS go at once, alone, and the rest wait for the first writer free and go
 * together. Commits and statements are counted by PostgreSQL's own record of them: the `xmin`
 * (transaction) and `cmin` (statement within it) of the rows stored.
 */
describe('group commit: batches that arrive together share one commit', () => {
  const store = () => server.tally.services.events;
  /** A batch of `sizes[i]` events in session i (sessions named anew), with client ids and times. */
  const batchOf = (sizes: number[], over: Partial<EventInput> = {}): EventBatch => {
    const at = Date.now() - HOUR;
    return {
      events: sizes.flatMap((size) => {
        const sessionId = `g-${randomUUID()}`;
        return Array.from({ length: size }, (_, i) => ({
          id: randomUUID(),
          clientId: true,
          clientTimestamp: true,
          timestamp: new Date(at + i),
          sessionId,
          name: 'grouped',
          type: 'tool_call',
          userId: null,
          durationMs: 10 + i,
          status: 'ok' as const,
          properties: null,
          ...over,
        }));
      }),
      sessions: [],
    };
  };
  const sessionsOf = (batch: EventBatch) => [...new Set(batch.events.map((e) => e.sessionId))];
  /** Batches that find a writer free, each written alone. */
  const alone = () => Array.from({ length: GROUP_WRITERS }, () => batchOf([2]));

  it('the batches waiting go in one transaction, one statement per workspace; each is answered with its own counts', async () => {
    const other = await createRoleTeam(server, 'Group Commit Other');
    const [ws, ws2] = [team.teamId, other.teamId];
    const first = alone();
    const waiting: Array<[string, EventBatch]> = [
      [ws, batchOf([3])],
      [ws2, batchOf([1, 2])],
      [ws, batchOf([4])],
      [ws2, batchOf([5])],
      [ws, batchOf([1])],
    ];
    // A client's retry of the first waiting batch, in the same group: its copy stores nothing.
    waiting.push([ws, waiting[0]?.[1] as EventBatch]);
    // Two new events and a copy of one of the second batch's: it shares a session with that
    // batch, so it goes in a statement after it (the same transaction), which finds the copy.
    const half = batchOf([2]);
    half.events.push(...(waiting[1]?.[1] as EventBatch).events.slice(0, 1));
    waiting.push([ws2, half]);
    const results = await Promise.all([
      ...first.map((batch) => store().writeBatch(ws, batch)),
      ...waiting.map(([workspaceId, batch]) => store().writeBatch(workspaceId, batch)),
    ]);
    expect(results).toEqual([
      ...first.map(() => ({ stored: 2, duplicates: 0 })),
      { stored: 3, duplicates: 0 },
      { stored: 3, duplicates: 0 },
      { stored: 4, duplicates: 0 },
      { stored: 5, duplicates: 0 },
      { stored: 1, duplicates: 0 },
      { stored: 0, duplicates: 3 },
      { stored: 2, duplicates: 1 },
    ]);

    const writers = await writersOf(server, [ws, ws2]);
    const of = (batches: EventBatch[]) => {
      const transactions = new Set<string>();
      const statements = new Set<string>();
      for (const session of batches.flatMap(sessionsOf)) {
        writers.get(session)?.transactions.forEach((t) => transactions.add(t));
        writers.get(session)?.statements.forEach((t) => statements.add(t));
      }
      return { transactions, statements };
    };
    // Alone: a commit each.
    expect(of(first).transactions.size).toBe(GROUP_WRITERS);
    // Waiting: one commit for all of them, another than any of the first ones'.
    const group = of(waiting.map(([, batch]) => batch));
    expect(group.transactions.size).toBe(1);
    expect([...group.transactions].some((t) => of(first).transactions.has(t))).toBe(false);
    // One statement per workspace for the batches that share nothing; the retried copy's
    // statement came after and stored no event, the half copy's stored its new half.
    expect(of(waiting.filter(([w]) => w === ws).map(([, b]) => b)).statements.size).toBe(1);
    expect(of(waiting.filter(([w]) => w === ws2).map(([, b]) => b)).statements.size).toBe(2);
    expect(of([half]).statements.size).toBe(2);
    expect(group.statements.size).toBe(3);
    // Every event is stored once, in its own workspace.
    for (const [workspaceId, batch] of waiting.slice(0, -1)) {
      for (const session of sessionsOf(batch)) {
        expect(
          await pgCount(server, `SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND session_id = $2`, [
            workspaceId,
            session,
          ]),
        ).toBe(batch.events.filter((e) => e.sessionId === session).length);
      }
    }
  });

  it('copies of one batch sent at once (with and without client times) are stored and counted once', async () => {
    const copy = batchOf([3], { name: 'grouped-copies' });
    const sessionId = sessionsOf(copy)[0] as string;
    copy.events.push(...batchOf([2], { name: 'grouped-copies', clientTimestamp: false, sessionId }).events);
    // Copies that find writers free race each other on parallel connections; the rest wait
    // together and land in turns of one transaction.
    const results = await Promise.all(
      Array.from({ length: GROUP_WRITERS + 3 }, () => store().writeBatch(team.teamId, copy)),
    );
    expect(results.filter((r) => r.stored === 5 && r.duplicates === 0)).toHaveLength(1);
    expect(results.filter((r) => r.stored === 0 && r.duplicates === 5)).toHaveLength(results.length - 1);
    const count = (sql: string) => pgCount(server, sql, [team.teamId, sessionId]);
    expect(await count(`SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND session_id = $2`)).toBe(5);
    expect(await count(`SELECT event_count AS n FROM sessions WHERE workspace_id = $1 AND id = $2`)).toBe(5);
    // The rollups count them once too, before the fold and after it.
    const range = {
      workspaceId: team.teamId,
      from: new Date(Date.now() - 3 * HOUR),
      to: new Date(Date.now() + HOUR),
      filters: [],
    };
    const usage = async () => (await store().toolsUsage(range, 100)).find((row) => row.name === 'grouped-copies');
    expect(await usage()).toMatchObject({ count: 5, sessions: 1 });
    await store().settle();
    expect(await usage()).toMatchObject({ count: 5, sessions: 1 });
  });

  it('toolsUsage names the rows it will answer (ranked) before it reads their durations', async () => {
    await store().writeBatch(team.teamId, batchOf([4], { name: 'ranked-early' }));
    const range = {
      workspaceId: team.teamId,
      from: new Date(Date.now() - 3 * HOUR),
      to: new Date(Date.now() + HOUR),
      filters: [],
    };
    const heard: string[][] = [];
    const rows = await store().toolsUsage(range, 100, undefined, (names) => heard.push([...names]));
    // This store knows the names after its counting statement: the comparison starts there.
    expect(heard).toHaveLength(1);
    expect(rows.map((row) => row.name)).toContain('ranked-early');
    expect(new Set(heard[0])).toEqual(new Set(rows.map((row) => row.name)));
  });

  it('a batch PostgreSQL refuses fails alone: the others of its group are stored', async () => {
    const first = alone();
    const good = [batchOf([2]), batchOf([3]), batchOf([1])];
    // A string JSON carries and PostgreSQL refuses (a lone surrogate; the ingest schema refuses
    // it over HTTP, so only a caller of the store can send it): a real error of the statement.
    const bad = batchOf([2]);
    bad.events[1] = { ...(bad.events[1] as EventInput), name: 'broken \ud800' };
    const calls = [
      ...first.map((batch) => store().writeBatch(team.teamId, batch)),
      store().writeBatch(team.teamId, good[0] as EventBatch),
      store().writeBatch(team.teamId, bad),
      store().writeBatch(team.teamId, good[1] as EventBatch),
      store().writeBatch(team.teamId, good[2] as EventBatch),
    ];
    const settled = await Promise.allSettled(calls);
    const value = (r: PromiseSettledResult<WriteResult> | undefined) =>
      r?.status === 'fulfilled' ? r.value : r?.reason;
    expect(settled.map(value)).toEqual([
      ...first.map(() => ({ stored: 2, duplicates: 0 })),
      { stored: 2, duplicates: 0 },
      expect.objectContaining({ code: '22P02' }),
      { stored: 3, duplicates: 0 },
      { stored: 1, duplicates: 0 },
    ]);
    const stored = (batch: EventBatch) =>
      pgCount(server, `SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND session_id = ANY($2)`, [
        team.teamId,
        sessionsOf(batch),
      ]);
    expect(await Promise.all([...good, bad].map(stored))).toEqual([2, 3, 1, 0]);
  });

  it('a writer that dies before its commit answers none of its batches as stored, and stores none', async () => {
    // A session another transaction holds locked: the group's statement waits on it, after its
    // events went in (uncommitted), until the test ends that backend as a crash would.
    const held = batchOf([1]);
    expect(await store().writeBatch(team.teamId, held)).toEqual({ stored: 1, duplicates: 0 });
    const heldSession = sessionsOf(held)[0];
    const locker = new Client({ connectionString: server.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`UPDATE sessions SET updated_at = now() WHERE workspace_id = $1 AND id = $2`, [
        team.teamId,
        heldSession,
      ]);
      const first = alone();
      const doomed = [batchOf([3]), { events: batchOf([2], { sessionId: heldSession }).events, sessions: [] }];
      const calls = [
        ...first.map((batch) => store().writeBatch(team.teamId, batch)),
        ...doomed.map((batch) => store().writeBatch(team.teamId, batch)),
      ];
      let waiting: number[] = [];
      await waitFor(
        async () => (waiting = await ingestsWaitingOnLocks(server)).length > 0,
        10_000,
        'the group waiting on the held session',
      );
      await server.tally.db.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [waiting]);
      const settled = await Promise.allSettled(calls);
      expect(settled.slice(0, GROUP_WRITERS).map((r) => r.status)).toEqual(first.map(() => 'fulfilled'));
      expect(settled.slice(GROUP_WRITERS).map((r) => r.status)).toEqual(['rejected', 'rejected']);
      await locker.query('ROLLBACK');
      const stored = (batch: EventBatch) =>
        pgCount(server, `SELECT count(*) AS n FROM events WHERE workspace_id = $1 AND session_id = ANY($2)`, [
          team.teamId,
          sessionsOf(batch),
        ]);
      expect(await Promise.all(doomed.map(stored))).toEqual([0, 1]);
      // The clients' retries store them, once.
      expect(await Promise.all(doomed.map((batch) => store().writeBatch(team.teamId, batch)))).toEqual([
        { stored: 3, duplicates: 0 },
        { stored: 2, duplicates: 0 },
      ]);
      expect(await Promise.all(doomed.map(stored))).toEqual([3, 3]);
    } finally {
      await locker.end();
    }
  });
});

describe('sessions: their total and their orders', () => {
  /** The read pool's SQL, each statement kept so that its plan can be looked at. */
  class RecordingSql extends AnalyticsSql {
    readonly statements: Array<{ text: string; values: unknown[] }> = [];
    override read<R extends QueryResultRow>(
      gate: ReadGate | undefined,
      text: string,
      values: unknown[],
    ): Promise<QueryResult<R>> {
      this.statements.push({ text, values });
      return super.read<R>(gate, text, values);
    }
  }

  /** Every table and index a statement's plan reads. */
  async function relationsRead(pool: Pool, statement: { text: string; values: unknown[] }): Promise<string[]> {
    const { rows } = await pool.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) ${statement.text}`,
      statement.values,
    );
    const found = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if ((key === 'Relation Name' || key === 'Index Name') && typeof value === 'string') found.add(value);
          else walk(value);
        }
      }
    };
    walk(rows[0]?.['QUERY PLAN']);
    return [...found].sort();
  }

  it('counts and sorts a 30-day range from the sessions table alone, never reading the events', async () => {
    const now = Date.UTC(2026, 0, 20);
    const own = await createRoleTeam(server, 'Order Team');
    await track(server, await createKeySecret(server, own.owner, own.teamId, 'EDITOR'), {
      events: Array.from({ length: 6 }, (_, i) => ({
        sessionId: `order-${i % 3}`,
        name: 'search',
        timestamp: new Date(now - (i + 1) * HOUR).toISOString(),
        status: i === 4 ? 'error' : 'ok',
      })),
    });
    const pool = new Pool({ connectionString: server.databaseUrl, max: 1 });
    try {
      const sql = new RecordingSql(pool, null);
      const query: AnalyticsQuery = {
        workspaceId: own.teamId,
        from: new Date(now - 30 * DAY),
        to: new Date(now),
        filters: [],
      };
      expect(await countSessions(sql, query)).toBe(3);
      const orders: SessionOrder[] = Object.values(SessionOrderField).map((field) => ({
        field,
        direction: OrderDirection.ASC,
      }));
      for (const order of orders) {
        const page = await sessions(sql, query, { first: 2, after: null, order });
        expect(page.nodes).toHaveLength(2);
      }
      for (const statement of sql.statements) {
        const read = await relationsRead(pool, statement);
        expect({ statement: statement.text, read }).toEqual({
          statement: statement.text,
          read: expect.arrayContaining(['sessions']),
        });
        expect(read.filter((name) => name.startsWith('event'))).toEqual([]);
      }
    } finally {
      await pool.end();
    }
  });
});
