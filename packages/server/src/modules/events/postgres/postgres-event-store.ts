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
import type { GroupCommit } from '../group-commit';
import { RollupCompaction } from './compaction';
import { exportCopy } from './export-copy';
import { postgresGroupCommit } from './ingest';
import * as lists from './lists';
import { registerPostgresMaintenance } from './maintenance';
import { overview } from './overview';
import { EventPartitions } from './partitions';
import { type AnalyticsReadPool, AnalyticsSql } from './read-pool';
import { EVENT_TABLES } from './tables';
import { toolsUsage } from './tools-usage';
import { breakdown, durationSeries } from './breakdown';

export type { AnalyticsReadPool } from './read-pool';

/**
 * Event storage in PostgreSQL: monthly partitions of raw events (partitions.ts), sessions, hourly
 * and daily rollups fed by appended deltas (ingest.ts, compaction.ts), per-user day masks, the id
 * ledger of client ids (../id-ledger.ts). This class only wires the query families together; each
 * lives in its own file.
 */
export class PostgresEventStore implements EventStore {
  private readonly partitions: EventPartitions;
  private readonly compaction: RollupCompaction;
  private readonly sql: AnalyticsSql;
  private readonly commits: GroupCommit;

  constructor(
    /** Ingest, partitions, compaction, exports. */
    private readonly pool: Pool,
    /** For the batched purge and the id ledger's expiry. */
    private readonly db: DataSource,
    private readonly logger: Logger | null = null,
    /** Where the analytics statements run: a pool of their own, so they never hold up ingest. */
    reads: AnalyticsReadPool | null = null,
  ) {
    this.partitions = new EventPartitions(pool);
    this.compaction = new RollupCompaction(pool, logger);
    this.sql = new AnalyticsSql(reads?.pool ?? pool, reads?.statementTimeoutMs ?? null);
    this.commits = postgresGroupCommit({ pool, partitions: this.partitions, compaction: this.compaction });
  }

  /** Batches arriving together are written together (ingest.ts, ../group-commit.ts). */
  writeBatch(workspaceId: string, batch: EventBatch): Promise<WriteResult> {
    return this.commits.write(workspaceId, batch);
  }

  overview(query: AnalyticsQuery, interval: Interval, gate?: ReadGate): Promise<OverviewData> {
    return overview(this.sql, query, interval, gate);
  }

  toolsUsage(
    query: AnalyticsQuery,
    limit: number,
    gate?: ReadGate,
    ranked?: (names: readonly string[]) => void,
  ): Promise<UsageData[]> {
    return toolsUsage(this.sql, query, limit, gate, ranked);
  }

  breakdown(query: AnalyticsQuery, by: BreakdownKey, limit: number, gate?: ReadGate): Promise<BreakdownData[]> {
    return breakdown(this.sql, query, by, limit, gate);
  }

  durationSeries(query: AnalyticsQuery, interval: Interval, gate?: ReadGate): Promise<DurationPointData[]> {
    return durationSeries(this.sql, query, interval, gate);
  }

  sessions(query: AnalyticsQuery, page: SessionPageRequest, gate?: ReadGate): Promise<Page<SessionData>> {
    return lists.sessions(this.sql, query, page, gate);
  }

  countSessions(query: AnalyticsQuery, gate?: ReadGate): Promise<number> {
    return lists.countSessions(this.sql, query, gate);
  }

  session(workspaceId: string, id: string, gate?: ReadGate): Promise<SessionData | null> {
    return lists.session(this.sql, workspaceId, id, gate);
  }

  sessionEvents(
    workspaceId: string,
    sessionId: string,
    page: PageRequest<EventKey>,
    gate?: ReadGate,
  ): Promise<Page<EventData>> {
    return lists.sessionEvents(this.sql, workspaceId, sessionId, page, gate);
  }

  activity(query: AnalyticsQuery, page: PageRequest<EventKey>, gate?: ReadGate): Promise<Page<EventData>> {
    return lists.activity(this.sql, query, page, gate);
  }

  scanEvents(query: AnalyticsQuery, options?: ScanOptions): AsyncIterable<EventData[]> {
    return lists.scanEvents(this.pool, query, options);
  }

  exportEvents(query: AnalyticsQuery, format: ExportFormat): Promise<Readable> {
    return exportCopy(this.pool, query, format);
  }

  async purgeWorkspace(workspaceId: string, options: PurgeOptions = {}): Promise<{ done: boolean }> {
    const result = await purgeWorkspaceRows(this.db, workspaceId, EVENT_TABLES, options);
    return { done: result.done };
  }

  registerMaintenance(jobs: MaintenanceJobs): Promise<void> {
    return registerPostgresMaintenance(jobs, {
      db: this.db,
      partitions: this.partitions,
      compaction: this.compaction,
      logger: this.logger,
    });
  }

  /** Folds every rollup delta there is now (waiting out another instance's fold). */
  async settle(): Promise<void> {
    await this.compaction.compact(undefined, true);
  }
}
