import { Interval } from '@tally/shared';
import { HISTOGRAM_BUCKETS, quantileFromHistogram } from '../duration-histogram';
import type { AnalyticsQuery, OverviewData, ReadGate, UsageData } from '../event-store';
import type { TimeRange } from '../event-store';
import { isEmptyFilter, rollupsCanAnswer } from '../query';
import { DAY_MS, HOUR_MS, splitByDays, splitByHours } from '../time-range';
import { ChParams, type ChReads, type Tables, eventCondition, nameTypeCondition, num } from './sql';

/** `column` in any of the ranges (none: false). */
function inRanges(column: string, ranges: readonly TimeRange[], p: ChParams): string {
  if (ranges.length === 0) return '0';
  return `(${ranges.map((r) => `(${column} >= ${p.time(r.from)} AND ${column} < ${p.time(r.to)})`).join(' OR ')})`;
}

/** An answer's rows by series bucket, totals alongside. */
function series(query: AnalyticsQuery, step: number) {
  const points = new Map<number, { at: Date; sessions: number; events: number }>();
  for (let at = Math.floor(query.from.getTime() / step) * step; at < query.to.getTime(); at += step) {
    points.set(at, { at: new Date(at), sessions: 0, events: 0 });
  }
  return points;
}

/** The range and the filters as a condition on `events`. */
export function matchingEvents(query: AnalyticsQuery, p: ChParams): string {
  return `workspace_id = ${p.add(query.workspaceId, 'UUID')} AND ts >= ${p.time(query.from)} AND ts < ${p.time(query.to)}
          AND ${eventCondition(query.filters, p)}`;
}

/**
 * The sessions started in the range (with a matching event in it, when filtered), from
 * `session_stats`, as (session_id, started, ended) in milliseconds.
 */
export function sessionsInRange(t: Tables, query: AnalyticsQuery, p: ChParams): string {
  const ws = p.add(query.workspaceId, 'UUID');
  const matching = isEmptyFilter(query.filters)
    ? ''
    : `AND session_id IN (SELECT session_id FROM ${t.events} WHERE ${matchingEvents(query, p)})`;
  return `SELECT session_id, toUnixTimestamp64Milli(min(started_at)) AS started,
                 toUnixTimestamp64Milli(max(ended_at)) AS ended,
                 sum(event_count) AS event_count, sum(error_count) AS error_count
            FROM ${t.sessionStats}
           WHERE workspace_id = ${ws} ${matching}
           GROUP BY session_id
          HAVING started >= ${p.add(query.from.getTime(), 'Int64')} AND started < ${p.add(query.to.getTime(), 'Int64')}`;
}

/**
 * Totals and the series of a range. Unfiltered, from the rollups (rollup-deltas.ts, and the
 * `event_hours` view) with the ragged ends from raw rows; filtered, from raw rows.
 */
export function overview(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  interval: Interval,
  gate?: ReadGate,
): Promise<OverviewData> {
  return isEmptyFilter(query.filters)
    ? overviewRolled(reads, t, query, interval, gate)
    : overviewRaw(reads, t, query, interval, gate);
}

/** Filtered: events from `events`, sessions from `session_stats` with a matching event. */
async function overviewRaw(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  interval: Interval,
  gate?: ReadGate,
): Promise<OverviewData> {
  const step = interval === Interval.HOUR ? HOUR_MS : DAY_MS;
  const ep = new ChParams();
  const eventsSql = `SELECT intDiv(toUnixTimestamp64Milli(ts), ${ep.add(step, 'Int64')}) AS bucket,
                            count() AS events, countIf(status = 'error') AS errors
                       FROM ${t.events} WHERE ${matchingEvents(query, ep)} GROUP BY bucket`;
  const sp = new ChParams();
  const sessionsSql = `SELECT intDiv(started, ${sp.add(step, 'Int64')}) AS bucket, count() AS sessions,
                              sum(ended - started) AS duration
                         FROM (${sessionsInRange(t, query, sp)}) GROUP BY bucket`;
  const up = new ChParams();
  const usersSql = `SELECT uniqExact(u) AS users FROM (
                      SELECT argMax(user_id, seq) AS u FROM ${t.sessionUpdates}
                       WHERE workspace_id = ${up.add(query.workspaceId, 'UUID')} AND user_id IS NOT NULL
                         AND session_id IN (SELECT session_id FROM (${sessionsInRange(t, query, up)}))
                       GROUP BY session_id)`;
  type EventRow = { bucket: string; events: string; errors: string };
  type SessionRow = { bucket: string; sessions: string; duration: string };
  const [eventRows, sessionRows, userRows] = await Promise.all([
    reads.rows<EventRow>(gate, eventsSql, ep),
    reads.rows<SessionRow>(gate, sessionsSql, sp),
    reads.rows<{ users: string }>(gate, usersSql, up),
  ]);
  return overviewOf(query, step, [
    ...eventRows.map((r): OverviewRow => ({ k: 'e', bucket: r.bucket, n: r.events, m: r.errors })),
    ...sessionRows.map((r): OverviewRow => ({ k: 's', bucket: r.bucket, n: r.sessions, m: r.duration })),
    { k: 'u', bucket: '0', n: userRows[0]?.users ?? '0', m: '0' },
  ]);
}

