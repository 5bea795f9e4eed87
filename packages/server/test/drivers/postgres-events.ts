import { Client } from 'pg';
import type { TestServer } from '../harness';

/**
 * The PostgreSQL event store as tests drive it: its tables, partitions and statements. Used by
 * the engine's own tests (event-store/postgres-engine.test.ts) and, through drivers/events.ts
 * (which picks the server's engine), by API-level tests: the export's COPY
 * (analytics-export.test.ts), the analytics statements running now (analytics-isolation.test.ts).
 * drivers/clickhouse-events.ts has the same for ClickHouse.
 */

/** A count (`n`) from one SQL statement on the server's database. */
export async function pgCount(server: TestServer, sql: string, params: unknown[] = []): Promise<number> {
  const rows: Array<{ n: string | number | null }> = await server.tally.db.query(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/** The partitions of `events` (`events_pYYYY_MM`). */
export async function eventPartitions(server: TestServer): Promise<string[]> {
  const rows: Array<{ name: string }> = await server.tally.db.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

/** The partition name of a `YYYY-MM` month. */
export function partitionOf(month: string): string {
  return `events_p${month.replace('-', '_')}`;
}

// --- The export's COPY (export-copy.ts): what the export tests watch and break. ---

/** Backends of the server's database that run an export's COPY (waiting or not). */
export function runningExportCopies(server: TestServer): Promise<number> {
  return pgCount(
    server,
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'COPY (%'`,
  );
}

/** Export COPYs that are running (not waiting). */
export function activeExportCopies(server: TestServer): Promise<number> {
  return pgCount(server, `SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY (%' AND state = 'active'`);
}

/** Cancels every export COPY running now: the statement fails as a broken database would make it. */
export async function cancelExportCopies(server: TestServer): Promise<void> {
  await server.tally.db.query(
    `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE 'COPY (%'`,
  );
}

/** Transactions of the event store's pool left open ("idle in transaction"). */
export function idleEventTransactions(server: TestServer): Promise<number> {
  return pgCount(
    server,
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'tally-events' AND state LIKE 'idle in transaction%'`,
  );
}

/** Analytics statements running in the server's database now (whatever pool they came from). */
export function activeAnalyticsStatements(server: TestServer): Promise<number> {
  return pgCount(
    server,
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
        AND backend_type = 'client backend'
        AND (query LIKE '%FROM sessions s%' OR query LIKE '%FROM events e%')`,
  );
}

/**
 * Holds the events table locked (ACCESS EXCLUSIVE) on a connection of its own, so that a reader
 * waits, until `release()`.
 */
export async function lockEventsTable(server: TestServer): Promise<{ release(): Promise<void> }> {
  const locker = new Client({ connectionString: server.databaseUrl });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
  return {
    async release() {
      await locker.query('ROLLBACK');
      await locker.end();
    },
  };
}

/**
 * Refreshes the planner's statistics of the tables a bulk load wrote, as autovacuum would a
 * little later: for tests that time queries over the loaded rows as they would run in production.
 */
export async function refreshStatistics(server: TestServer): Promise<void> {
  await server.tally.db.query('ANALYZE events, sessions');
}

// --- Group commit (postgres/ingest.ts): which transaction and statement stored an event. ---

/**
 * Per session of the workspaces, the transactions (`xmin`) and the statements within them
 * (`xmin`, `cmin`) that inserted its events: PostgreSQL's own record of how many commits and
 * statements the ingest took, no timing involved.
 */
export async function writersOf(
  server: TestServer,
  workspaceIds: readonly string[],
): Promise<Map<string, { transactions: Set<string>; statements: Set<string> }>> {
  const rows: Array<{ session_id: string; tx: string; cmd: string }> = await server.tally.db.query(
    `SELECT session_id, xmin::text AS tx, cmin::text AS cmd FROM events WHERE workspace_id = ANY($1::uuid[])`,
    [workspaceIds],
  );
  const bySession = new Map<string, { transactions: Set<string>; statements: Set<string> }>();
  for (const row of rows) {
    let writers = bySession.get(row.session_id);
    if (!writers) {
      writers = { transactions: new Set(), statements: new Set() };
      bySession.set(row.session_id, writers);
    }
    writers.transactions.add(row.tx);
    writers.statements.add(`${row.tx}/${row.cmd}`);
  }
  return bySession;
}

/** Ingest statements of the server's database waiting for a lock now: their backends' pids. */
export async function ingestsWaitingOnLocks(server: TestServer): Promise<number[]> {
  const rows: Array<{ pid: number }> = await server.tally.db.query(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
        AND query LIKE '%INSERT INTO events%'`,
  );
  return rows.map((row) => row.pid);
}
