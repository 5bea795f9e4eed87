/**
 * What went wrong, as `onError` receives it. The tracking half never throws into the host app:
 * every problem (an event refused before it was queued, a batch Tally refused, events dropped
 * because the queue was full or retries ran out) is reported here instead.
 *
 * - `invalid_event`: `track()` was given something Tally would refuse (the event is not queued).
 * - `queue_full`: the queue was full and its oldest events were dropped (`dropped`).
 * - `rejected`: Tally refused events (HTTP 400, or 413 for one event alone): they are dropped.
 * - `unauthorized`: the key was refused (401) or lacks `events.track` (403): the batch is dropped.
 * - `retries_exhausted`: a batch failed `maxRetries + 1` times (network, 5xx, 429/503): dropped.
 * - `shutdown`: `shutdown()` ran out of time with events still unsent: they are dropped.
 * - `closed`: `track()` after `shutdown()`.
 * - `internal`: a bug in the SDK, caught so that it never reaches the app.
 */
export type TallyErrorCode =
  | 'invalid_event'
  | 'queue_full'
  | 'rejected'
  | 'unauthorized'
  | 'retries_exhausted'
  | 'shutdown'
  | 'closed'
  | 'internal';

export class TallyError extends Error {
  override readonly name = 'TallyError';
  constructor(
    readonly code: TallyErrorCode,
    message: string,
    /** Events lost with this error (0 when none were). */
    readonly dropped = 0,
    /** The HTTP status Tally answered with, when it answered. */
    readonly status?: number,
    /** Tally's per-item problems of a refused batch (`events[3].timestamp`), when it gave them. */
    readonly issues?: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(message);
  }
}

/**
 * A request of the reporting half that failed: thrown to its caller (reads are awaited, so a
 * failure belongs to the caller). `code` is Tally's `extensions.code` (`UNAUTHENTICATED`,
 * `FORBIDDEN`, `NOT_FOUND`, `BAD_USER_INPUT`, `RATE_LIMITED`, …) or `NETWORK`.
 */
export class TallyRequestError extends Error {
  override readonly name = 'TallyRequestError';
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