/**
 * Per event name and type: count, errors, average and p95 duration (from the shared log-scale
 * histogram, duration-histogram.ts, so p95 means the same on every engine), and the sessions that
 * first used the name in the range (the rollups, or `session_names` when filtered by user or
 * property), with a matching event there. Durations are
 * summed as decimals: a float sum depends on the order ClickHouse's threads add in, and the same
 * question must get the same answer twice.
 */
export function toolsUsage(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  limit: number,
  gate?: ReadGate,
): Promise<UsageData[]> {
  return rollupsCanAnswer(query.filters)
    ? toolsUsageRolled(reads, t, query, limit, gate)
    : toolsUsageRaw(reads, t, query, limit, gate);
}

/** Filtered by user or property: from raw rows, first uses from `session_names`. */
async function toolsUsageRaw(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  limit: number,
  gate?: ReadGate,
): Promise<UsageData[]> {
  const cp = new ChParams();
  const countsSql = `SELECT name, type, count() AS events, countIf(status = 'error') AS errors,
                            toString(sum(toDecimal128(duration_ms, 12))) AS dsum, count(duration_ms) AS dcount,
                            sumMapIf(map(assumeNotNull(duration_bucket), toUInt64(1)), duration_bucket IS NOT NULL) AS histogram
                       FROM ${t.events} WHERE ${matchingEvents(query, cp)} GROUP BY name, type`;
  const np = new ChParams();
  const withMatch = `AND (name, type, session_id) IN (SELECT name, type, session_id FROM ${t.events} WHERE ${matchingEvents(query, np)})`;
  const sessionsSql = `SELECT name, type, count() AS sessions FROM (
                         SELECT name, type, session_id, toUnixTimestamp64Milli(min(first_at)) AS first
                           FROM ${t.sessionNames}
                          WHERE workspace_id = ${np.add(query.workspaceId, 'UUID')} ${withMatch}
                          GROUP BY name, type, session_id
                         HAVING first >= ${np.add(query.from.getTime(), 'Int64')} AND first < ${np.add(query.to.getTime(), 'Int64')})
                        GROUP BY name, type`;
  const [counts, sessionRows] = await Promise.all([
    reads.rows<UsageCounts>(gate, countsSql, cp),
    reads.rows<{ name: string; type: string; sessions: string }>(gate, sessionsSql, np),
  ]);
  const rows = usageRows(counts, sessionRows);
  return topUsage(rows, limit);
}

/** Per name and type, as both paths read them: counts, the duration sum as text, the histogram. */
type UsageCounts = {
  name: string;
  type: string;
  events: string;
  errors: string;
  dsum: string | null;
  dcount: string;
  histogram: Record<string, string | number>;
};

/** The columns of `UsageCounts` from raw `events` rows (as `event_hours` holds them). */
const RAW_USAGE_COLUMNS = `count() AS ev, countIf(status = 'error') AS er,
  sumIf(toDecimal128(assumeNotNull(duration_ms), 12), duration_ms IS NOT NULL) AS ds,
  count(duration_ms) AS dc,
  sumMapIf(map(assumeNotNull(duration_bucket), toUInt64(1)), duration_bucket IS NOT NULL) AS hi`;

function usageRows(counts: UsageCounts[], sessionRows: Array<{ name: string; type: string; sessions: string }>) {
  const sessions = new Map(sessionRows.map((r) => [`${r.name}\u0000${r.type}`, num(r.sessions)]));
  return counts.map((row): UsageData => {
    const histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    for (const [bucket, count] of Object.entries(row.histogram)) histogram[Number(bucket)] = num(count);
    const dcount = num(row.dcount);
    return {
      name: row.name,
      type: row.type,
      count: num(row.events),
      sessions: sessions.get(`${row.name}\u0000${row.type}`) ?? 0,
      errors: num(row.errors),
      avgDurationMs: dcount > 0 ? Number(row.dsum) / dcount : null,
      p95DurationMs: quantileFromHistogram(histogram, 0.95),
    };
  });
}

