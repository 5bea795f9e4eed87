import type { TimeRange } from '../event-store';
import type { SqlParams } from './filter-sql';

import { DAY_MS, HOUR_MS, type Split, splitByDays, splitByHours } from '../time-range';

export { DAY_MS, HOUR_MS, type Split, splitByDays, splitByHours };

/**
 * The months (first day, `YYYY-MM-DD`) a day-aligned range touches, each with the mask of its
 * days inside the range (bit d - 1 for day d), as `user_days_monthly.days` holds them.
 */
export function monthMasks(range: TimeRange): Array<{ month: string; mask: string }> {
  const result: Array<{ month: string; mask: string }> = [];
  for (let t = range.from.getTime(); t < range.to.getTime();) {
    const at = new Date(t);
    const monthStart = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
    const monthEnd = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
    const end = Math.min(monthEnd, range.to.getTime());
    let mask = 0n;
    for (let day = t; day < end; day += DAY_MS) mask |= 1n << BigInt(new Date(day).getUTCDate() - 1);
    result.push({ month: new Date(monthStart).toISOString().slice(0, 10), mask: mask.toString() });
    t = end;
  }
  return result;
}

/** `column` within any of `ranges` (FALSE for none). */
export function inRanges(column: string, ranges: readonly TimeRange[], params: SqlParams): string {
  if (ranges.length === 0) return 'FALSE';
  return `(${ranges
    .map(
      (r) => `(${column} >= ${params.add(r.from, 'timestamptz')} AND ${column} < ${params.add(r.to, 'timestamptz')})`,
    )
    .join(' OR ')})`;
}

/** The lengths in days of `event_histogram_blocks`' blocks (migration 0010), longest first. */
export const HISTOGRAM_BLOCK_DAYS = [32, 16, 8, 4, 2] as const;

/**
 * A day-aligned range as the fewest aligned blocks (a block of n days starts a multiple of n days
 * after 1970-01-01 UTC), longest that fit first: blocks of one day are the daily rollups' rows,
 * the others `event_histogram_blocks`' rows. 30 days are at most 8 blocks.
 */
export function dayBlocks(range: TimeRange): Array<{ days: number; start: Date }> {
  const blocks: Array<{ days: number; start: Date }> = [];
  const end = Math.floor(range.to.getTime() / DAY_MS);
  for (let day = Math.ceil(range.from.getTime() / DAY_MS); day < end;) {
    const days = HISTOGRAM_BLOCK_DAYS.find((n) => day % n === 0 && day + n <= end) ?? 1;
    blocks.push({ days, start: new Date(day * DAY_MS) });
    day += days;
  }
  return blocks;
}

const EVENT_ROLLUP_COLUMNS = 'workspace_id, name, type, events, errors, duration_sum_ms, duration_count, sessions';

/**
 * The event rollups of an hour-aligned range, in one snapshot (so a fold never changes an
 * answer): whole UTC days from `event_rollups_daily` when `byDay` (its `day` as `hour`), the
 * hours around them from `event_rollups_hourly`, and for the whole range the ingest's deltas not
 * folded yet (rollup-compaction.ts). Every part is bounded by `workspace_id` ($1) and time, which
 * lead each table's key. A 30-day range reads about 30 rows per name instead of 720.
 */
export function eventRollups(p: SqlParams, rolled: TimeRange, byDay: boolean): string {
  const days = byDay ? splitByDays(rolled) : { daily: null, hourly: [rolled] };
  const parts: string[] = [];
  if (days.daily) {
    parts.push(`SELECT day AS hour, ${EVENT_ROLLUP_COLUMNS} FROM event_rollups_daily
       WHERE workspace_id = $1 AND day >= ${p.add(days.daily.from, 'timestamptz')} AND day < ${p.add(days.daily.to, 'timestamptz')}`);
  }
  // One part per range (not an OR of them): each is an index range whatever the statistics say
  // (right after an import they say the table is empty, and the OR became a scan of every hour).
  for (const hours of days.hourly) {
    parts.push(`SELECT hour, ${EVENT_ROLLUP_COLUMNS} FROM event_rollups_hourly
       WHERE workspace_id = $1 AND hour >= ${p.add(hours.from, 'timestamptz')} AND hour < ${p.add(hours.to, 'timestamptz')}`);
  }
  parts.push(`SELECT hour, ${EVENT_ROLLUP_COLUMNS} FROM event_rollup_deltas
     WHERE workspace_id = $1 AND hour >= ${p.add(rolled.from, 'timestamptz')} AND hour < ${p.add(rolled.to, 'timestamptz')}`);
  return `(${parts.join('\n UNION ALL ')})`;
}

/**
 * The workspace's totals per hour — sessions (by start hour) and their durations, events, errors —
 * plus the ingest's deltas not folded yet, likewise: one row per hour, whatever the names.
 */
export const HOUR_ROLLUPS = `(
  SELECT workspace_id, hour, sessions, duration_sum_ms, events, errors FROM session_rollups_hourly
  UNION ALL
  SELECT workspace_id, hour, sessions, duration_sum_ms, events, errors FROM session_rollup_deltas
)`;
