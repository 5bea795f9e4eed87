import pLimit from 'p-limit';
import type { Principal } from '../../auth/principal';
import type { AuthContext } from '../../auth/context';
import type { ReadGate } from '../events/event-store';
import type { BatchedRateLimit } from '../../platform/rate-limits/batched-rate-limit';

/**
 * One GraphQL request's analytics reads (made on first use, in the request's context):
 * - `gate` lets at most `queriesPerRequest` of its statements run at a time, however many fields
 *   and aliases it asks for, so one request never holds more than that many connections of the
 *   analytics pool;
 * - `count` takes one point per analytics field from its caller's per-minute limit (an API key
 *   or a user), the ingest's batched limit, before the field's statements run.
 */
export class AnalyticsReads {
  readonly gate: ReadGate;

  constructor(
    queriesPerRequest: number,
    private readonly limit: BatchedRateLimit | null,
    private readonly caller: string | null,
    /** The caller's own points per minute (an API key's own limit); the limit's default otherwise. */
    private readonly callerLimit?: number,
  ) {
    const slots = pLimit(queriesPerRequest);
    this.gate = (read) => slots(read);
  }

  /** Takes the point of one analytics field; RATE_LIMITED (with retryAfterSeconds) over the limit. */
  count(): Promise<void> {
    return this.limit && this.caller !== null
      ? this.limit.consume(this.caller, 1, this.callerLimit)
      : Promise.resolve();
  }
}

/** The key an analytics limit counts under: the API key, or the person (null: anonymous). */
export function analyticsCaller(principal: Principal | null): string | null {
  if (!principal) return null;
  return principal.kind === 'apiKey' ? `key:${principal.apiKeyId}` : `user:${principal.userId}`;
}

/** What the analytics resolvers need from a request: the caller and its analytics reads. */
export interface AnalyticsContext extends AuthContext {
  /** This request's analytics limiter and per-caller query count, created on first use. */
  analyticsReads: AnalyticsReads;
}