function topUsage(rows: UsageData[], limit: number): UsageData[] {
  rows.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
  return rows.slice(0, limit);
}

/**
 * Unfiltered: whole hours from `event_hours` (sessions from the `session_hour` deltas), the
 * ragged ends from `events` (sessions from `session_start`: each session at its exact start);
 * distinct users from `user_month` for whole days and from `session_start` for the hours around
 * them. One statement, reading rows in proportion to hours and users, not events.
 */
async function overviewRolled(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  interval: Interval,
  gate?: ReadGate,
): Promise<OverviewData> {
  const step = interval === Interval.HOUR ? HOUR_MS : DAY_MS;
  const split = splitByHours(query);
  const ep = new ChParams();
  const ws = ep.add(query.workspaceId, 'UUID');
  const eventParts: string[] = [];
  const bucket = (ms: string) => `intDiv(${ms}, ${ep.add(step, 'Int64')})`;
  if (split.rolled) {
    eventParts.push(`SELECT 'e' AS k, ${bucket('toUnixTimestamp(hour) * 1000')} AS bucket, toInt64(sum(events)) AS n, toInt64(sum(errors)) AS m
                       FROM ${t.eventHours}
                      WHERE workspace_id = ${ws} AND hour >= ${ep.time(split.rolled.from)} AND hour < ${ep.time(split.rolled.to)}
                      GROUP BY bucket`);
    eventParts.push(`SELECT 's' AS k, ${bucket('toUnixTimestamp64Milli(at)')} AS bucket, toInt64(sum(sessions)) AS n, toInt64(sum(duration_ms)) AS m
                       FROM ${t.rollupDeltas}
                      WHERE workspace_id = ${ws} AND kind = 'session_hour'
                        AND at >= ${ep.time(split.rolled.from)} AND at < ${ep.time(split.rolled.to)}
                      GROUP BY bucket`);
  }
  if (split.raw.length > 0) {
    eventParts.push(`SELECT 'e' AS k, ${bucket('toUnixTimestamp64Milli(ts)')} AS bucket, toInt64(count()) AS n, toInt64(countIf(status = 'error')) AS m
                       FROM ${t.events} WHERE workspace_id = ${ws} AND ${inRanges('ts', split.raw, ep)}
                      GROUP BY bucket`);
    eventParts.push(`SELECT 's' AS k, ${bucket('toUnixTimestamp64Milli(at)')} AS bucket, toInt64(count()) AS n, toInt64(sum(duration_ms)) AS m
                       FROM ${t.rollupDeltas} FINAL
                      WHERE workspace_id = ${ws} AND kind = 'session_start' AND ${inRanges('at', split.raw, ep)} AND sessions > 0
                      GROUP BY bucket`);
  }
  const days = splitByDays(query);
  const userParts: string[] = [];
  if (days.daily) {
    const monthStart = new Date(Date.UTC(days.daily.from.getUTCFullYear(), days.daily.from.getUTCMonth(), 1));
    // A user counts when a day of the range has a session of theirs: per month, the days'
    // session counts (never below zero once summed) tested against the range's days.
    userParts.push(`SELECT user_id FROM ${t.rollupDeltas} FINAL
                     WHERE workspace_id = ${ws} AND kind = 'user_month'
                       AND at >= ${ep.time(monthStart)} AND at < ${ep.time(days.daily.to)}
                       AND arrayExists((d, c) -> c > 0
                             AND toUnixTimestamp64Milli(at) + (d - 1) * 86400000 >= ${ep.add(days.daily.from.getTime(), 'Int64')}
                             AND toUnixTimestamp64Milli(at) + (d - 1) * 86400000 < ${ep.add(days.daily.to.getTime(), 'Int64')},
                           mapKeys(days), mapValues(days))`);
  }
  if (days.hourly.length > 0) {
    userParts.push(`SELECT user_id FROM ${t.rollupDeltas} FINAL
                     WHERE workspace_id = ${ws} AND kind = 'session_start' AND ${inRanges('at', days.hourly, ep)}
                       AND sessions > 0 AND user_id != ''`);
  }
  // One statement: on chdb each costs a turn of the engine, whatever it reads.
  eventParts.push(`SELECT 'u' AS k, toInt64(0) AS bucket, toInt64(uniqExact(user_id)) AS n, toInt64(0) AS m
                     FROM (${userParts.join('\nUNION ALL\n')})`);
  return overviewOf(query, step, await reads.rows<OverviewRow>(gate, eventParts.join('\nUNION ALL\n'), ep));
}

