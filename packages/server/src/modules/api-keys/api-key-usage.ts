import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { KeyUse, KeyUsageCounter } from '../../auth/key-usage';
import { type Clock, systemClock } from '../../platform/clock';
import {
  type BatchedDeleteOptions,
  type BatchedDeleteResult,
  deleteInBatches,
} from '../../platform/jobs/batched-delete';
import type { JobQueue } from '../../platform/jobs/job-queue';

/** How long a key's daily usage is kept (the API keys issue: 90 days). */
export const API_KEY_USAGE_RETENTION_DAYS = 90;

/** The counted uses in the order of `api_key_usage`'s columns. */
const USES: readonly KeyUse[] = [
  'eventsAccepted',
  'refusedRateLimit',
  'refusedInvalid',
  'refusedAddress',
  'graphqlRequests',
  'exports',
];

type Counts = Record<KeyUse, number>;

interface Pending {
  workspaceId: string;
  apiKeyId: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  counts: Counts;
}

function zero(): Counts {
  return {
    eventsAccepted: 0,
    refusedRateLimit: 0,
    refusedInvalid: 0,
    refusedAddress: 0,
    graphqlRequests: 0,
    exports: 0,
  };
}

/** The UTC day of a time, as PostgreSQL's `date` reads it. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface ApiKeyUsageOptions {
  /** How often this instance adds what it counted to `api_key_usage`. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Which day a use is counted on (tests move it). */
  clock?: Clock;
}

/**
 * Per-key daily usage, counted like the ingest rate limit (BatchedRateLimit): in memory on the
 * request's path, then added to `api_key_usage` by every instance in one statement per flush
 * (at most one flush interval after the first count since the last one), and once more when
 * Tally stops (`close`), so what was acknowledged is not lost by a graceful stop. A flush that
 * fails keeps its counts for the next. The flush is this instance's own memory, so it runs on a
 * timer of this instance rather than on the shared job queue; the 90-day purge is a job.
 */
export class ApiKeyUsage implements KeyUsageCounter {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly onError: (error: unknown) => void = () => undefined,
    options: ApiKeyUsageOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
  }

  count(workspaceId: string, apiKeyId: string, use: KeyUse, n = 1): void {
    if (n <= 0) return;
    const day = utcDay(this.clock());
    const id = `${workspaceId}|${apiKeyId}|${day}`;
    let entry = this.pending.get(id);
    if (!entry) {
      entry = { workspaceId, apiKeyId, day, counts: zero() };
      this.pending.set(id, entry);
    }
    entry.counts[use] += n;
    this.schedule();
  }

  /** Adds every pending count to `api_key_usage` now (tests; also called by `close`). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // A flush under way may leave counts that arrived meanwhile: write those too.
    await this.flush().catch(this.onError);
    if (this.pending.size > 0) await this.flush().catch(this.onError);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(this.onError);
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.pool.query(
        `INSERT INTO api_key_usage (workspace_id, api_key_id, day, events_accepted, refused_rate_limit,
                                    refused_invalid, refused_address, graphql_requests, exports)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::bigint[], $5::int[], $6::int[],
                              $7::int[], $8::int[], $9::int[])
         ON CONFLICT (workspace_id, api_key_id, day) DO UPDATE SET
           events_accepted = api_key_usage.events_accepted + EXCLUDED.events_accepted,
           refused_rate_limit = api_key_usage.refused_rate_limit + EXCLUDED.refused_rate_limit,
           refused_invalid = api_key_usage.refused_invalid + EXCLUDED.refused_invalid,
           refused_address = api_key_usage.refused_address + EXCLUDED.refused_address,
           graphql_requests = api_key_usage.graphql_requests + EXCLUDED.graphql_requests,
           exports = api_key_usage.exports + EXCLUDED.exports`,
        [
          batch.map((b) => b.workspaceId),
          batch.map((b) => b.apiKeyId),
          batch.map((b) => b.day),
          ...USES.map((use) => batch.map((b) => b.counts[use])),
        ],
      );
    } catch (error) {
      // Not written: counted again at the next flush.
      for (const b of batch) {
        const id = `${b.workspaceId}|${b.apiKeyId}|${b.day}`;
        const entry = this.pending.get(id);
        if (!entry) {
          this.pending.set(id, b);
          continue;
        }
        for (const use of USES) entry.counts[use] += b.counts[use];
      }
      this.schedule();
      throw error;
    }
  }
}

/** One day of a key's usage, as `ApiKey.usage` returns it. */
export interface UsageDay {
  day: string;
  counts: Counts;
}

