import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The API-level analytics tests (analytics-*.test.ts and their helpers in analytics-fixtures.ts)
 * must pass unchanged on every event store engine (issue 17 §2; issue 18 added ClickHouse). So they
 * read what a user or the store sees — the GraphQL API, the export endpoint, the `EventStore`
 * interface (`server.tally.services.events`) — and never an engine's tables. What is about
 * PostgreSQL's tables (rollups, partitions, the id ledger, the purge of each table) lives in
 * event-store/postgres-engine.test.ts (and clickhouse-engine.test.ts), and what a test needs of an
 * engine (the bulk loader, the export's reads to watch and break) comes through
 * test/drivers/events.ts, which picks the server's engine. The server-clickhouse jest project runs
 * these files again on ClickHouse.
 *
 * This test keeps it so: it fails when one of those files holds SQL against an event table,
 * names PostgreSQL's catalogues, or imports the PostgreSQL engine's modules.
 */

const FORBIDDEN: Array<[string, RegExp]> = [
  // SQL keywords in capitals before an event table of PostgreSQL (or any of its `event_*`,
  // `session_*` and `user_days*` tables): prose such as "from events" stays allowed, and so does
  // an injection payload sent as a filter value ("DROP TABLE events"), which runs nothing.
  [
    'SQL against an event table',
    /\b(?:FROM|INTO|UPDATE|JOIN|LOCK TABLE|TRUNCATE(?: TABLE)?|ANALYZE)\s+(?:events|sessions|event_\w+|session_\w+|user_days\w*)\b/,
  ],
  ['PostgreSQL catalogues or partitions', /\b(?:pg_class|pg_inherits|tally_ensure_events_partition|events_p\d{4})/],
  ['an import of the PostgreSQL engine', /from '[./]*(?:src\/)?modules\/events\/postgres\//],
  ["the PostgreSQL engine's table list", /\bEVENT_TABLES\b/],
  // What they need of an engine comes through drivers/events.ts, which picks the server's engine.
  ["an engine's own test driver", /from '\.\/drivers\/(?:postgres|clickhouse)-events'/],
];

/** The problems of one file's text: `rule: line` for each forbidden line. */
function problemsOf(text: string): string[] {
  const problems: string[] = [];
  for (const [rule, pattern] of FORBIDDEN) {
    for (const line of text.split('\n')) if (pattern.test(line)) problems.push(`${rule}: ${line.trim()}`);
  }
  return problems;
}

const checked = readdirSync(__dirname)
  .filter((name) => /^analytics-.*\.test\.ts$/.test(name) || name === 'analytics-fixtures.ts')
  .sort();

describe('the API-level analytics tests know no engine', () => {
  it('checks every analytics test file', () => {
    expect(checked).toEqual(expect.arrayContaining(['analytics-fixtures.ts', 'analytics-ingest.test.ts']));
    expect(checked.length).toBeGreaterThanOrEqual(6);
  });

  it.each(checked)('%s holds no SQL against event tables and no import of the PostgreSQL engine', (name) => {
    expect(problemsOf(readFileSync(join(__dirname, name), 'utf8'))).toEqual([]);
  });

  it('the rule catches what these files used to hold, and lets the engine-neutral helpers through', () => {
    const before = [
      'scalar(server, `SELECT count(*) AS n FROM events WHERE workspace_id = $1`, [ws])',
      '`INSERT INTO sessions (workspace_id, id, started_at, ended_at, event_count)',
      "`SELECT sum(events) AS n FROM event_rollups_hourly WHERE workspace_id = $1 AND name = 'retry'`",
      "await locker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');",
      "await server.tally.db.query('ANALYZE events, sessions');",
      "WHERE i.inhparent = 'events'::regclass ORDER BY 1`, // pg_inherits",
      "expect(await eventPartitions(server)).toContain('events_p2021_07');",
      "import { EventPartitions } from '../src/modules/events/postgres/partitions';",
      'for (const table of EVENT_TABLES) {',
      "import { activeAnalyticsStatements, loadEvents } from './drivers/postgres-events';",
    ];
    for (const line of before) expect({ line, caught: problemsOf(line).length > 0 }).toEqual({ line, caught: true });
    const after = [
      'expect(await storedEvents(server, teamB)).toHaveLength(eventsInB);',
      'it("removes the team\'s events, sessions and rollups, and nothing of another workspace", async () => {',
      "// The stored events themselves (the store's scan, not its aggregates) agree.",
      "import { activeAnalyticsStatements, loadEvents } from './drivers/events';",
      'expect(await exportedIds(filter({ names: ["search\'); DROP TABLE events; --"] }))).toEqual([]);',
    ];
    for (const line of after) expect({ line, problems: problemsOf(line) }).toEqual({ line, problems: [] });
  });
});
