/**
 * How long to wait before attempt `attempt + 1` (0: after the first failure): exponential from
 * `baseMs`, capped at `maxMs`, with "equal jitter" (half fixed, half random) so that many clients
 * that failed together do not come back together. `random` is Math.random by default.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** The longest `Retry-After` honoured: a larger one is taken as this. */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * `Retry-After` in milliseconds: delay-seconds (`120`) or an HTTP date; null when absent or
 * unreadable. A date in the past is 0.
 */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(MAX_RETRY_AFTER_MS, Number(value) * 1000);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}
