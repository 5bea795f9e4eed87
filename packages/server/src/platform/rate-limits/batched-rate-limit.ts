import type { Pool } from 'pg';
import { rateLimited } from './rate-limit';

export interface BatchedRateLimitOptions {
  /** Prefix of its rows in `rate_limits` (`<name>:<key>:<window start>`). */
  name: string;
  /** Points one key may take per window, across all instances. */
  points: number;
  windowSeconds: number;
  /** First sentence of the RATE_LIMITED message. */
  refusal: string;
  /** How often this instance adds what it counted to the shared counters. Default 250 ms. */
  flushIntervalMs?: number;
}

interface Local {
  /** Start of the fixed window these numbers belong to (ms). */
  window: number;
  /** What every instance had taken when this one last flushed (its own share included). */
  shared: number;
  /** Taken here, being written by the flush under way. */
  inFlight: number;
  /** Taken here since the last flush began. */
  pending: number;
  /** When `shared` was last read from PostgreSQL (ms; 0: never). */
  readAt: number;
  /** The read under way, which every request for this key waits for. */
  reading: Promise<void> | undefined;
}

/**
 * A limit for hot paths (event ingest): decided from memory, shared through PostgreSQL without a
 * database round trip per request. Each instance counts per key and fixed window locally, and
 * every `flushIntervalMs` adds its counts to the shared rows in `rate_limits` in one statement,
 * reading back every instance's total. A request is refused when the last known total plus what
 * this instance took since then would pass the limit. The known total is never older than one
 * flush interval when a request is decided: a key new to this instance in a window, or one whose
 * total is older (another instance may have taken points meanwhile), is read first, once for all
 * requests waiting on it. Across N instances a key can therefore go over by at most what the
 * other instances accept within one flush interval; on one instance it is exact. The rows share `rate_limits` with rate-limiter-flexible's, and a purge job deletes them once
 * expired (rate-limit-purge.job.ts).
 */
export class BatchedRateLimit {
  private readonly local = new Map<string, Local>();
  private readonly windowMs: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly options: BatchedRateLimitOptions,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.windowMs = options.windowSeconds * 1000;
  }

  get points(): number {
    return this.options.points;
  }

  /**
   * Takes `points` from `key`, or throws RATE_LIMITED (with the seconds to wait) and takes none.
   * `limit`: this key's own points per window (an API key's own limit), instead of `points`.
   */
  async consume(key: string, points = 1, limit: number = this.options.points): Promise<void> {
    const entry = await this.known(key);
    const now = Date.now();
    if (entry.shared + entry.inFlight + entry.pending + points > limit) {
      throw rateLimited(this.options.refusal, entry.window + this.windowMs - now);
    }
    entry.pending += points;
    this.schedule();
  }

  /** The key's entry for the current window, its shared total at most one flush interval old. */
  private async known(key: string): Promise<Local> {
    const now = Date.now();
    const window = Math.floor(now / this.windowMs) * this.windowMs;
    let entry = this.local.get(key);
    if (!entry || entry.window !== window) {
      entry = { window, shared: 0, inFlight: 0, pending: 0, readAt: 0, reading: undefined };
      this.local.set(key, entry);
    }
    if (now - entry.readAt >= this.flushIntervalMs) {
      const current = entry;
      // Unreadable (the database is down): decided from what is known; the batch's own write
      // fails the same way, and the next request tries the read again.
      current.reading ??= this.read(key, current)
        .catch(this.onError)
        .finally(() => {
          current.reading = undefined;
        });
      await current.reading;
    }
    return entry;
  }

  private async read(key: string, entry: Local): Promise<void> {
    const { rows } = await this.pool.query<{ points: number }>('SELECT points FROM rate_limits WHERE key = $1', [
      `${this.options.name}:${key}:${entry.window}`,
    ]);
    // The row holds this instance's flushed share too; a flush under way may be counted twice
    // until it returns, which errs on the side of refusing.
    entry.shared = Math.max(entry.shared, rows[0]?.points ?? 0);
    entry.readAt = Date.now();
  }

  private get flushIntervalMs(): number {
    return this.options.flushIntervalMs ?? 250;
  }

  /** Adds every pending count to the shared rows now (also called by `close`). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch(this.onError);
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
    const now = Date.now();
    const batch: Array<{ entry: Local; rowKey: string }> = [];
    for (const [key, entry] of this.local) {
      if (entry.window + this.windowMs <= now) {
        if (entry.inFlight === 0) this.local.delete(key);
        continue;
      }
      if (entry.pending === 0) continue;
      entry.inFlight = entry.pending;
      entry.pending = 0;
      batch.push({ entry, rowKey: `${this.options.name}:${key}:${entry.window}` });
    }
    if (batch.length === 0) return;
    try {
      const { rows } = await this.pool.query<{ key: string; points: number }>(
        `INSERT INTO rate_limits (key, points, expire)
         SELECT * FROM unnest($1::varchar[], $2::int[], $3::bigint[])
         ON CONFLICT (key) DO UPDATE SET points = rate_limits.points + EXCLUDED.points
         RETURNING key, points`,
        [
          batch.map((b) => b.rowKey),
          batch.map((b) => b.entry.inFlight),
          batch.map((b) => b.entry.window + this.windowMs),
        ],
      );
      const totals = new Map(rows.map((row) => [row.key, row.points]));
      for (const { entry, rowKey } of batch) {
        entry.shared = Math.max(entry.shared + entry.inFlight, totals.get(rowKey) ?? 0);
        entry.inFlight = 0;
        entry.readAt = Date.now();
      }
    } catch (error) {
      // Not written: counted again at the next flush.
      for (const { entry } of batch) {
        entry.pending += entry.inFlight;
        entry.inFlight = 0;
      }
      this.schedule();
      throw error;
    }
  }
}