/** A row of Overview's answer: events and errors ('e'), sessions and duration ('s') per bucket, users ('u'). */
type OverviewRow = { k: 'e' | 's' | 'u'; bucket: string; n: string; m: string };

/** Totals and the series of a range from its rows, whichever path read them. */
function overviewOf(query: AnalyticsQuery, step: number, rows: readonly OverviewRow[]): OverviewData {
  const points = series(query, step);
  let [events, errors, sessions, duration, users] = [0, 0, 0, 0, 0];
  for (const row of rows) {
    const point = points.get(num(row.bucket) * step);
    if (row.k === 'u') users = num(row.n);
    else if (row.k === 'e') {
      if (point) point.events += num(row.n);
      events += num(row.n);
      errors += num(row.m);
    } else {
      if (point) point.sessions += num(row.n);
      sessions += num(row.n);
      duration += num(row.m);
    }
  }
  return {
    sessions,
    events,
    users,
    errors,
    avgSessionDurationMs: sessions > 0 ? duration / sessions : null,
    series: [...points.values()],
  };
}

/**
 * Unfiltered or by name and type only: whole hours from `event_hours` and the `first_hour`
 * deltas, the ragged ends from `events` and the `first_at` deltas (a first use in the range is
 * itself an event there, so name and type filters apply to the rollups as they are).
 */
async function toolsUsageRolled(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  limit: number,
  gate?: ReadGate,
): Promise<UsageData[]> {
  const split = splitByHours(query);
  const cp = new ChParams();
  const ws = cp.add(query.workspaceId, 'UUID');
  const nameType = nameTypeCondition(query.filters, cp);
  const countParts: string[] = [];
  const firstParts: string[] = [];
  if (split.rolled) {
    countParts.push(`SELECT name, type, events AS ev, errors AS er, duration_sum AS ds, duration_count AS dc, histogram AS hi
                       FROM ${t.eventHours}
                      WHERE workspace_id = ${ws} AND hour >= ${cp.time(split.rolled.from)} AND hour < ${cp.time(split.rolled.to)}
                        AND ${nameType}`);
    firstParts.push(`SELECT name, type, sessions AS s FROM ${t.rollupDeltas}
                      WHERE workspace_id = ${ws} AND kind = 'first_hour'
                        AND at >= ${cp.time(split.rolled.from)} AND at < ${cp.time(split.rolled.to)} AND ${nameType}`);
  }
  if (split.raw.length > 0) {
    countParts.push(`SELECT name, type, ${RAW_USAGE_COLUMNS} FROM ${t.events}
                      WHERE workspace_id = ${ws} AND ${inRanges('ts', split.raw, cp)} AND ${nameType}
                      GROUP BY name, type`);
    firstParts.push(`SELECT name, type, sessions AS s FROM ${t.rollupDeltas} FINAL
                      WHERE workspace_id = ${ws} AND kind = 'first_at' AND ${inRanges('at', split.raw, cp)} AND ${nameType}
                        AND sessions > 0`);
  }
  // Sums of deltas are never below zero (each -1 follows its +1 at the same key): UInt64 is safe.
  const sql = `SELECT 'c' AS k, name, type, sum(ev) AS events, sum(er) AS errors,
                      toString(sum(ds)) AS dsum, sum(dc) AS dcount, sumMap(hi) AS histogram
                 FROM (${countParts.join('\nUNION ALL\n')}) GROUP BY name, type
               UNION ALL
               SELECT 'f' AS k, name, type, toUInt64(sum(s)) AS events, toUInt64(0) AS errors, '' AS dsum, toUInt64(0) AS dcount,
                      CAST(map() AS Map(UInt8, UInt64)) AS histogram
                 FROM (${firstParts.join('\nUNION ALL\n')}) GROUP BY name, type`;
  type Row = UsageCounts & { k: 'c' | 'f' };
  const rows = await reads.rows<Row>(gate, sql, cp);
  const counts = rows.filter((r) => r.k === 'c');
  const firsts = rows.filter((r) => r.k === 'f').map((r) => ({ name: r.name, type: r.type, sessions: r.events }));
  return topUsage(usageRows(counts, firsts), limit);
}
