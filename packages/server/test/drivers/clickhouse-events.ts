import type { Readable } from 'node:stream';
import type { ClickHouse } from '../../src/modules/events/clickhouse/connection';
import type { Tally } from '../../src/server';

/**
 * The ClickHouse event store as tests drive it: the functions of drivers/postgres-events.ts that
 * watch and break an engine, for ClickHouse. Its reads are statements through one
 * `@clickhouse/client` (a keyset page at a time for an export, nothing held between pages), so
 * what the tests watch is that client's statements in flight and the export streams still open,
 * and what they break is the next export read.
 */
interface Probe {
  /** Statements in flight (sent, not answered), by their SQL. */
  inFlight: Set<{ sql: string }>;
  /** Export streams the store handed out and that have not closed. */
  openExports: number;
  /** Export reads wait while held (`holdEventReads`). */
  held: boolean;
  waiting: Array<{ resume(): void; fail(error: Error): void }>;
  /** The next export read fails (`breakExportReads`). */
  breakNext: boolean;
}

const probes = new WeakMap<Tally, Probe>();

/** A scan page or an export's page (clickhouse/lists.ts and export-pages.ts mark them). */
const isScan = (sql: string) => sql.includes('/* tally:scan */');
/** An analytics read (clickhouse/sql.ts, ChReads, writes these limits into each). */
const isAnalyticsRead = (sql: string) => sql.includes('max_execution_time') && !isScan(sql);

/** Watches the server's ClickHouse statements and exports; test servers on ClickHouse get it at start. */
export function instrumentClickHouse(tally: Tally): void {
  const clickhouse: ClickHouse | null = tally.clickhouse;
  if (!clickhouse || probes.has(tally)) return;
  const probe: Probe = { inFlight: new Set(), openExports: 0, held: false, waiting: [], breakNext: false };
  probes.set(tally, probe);
  const client = clickhouse.client;
  /** The client's statement methods (`exec` answers an export's pages), each watched the same way. */
  const watch =
    <P extends { query: string }, R>(run: (params: P) => Promise<R>) =>
    async (params: P): Promise<R> => {
      const entry = { sql: params.query };
      probe.inFlight.add(entry);
      try {
        if (isScan(entry.sql)) {
          if (probe.held) {
            await new Promise<void>((resume, fail) => probe.waiting.push({ resume, fail }));
          }
          if (probe.breakNext) {
            probe.breakNext = false;
            throw new Error('the export read was broken by the test (drivers/clickhouse-events.ts)');
          }
        }
        return await run(params);
      } finally {
        probe.inFlight.delete(entry);
      }
    };
  Reflect.set(client, 'query', watch(client.query.bind(client)));
  Reflect.set(client, 'exec', watch(client.exec.bind(client)));
  const store = tally.services.events;
  const exportEvents = store.exportEvents.bind(store);
  Reflect.set(store, 'exportEvents', async (...args: Parameters<typeof store.exportEvents>) => {
    const stream: Readable = await exportEvents(...args);
    probe.openExports += 1;
    stream.once('close', () => {
      probe.openExports -= 1;
    });
    return stream;
  });
}

function probeOf(tally: Tally): Probe {
  const probe = probes.get(tally);
  if (!probe) throw new Error('this test server does not store events in ClickHouse');
  return probe;
}

/** Export streams still open (the export has not ended). */
export function openExports(tally: Tally): number {
  return probeOf(tally).openExports;
}

/** Analytics statements sent to ClickHouse and not answered yet. */
export function activeAnalyticsReads(tally: Tally): number {
  return [...probeOf(tally).inFlight].filter((entry) => isAnalyticsRead(entry.sql)).length;
}

/** Makes the export reads fail: one waiting now, else the next one. */
export function breakExportReads(tally: Tally): void {
  const probe = probeOf(tally);
  const waiting = probe.waiting.splice(0);
  if (waiting.length === 0) probe.breakNext = true;
  for (const read of waiting)
    read.fail(new Error('the export read was broken by the test (drivers/clickhouse-events.ts)'));
}

/** Holds every export read (it waits, as behind a lock) until `release()`. */
export function holdExportReads(tally: Tally): { release(): Promise<void> } {
  const probe = probeOf(tally);
  probe.held = true;
  return {
    release() {
      probe.held = false;
      for (const read of probe.waiting.splice(0)) read.resume();
      return Promise.resolve();
    },
  };
}

/** Export reads waiting behind `holdExportReads`. */
export function heldExportReads(tally: Tally): number {
  return probeOf(tally).waiting.length;
}
