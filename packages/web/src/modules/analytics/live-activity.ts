import type { AnalyticsEventFieldsFragment } from '../../graphql/generated';

/** How often live mode asks for new events while the tab is visible. */
export const LIVE_POLL_MS = 3_000;
/** Events live mode keeps on screen: the newest ones. */
export const LIVE_MAX_EVENTS = 100;
/** How far back live mode looks while it shows nothing yet. */
export const LIVE_START_MS = 24 * 3600_000;
/** Events may carry times a little ahead (SDK clocks); the range reaches this far past now. */
const AHEAD_MS = 24 * 3600_000;

type LiveEvent = AnalyticsEventFieldsFragment;

/** Newest first, as the server sorts them: time, then id, both descending. */
function newestFirst(a: LiveEvent, b: LiveEvent): number {
  const byTime = Date.parse(b.timestamp) - Date.parse(a.timestamp);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * The range of the next live request: from the newest event shown (its own time included, as
 * another event may share it; `mergeLive` drops what is already there), or the last day while
 * nothing is shown. Only what is newer is fetched, never the whole list again.
 */
export function liveRange(shown: readonly LiveEvent[], now: number): { from: string; to: string } {
  const newest = shown[0];
  const from = newest ? Date.parse(newest.timestamp) : now - LIVE_START_MS;
  return { from: new Date(from).toISOString(), to: new Date(Math.max(now, from) + AHEAD_MS).toISOString() };
}

/** The last minute before `now`. */
export function lastMinuteRange(now: number): { from: string; to: string } {
  return { from: new Date(now - 60_000).toISOString(), to: new Date(now + 1).toISOString() };
}

/** New events on top of those shown, each once, newest first, at most LIVE_MAX_EVENTS. */
export function mergeLive(shown: readonly LiveEvent[], arrived: readonly LiveEvent[]): LiveEvent[] {
  const known = new Set(shown.map((e) => e.id));
  const fresh = arrived.filter((e) => !known.has(e.id));
  if (fresh.length === 0) return [...shown];
  return [...fresh, ...shown].sort(newestFirst).slice(0, LIVE_MAX_EVENTS);
}
