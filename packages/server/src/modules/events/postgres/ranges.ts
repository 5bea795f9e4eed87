import type { TimeRange } from '../event-store';
import type { SqlParams } from './filter-sql';

import {
  DAY_MS,
  HOUR_MS,
  type SignedSplit,
  type Split,
  splitAroundHours,
  splitByDays,
  splitByHours,
} from '../time-range';

export { DAY_MS, HOUR_MS, type SignedSplit, type Split, splitAroundHours, splitByDays, splitByHours };

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

/**
 * The workspace's (`$1`) events within any of `ranges`, as a relation to select from: one branch
 * of a UNION ALL per range, each an index range on `(workspace_id, ts)` of only the partitions it
 * can touch. One condition `(ts in a) OR (ts in b)` let the planner, on a partition whose
 * statistics still said it was nearly empty (right after a load), read every event of the
 * workspace in that partition and filter on `ts` (65 ms for two ragged hours of a 1 M-event
 * workspace, on every dashboard request until the partition was analyzed). The ranges are
 * disjoint, so no event is read twice.
 */
export function eventsIn(ranges: readonly TimeRange[], params: SqlParams): string {
  if (ranges.length === 0) return '(SELECT * FROM events WHERE FALSE)';
  return `(${ranges
    .map(
      (r) =>
        `SELECT * FROM events WHERE workspace_id = $1 AND ts >= ${params.add(r.from, 'timestamptz')} AND ts < ${params.add(r.to, 'timestamptz')}`,
    )
    .join(' UNION ALL ')})`;
}

/**
 * eventsIn for a SignedSplit's raw parts: the events of `raw` with `sign` 1 and those of `less`
 * (to be taken away from the rollups' hours) with `sign` -1.
 */
export function signedEventsIn(raw: readonly TimeRange[], less: readonly TimeRange[], params: SqlParams): string {
  const branches = [...raw.map((r) => ({ r, sign: 1 })), ...less.map((r) => ({ r, sign: -1 }))];
  if (branches.length === 0) return '(SELECT *, 1 AS sign FROM events WHERE FALSE)';
  return `(${branches
    .map(
      ({ r, sign }) =>
        `SELECT *, ${sign} AS sign FROM events WHERE workspace_id = $1 AND ts >= ${params.add(r.from, 'timestamptz')} AND ts < ${params.add(r.to, 'timestamptz')}`,
    )
    .join(' UNION ALL ')})`;
}

/** 1, or -1 where `column` lies within any of `less` (for rows chosen from raw and less ranges). */
export function signOf(column: string, less: readonly TimeRange[], params: SqlParams): string {
  return less.length === 0 ? '1' : `CASE WHEN ${inRanges(column, less, params)} THEN -1 ELSE 1 END`;
}

/**
 * The lengths in hours of `event_rollup_blocks`' blocks (migration 0011), longest first: 4 and 8
 * hours (inside a UTC day, since 8 divides 24) and 2, 4, 8, 16 and 32 days. A block of n hours
 * starts a multiple of n hours after 1970-01-01 UTC. No 2-hour blocks: they were nearly half of
 * what the fold writes into this table, for at most one row per name and end of a range less.
 */
export const ROLLUP_BLOCK_HOURS = [768, 384, 192, 96, 48, 8, 4] as const;

/** Every length a range is cut into: the blocks, a day (the daily rollups), an hour (the hourly ones). */
const BLOCK_LENGTHS = [768, 384, 192, 96, 48, 24, 8, 4, 1] as const;

/**
 * An hour-aligned range as the fewest aligned blocks, longest that fit first (a block of n hours
 * starts a multiple of n hours after 1970-01-01 UTC): blocks of an hour are the hourly rollups'
 * rows, of a day the daily ones', the others `event_rollup_blocks`' rows. Any range of 30 days is
 * at most 15 blocks (at most 6 for the hours before its first midnight, 6 after its last, 8 for
 * the days between, not all at once); 30 whole days at most 8.
 */
export function rollupBlocks(range: TimeRange): Array<{ hours: number; start: Date }> {
  const blocks: Array<{ hours: number; start: Date }> = [];
  const end = Math.floor(range.to.getTime() / HOUR_MS);
  for (let hour = Math.ceil(range.from.getTime() / HOUR_MS); hour < end;) {
    const hours = BLOCK_LENGTHS.find((n) => hour % n === 0 && hour + n <= end) ?? 1;
    blocks.push({ hours, start: new Date(hour * HOUR_MS) });
    hour += hours;
  }
  return blocks;
}

/**
 * The parts (for a UNION ALL) that read `columns` of the event rollups of an hour-aligned range,
 * one row per name and block (rollupBlocks): single hours from `event_rollups_hourly`, single days
 * from `event_rollups_daily` (its `day` as `hour`), the other blocks from `event_rollup_blocks`,
 * and for the whole range the ingest's deltas not folded yet (compaction.ts) — in one snapshot,
 * so a fold never changes an answer. Each block is a part of its own whose key columns are all
 * equalities (`workspace_id` ($1), length, start), so it is one index range whatever the
 * statistics say: right after an import or the migration they say the tables are empty, and an
 * `= ANY` of starts was then left out of the index condition (a scan of every block of that
 * length), an `OR` of ranges became a scan of the workspace. `where` (on alias `r`)
 * applies to the rollups' parts; `deltas` gives the deltas' part its own columns and condition
 * (their histograms are sparse).
 */
export function rollupParts(
  p: SqlParams,
  rolled: TimeRange,
  columns: string,
  where: string,
  deltas: { columns: string; where: string },
): string[] {
  const parts: string[] = [];
  for (const { hours, start } of rollupBlocks(rolled)) {
    const at = p.add(start, 'timestamptz');
    if (hours === 1) {
      parts.push(
        `SELECT ${columns} FROM event_rollups_hourly r WHERE r.workspace_id = $1 AND r.hour = ${at} AND ${where}`,
      );
    } else if (hours === 24) {
      parts.push(
        `SELECT ${columns} FROM event_rollups_daily r WHERE r.workspace_id = $1 AND r.day = ${at} AND ${where}`,
      );
    } else {
      parts.push(`SELECT ${columns} FROM event_rollup_blocks r
         WHERE r.workspace_id = $1 AND r.hours = ${p.add(hours, 'smallint')} AND r.start = ${at} AND ${where}`);
    }
  }
  parts.push(`SELECT ${deltas.columns} FROM event_rollup_deltas r
     WHERE r.workspace_id = $1 AND r.hour >= ${p.add(rolled.from, 'timestamptz')} AND r.hour < ${p.add(rolled.to, 'timestamptz')}
       AND ${deltas.where}`);
  return parts;
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
