import { createHash } from 'node:crypto';
import { ErrorCode } from '@tally/shared';
import type { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors';

/** The table every counter lives in (created by the first migration). */
const TABLE = 'rate_limits';

export interface RateLimitOptions {
  /** The counter's name: the prefix of its keys in `rate_limits` (`<name>:<key>`). */
  name: string;
  /** How many points one key may take per window. */
  points: number;
  windowSeconds: number;
  /** The first sentence of the RATE_LIMITED message, e.g. "Too many failed logins." */
  refusal: string;
  /**
   * Once a key has been refused, refuse it from this instance's memory until its window ends,
   * without asking the database. For counters on a hot path (API key checks). Off by default:
   * while it is on, a `refund` or `reset` on another instance is not seen here until then.
   */
  rememberRefusals?: boolean;
}

/**
 * A consume-first limit shared by every instance. `consume` takes a point *before* the work it
 * guards, in one atomic upsert in PostgreSQL (`rate_limits`), so however many requests race, at
 * most `points` of them per window go ahead and the rest get RATE_LIMITED with
 * `retryAfterSeconds`. Work that should not count (a login that succeeded) gives its point back
 * with `refund`. Reading a counter first and writing it after the work is the race this avoids.
 */
export class RateLimit {
  private readonly counter: RateLimiterPostgres;

  constructor(
    private readonly pool: Pool,
    readonly options: RateLimitOptions,
  ) {
    this.counter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: TABLE,
      tableCreated: true,
      keyPrefix: options.name,
      points: options.points,
      duration: options.windowSeconds,
      // Expired counters are deleted by a job on the durable queue (rate-limit-purge.job.ts), not
      // by a timer of each counter's that nothing can stop.
      clearExpiredByTimeout: false,
      // Blocks in memory once a consume has gone over the limit (points + 1), for the rest of
      // the window. Never at `points` itself: a refund may still give that point back.
      ...(options.rememberRefusals ? { inMemoryBlockOnConsumed: options.points + 1 } : {}),
    });
  }

  get points(): number {
    return this.options.points;
  }

  /** Takes `points` from `key` now; RATE_LIMITED (and nothing done) when that goes over the limit. */
  async consume(key: string, points = 1): Promise<void> {
    const retryAfterMs = await this.take(key, points);
    if (retryAfterMs !== 0) throw rateLimited(this.options.refusal, retryAfterMs);
  }

  /**
   * `consume` for callers that return their refusal rather than throw it: 0 when the points were
   * taken, else the milliseconds until `key` may try again (at least 1).
   */
  async take(key: string, points = 1): Promise<number> {
    try {
      await this.counter.consume(key, points);
      return 0;
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, error.msBeforeNext);
      throw error;
    }
  }

  /**
   * Gives back points taken by `consume`, for work that should not count. Never below zero and
   * never into a later window (an expired counter stays as it is).
   */
  async refund(key: string, points = 1): Promise<void> {
    await this.pool.query(
      `UPDATE ${TABLE} SET points = GREATEST(points - $2, 0) WHERE key = $1 AND (expire IS NULL OR expire > $3)`,
      [this.counter.getKey(key), points, Date.now()],
    );
  }

  /** Forgets `key`'s counter. */
  async reset(key: string): Promise<void> {
    await this.counter.delete(key);
  }
}

/**
 * Takes one point from each counter at once; RATE_LIMITED, with the longest wait, when any of
 * them refuses. A refused attempt still counts on every counter it was taken from.
 */
export async function consumeEach(entries: ReadonlyArray<readonly [RateLimit, string]>): Promise<void> {
  const outcomes = await Promise.allSettled(entries.map(([limit, key]) => limit.consume(key)));
  const refusals: AppError[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') continue;
    if (!(outcome.reason instanceof AppError) || outcome.reason.code !== ErrorCode.RATE_LIMITED) throw outcome.reason;
    refusals.push(outcome.reason);
  }
  const [first, ...others] = refusals;
  if (first)
    throw others.reduce((longest, next) => (retryAfterOf(next) > retryAfterOf(longest) ? next : longest), first);
}

/** A key made from personal data (an email), so `rate_limits` holds no addresses of people. */
export function hashedKey(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function rateLimited(refusal: string, msBeforeNext: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError(ErrorCode.RATE_LIMITED, `${refusal} Try again in ${retryAfterSeconds} seconds.`, {
    retryAfterSeconds,
  });
}

function retryAfterOf(error: AppError): number {
  const seconds = error.details?.['retryAfterSeconds'];
  return typeof seconds === 'number' ? seconds : 0;
}
