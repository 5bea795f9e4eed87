import type { EventInput } from '../../src/modules/events/event-store';
import type { TestServer } from '../harness';
import * as clickhouse from './clickhouse-events';
import * as postgres from './postgres-events';

/**
 * What API-level tests need of the engine the test server stores events in (TALLY_TEST_EVENTS_STORE:
 * the server project runs them on PostgreSQL, server-clickhouse on ClickHouse): the bulk loader,
 * and what watches and breaks the engine's reads — the same meaning on both engines, each its
 * own way (drivers/postgres-events.ts, drivers/clickhouse-events.ts).
 */
const onClickHouse = (server: TestServer) => server.tally.clickhouse !== null;

/**
 * A ClickHouse count is read from memory at once; a test that polls it in a loop must still let
 * the server run (PostgreSQL's counts are queries, which yield by themselves).
 */
async function later<T>(read: () => T): Promise<T> {
  await new Promise((resolve) => setImmediate(resolve));
  return read();
}

/** An event to load straight into the store (`loadEvents`): the ingest's defaults filled in. */
export type LoadEvent = Pick<EventInput, 'sessionId' | 'name' | 'timestamp'> & Partial<EventInput>;

/**
 * Loads events for tests that need far more of them than ingest's batches and rate limits allow
 * in reasonable time: through the store's own write path (`writeBatch`, in big batches: 150,000
 * events in about 5 s), so sessions and aggregates follow as they do for ingested events. The same on every engine.
 */
export async function loadEvents(
  server: TestServer,
  workspaceId: string,
  events: Iterable<LoadEvent>,
  batchSize = 5000,
): Promise<number> {
  let stored = 0;
  let batch: EventInput[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    stored += (await server.tally.services.events.writeBatch(workspaceId, { events: batch, sessions: [] })).stored;
    batch = [];
  };
  for (const event of events) {
    batch.push({
      id: crypto.randomUUID(),
      clientId: false,
      clientTimestamp: true,
      type: 'custom',
      userId: null,
      durationMs: null,
      status: null,
      properties: null,
      ...event,
    });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return stored;
}

/** Brings the engine's statistics up to date after a bulk load (PostgreSQL: ANALYZE; ClickHouse keeps its own). */
export async function refreshStatistics(server: TestServer): Promise<void> {
  if (!onClickHouse(server)) await postgres.refreshStatistics(server);
}

/** Analytics statements running (or queued) on the events' database now. */
export async function activeAnalyticsStatements(server: TestServer): Promise<number> {
  return onClickHouse(server)
    ? later(() => clickhouse.activeAnalyticsReads(server.tally))
    : postgres.activeAnalyticsStatements(server);
}

/** Exports still reading the database (PostgreSQL: their COPY, waiting or not; ClickHouse: not ended). */
export async function exportReads(server: TestServer): Promise<number> {
  return onClickHouse(server)
    ? later(() => clickhouse.openExports(server.tally))
    : postgres.runningExportCopies(server);
}

/** Exports reading right now (PostgreSQL: an active COPY; ClickHouse: not ended). */
export async function activeExportReads(server: TestServer): Promise<number> {
  return onClickHouse(server) ? later(() => clickhouse.openExports(server.tally)) : postgres.activeExportCopies(server);
}

/** Makes the exports' reads fail, as a broken database would. */
export async function breakExportReads(server: TestServer): Promise<void> {
  if (onClickHouse(server)) clickhouse.breakExportReads(server.tally);
  else await postgres.cancelExportCopies(server);
}

/** Holds the events' reads (PostgreSQL: a lock on the table) so that an export waits, until `release()`. */
export async function holdEventReads(server: TestServer): Promise<{ release(): Promise<void> }> {
  return onClickHouse(server) ? clickhouse.holdExportReads(server.tally) : postgres.lockEventsTable(server);
}

/** Transactions of the event store's pool left open (both engines use it: ClickHouse's id ledger). */
export function idleEventTransactions(server: TestServer): Promise<number> {
  return postgres.idleEventTransactions(server);
}
