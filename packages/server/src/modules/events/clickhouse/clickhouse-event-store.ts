import type { Readable } from 'node:stream';
import type { Interval } from '@tally/shared';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { purgeWorkspaceRows } from '../../../platform/jobs/batched-delete';
import type {
  AnalyticsQuery,
  BreakdownData,
  BreakdownKey,
  DurationPointData,
  EventBatch,
  EventData,
  EventKey,
  EventStore,
  ExportFormat,
  MaintenanceJobs,
  OverviewData,
  Page,
  PageRequest,
  PurgeOptions,
  ReadGate,
  ScanOptions,
  SessionData,
  SessionPageRequest,
  UsageData,
  WriteResult,
} from '../event-store';
import { scheduleIdLedgerExpiry } from '../id-ledger';
import { overview, toolsUsage } from './analytics';
import { breakdown, durationSeries } from './breakdown';
import type { ClickHouse } from './connection';
import { exportPages } from './export-pages';
import type { GroupCommit } from '../group-commit';
import { clickHouseGroupCommit, updateSequence } from './ingest';
import * as lists from './lists';
import { ChParams, ChReads, type Tables, tablesOf } from './sql';

export { type ClickHouse, type ClickHouseTarget, ClickHouseUnavailable, openClickHouse } from './connection';
export { migrateClickHouse } from './schema';

export interface ClickHouseStoreOptions {
  /** Each read statement's limits: max_execution_time and max_memory_usage. */
  timeoutMs: number;
  maxMemoryBytes: number;
}

/**
 * Event storage in ClickHouse (EVENTS_STORE=clickhouse): raw events in a MergeTree table,
 * sessions and per-name first uses kept by materialized views (schema.ts), the id ledger in
 * PostgreSQL (ingest.ts). Users, teams, keys and everything else stay in PostgreSQL. This class
 * only wires the query families together.
 */
export class ClickHouseEventStore implements EventStore {
  private readonly tables: Tables;
  private readonly reads: ChReads;
  private readonly commits: GroupCommit;

  constructor(
    private readonly ch: ClickHouse,
    /** The id ledger's claims (ingest), on the events pool. */
    pool: Pool,
    /** The batched purge and the ledger's expiry. */
    private readonly db: DataSource,
    options: ClickHouseStoreOptions,
    private readonly logger: Logger | null = null,
  ) {
    this.tables = tablesOf(ch.database);
    this.reads = new ChReads(ch, options);
    this.commits = clickHouseGroupCommit({ ch, pg: pool, tables: this.tables, sequence: updateSequence() });
  }

  /** Batches arriving together are written together (ingest.ts, ../group-commit.ts). */
  writeBatch(workspaceId: string, batch: EventBatch): Promise<WriteResult> {
    return this.commits.write(workspaceId, batch);
  }

  overview(query: AnalyticsQuery, interval: Interval, gate?: ReadGate): Promise<OverviewData> {
    return overview(this.reads, this.tables, query, interval, gate);
  }

  toolsUsage(query: AnalyticsQuery, limit: number, gate?: ReadGate): Promise<UsageData[]> {
    return toolsUsage(this.reads, this.tables, query, limit, gate);
  }

  breakdown(query: AnalyticsQuery, by: BreakdownKey, limit: number, gate?: ReadGate): Promise<BreakdownData[]> {
    return breakdown(this.reads, this.tables, query, by, limit, gate);
  }

  durationSeries(query: AnalyticsQuery, interval: Interval, gate?: ReadGate): Promise<DurationPointData[]> {
    return durationSeries(this.reads, this.tables, query, interval, gate);
  }

  sessions(query: AnalyticsQuery, page: SessionPageRequest, gate?: ReadGate): Promise<Page<SessionData>> {
    return lists.sessions(this.reads, this.tables, query, page, gate);
  }

  countSessions(query: AnalyticsQuery, gate?: ReadGate): Promise<number> {
    return lists.countSessions(this.reads, this.tables, query, gate);
  }

  session(workspaceId: string, id: string, gate?: ReadGate): Promise<SessionData | null> {
    return lists.session(this.reads, this.tables, workspaceId, id, gate);
  }

  sessionEvents(
    workspaceId: string,
    sessionId: string,
    page: PageRequest<EventKey>,
    gate?: ReadGate,
  ): Promise<Page<EventData>> {
    return lists.sessionEvents(this.reads, this.tables, workspaceId, sessionId, page, gate);
  }

  activity(query: AnalyticsQuery, page: PageRequest<EventKey>, gate?: ReadGate): Promise<Page<EventData>> {
    return lists.activity(this.reads, this.tables, query, page, gate);
  }

  scanEvents(query: AnalyticsQuery, options?: ScanOptions): AsyncIterable<EventData[]> {
    return lists.scanEvents(this.reads, this.tables, query, options);
  }

  /** Lines written by ClickHouse, a keyset page at a time: the shared serializer's bytes, in constant memory. */
  exportEvents(query: AnalyticsQuery, format: ExportFormat): Promise<Readable> {
    return Promise.resolve(exportPages(this.reads, this.tables, query, format));
  }

  /**
   * Lightweight DELETEs of the workspace's rows, table by table (each is idempotent, so a stopped
   * purge carries on where it was), then its claims in the id ledger.
   */
  async purgeWorkspace(workspaceId: string, options: PurgeOptions = {}): Promise<{ done: boolean }> {
    for (const table of [
      this.tables.rollupDeltas,
      this.tables.eventHours,
      this.tables.sessionUpdates,
      this.tables.sessionNames,
      this.tables.sessionStats,
      this.tables.events,
    ]) {
      if (options.signal?.aborted) return { done: false };
      const p = new ChParams();
      const where = `workspace_id = ${p.add(workspaceId, 'UUID')}`;
      // A DELETE is a mutation of every part it touches (seconds on chdb): only where rows are.
      const found = await this.ch.client.query({
        query: `SELECT 1 AS found FROM ${table} WHERE ${where} LIMIT 1`,
        query_params: p.values,
        format: 'JSONEachRow',
      });
      if ((await found.json()).length === 0) continue;
      await this.ch.client.command({ query: `DELETE FROM ${table} WHERE ${where}`, query_params: p.values });
    }
    const claims = await purgeWorkspaceRows(this.db, workspaceId, ['event_ids'], options);
    return { done: claims.done };
  }

  /** The id ledger's expiry (ClickHouse merges and keeps its own parts). */
  async registerMaintenance(jobs: MaintenanceJobs): Promise<void> {
    await scheduleIdLedgerExpiry(jobs, this.db, this.logger);
  }

  /** Merges every table's parts now (what ClickHouse does in the background): answers stay the same. */
  async settle(): Promise<void> {
    for (const table of [
      this.tables.events,
      this.tables.sessionStats,
      this.tables.sessionNames,
      this.tables.sessionUpdates,
      this.tables.eventHours,
      this.tables.rollupDeltas,
    ]) {
      await this.ch.client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
    }
  }
}