/** Days of keys' usage from `api_key_usage`: one statement for any number of keys. */
export async function readUsage(
  db: DataSource,
  workspaceId: string,
  apiKeyIds: readonly string[],
  from: string,
  to: string,
): Promise<Map<string, UsageDay[]>> {
  const rows: Array<{
    api_key_id: string;
    day: string;
    events_accepted: string;
    refused_rate_limit: number;
    refused_invalid: number;
    refused_address: number;
    graphql_requests: number;
    exports: number;
  }> = await db.query(
    `SELECT api_key_id, to_char(day, 'YYYY-MM-DD') AS day, events_accepted, refused_rate_limit,
            refused_invalid, refused_address, graphql_requests, exports
       FROM api_key_usage
      WHERE workspace_id = $1 AND api_key_id = ANY($2::uuid[]) AND day BETWEEN $3::date AND $4::date
      ORDER BY api_key_id, day`,
    [workspaceId, [...apiKeyIds], from, to],
  );
  const byKey = new Map<string, UsageDay[]>();
  for (const row of rows) {
    const days = byKey.get(row.api_key_id) ?? [];
    days.push({
      day: row.day,
      counts: {
        eventsAccepted: Number(row.events_accepted),
        refusedRateLimit: row.refused_rate_limit,
        refusedInvalid: row.refused_invalid,
        refusedAddress: row.refused_address,
        graphqlRequests: row.graphql_requests,
        exports: row.exports,
      },
    });
    byKey.set(row.api_key_id, days);
  }
  return byKey;
}

/** Events keys had accepted since `from` (a day), in one grouped statement. */
export async function readEventsSince(
  db: DataSource,
  workspaceId: string,
  apiKeyIds: readonly string[],
  from: string,
): Promise<Map<string, number>> {
  const rows: Array<{ api_key_id: string; events: string }> = await db.query(
    `SELECT api_key_id, sum(events_accepted) AS events
       FROM api_key_usage
      WHERE workspace_id = $1 AND api_key_id = ANY($2::uuid[]) AND day >= $3::date
      GROUP BY api_key_id`,
    [workspaceId, [...apiKeyIds], from],
  );
  return new Map(rows.map((row) => [row.api_key_id, Number(row.events)]));
}

export const PURGE_API_KEY_USAGE_JOB = 'api-keys.purge-usage';

/** Minute 23 of every hour (UTC): a day's rows go within the hour they fall out of the 90 days. */
export const PURGE_API_KEY_USAGE_CRON = '23 * * * *';

/** Deletes usage older than API_KEY_USAGE_RETENTION_DAYS, in batches on `api_key_usage_day_idx`. */
export function purgeApiKeyUsage(db: DataSource, options: BatchedDeleteOptions = {}): Promise<BatchedDeleteResult> {
  return deleteInBatches(
    db,
    'api_key_usage',
    `day < (now() AT TIME ZONE 'UTC')::date - $1::int`,
    [API_KEY_USAGE_RETENTION_DAYS],
    options,
  );
}

export async function defineApiKeyUsagePurge(
  jobs: JobQueue,
  db: DataSource,
  log: (deleted: number, done: boolean) => void,
): Promise<void> {
  jobs.define<Record<string, never>>({
    name: PURGE_API_KEY_USAGE_JOB,
    retryLimit: 2,
    retryDelaySeconds: 60,
    expireInSeconds: 15 * 60,
    // At most one queued and one running at once, however many instances send it.
    policy: 'stately',
    handler: async (_data, job) => {
      const { deleted, done } = await purgeApiKeyUsage(db, { signal: job.signal });
      if (deleted > 0 || !done) log(deleted, done);
    },
  });
  await jobs.schedule(PURGE_API_KEY_USAGE_JOB, PURGE_API_KEY_USAGE_CRON);
}
