import { Interval } from '@tally/shared';
import { HISTOGRAM_BUCKETS, quantileFromHistogram } from '../duration-histogram';
import type { AnalyticsQuery, OverviewData, ReadGate, UsageData } from '../event-store';
import { isEmptyFilter, rollupsCanAnswer } from '../query';
import { ChParams, type ChReads, type Tables, eventCondition, nameTypeCondition, num } from './sql';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The range and the filters as a condition on `events`. */
function matchingEvents(query: AnalyticsQuery, p: ChParams): string {
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

/** Totals and the series of a range: events from `events`, sessions from `session_stats`. */
export async function overview(
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
  const points = new Map<number, { at: Date; sessions: number; events: number }>();
  for (let at = Math.floor(query.from.getTime() / step) * step; at < query.to.getTime(); at += step) {
    points.set(at, { at: new Date(at), sessions: 0, events: 0 });
  }
  let events = 0;
  let errors = 0;
  for (const row of eventRows) {
    const point = points.get(num(row.bucket) * step);
    if (point) point.events += num(row.events);
    events += num(row.events);
    errors += num(row.errors);
  }
  let sessions = 0;
  let duration = 0;
  for (const row of sessionRows) {
    const point = points.get(num(row.bucket) * step);
    if (point) point.sessions += num(row.sessions);
    sessions += num(row.sessions);
    duration += num(row.duration);
  }
  return {
    sessions,
    events,
    users: num(userRows[0]?.users),
    errors,
    avgSessionDurationMs: sessions > 0 ? duration / sessions : null,
    series: [...points.values()],
  };
}

/**
 * Per event name and type: count, errors, average and p95 duration (from the shared log-scale
 * histogram, duration-histogram.ts, so p95 means the same on every engine), and the sessions that
 * first used the name in the range (`name_sessions`), with a matching event there. Durations are
 * summed as decimals: a float sum depends on the order ClickHouse's threads add in, and the same
 * question must get the same answer twice.
 */
export async function toolsUsage(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  limit: number,
  gate?: ReadGate,
): Promise<UsageData[]> {
  const cp = new ChParams();
  const countsSql = `SELECT name, type, count() AS events, countIf(status = 'error') AS errors,
                            toString(sum(toDecimal128(duration_ms, 12))) AS dsum, count(duration_ms) AS dcount,
                            sumMapIf([assumeNotNull(duration_bucket)], [toUInt64(1)], duration_bucket IS NOT NULL) AS histogram
                       FROM ${t.events} WHERE ${matchingEvents(query, cp)} GROUP BY name, type`;
  const np = new ChParams();
  // With only name/type filters, a first use in the range is itself a matching event there.
  const withMatch = rollupsCanAnswer(query.filters)
    ? `AND ${nameTypeCondition(query.filters, np)}`
    : `AND (name, type, session_id) IN (SELECT name, type, session_id FROM ${t.events} WHERE ${matchingEvents(query, np)})`;
  const sessionsSql = `SELECT name, type, count() AS sessions FROM (
                         SELECT name, type, session_id, toUnixTimestamp64Milli(min(first_at)) AS first
                           FROM ${t.nameSessions}
                          WHERE workspace_id = ${np.add(query.workspaceId, 'UUID')} ${withMatch}
                          GROUP BY name, type, session_id
                         HAVING first >= ${np.add(query.from.getTime(), 'Int64')} AND first < ${np.add(query.to.getTime(), 'Int64')})
                        GROUP BY name, type`;
  type Counts = {
    name: string;
    type: string;
    events: string;
    errors: string;
    dsum: string | null;
    dcount: string;
    histogram: [number[], Array<string | number>];
  };
  const [counts, sessionRows] = await Promise.all([
    reads.rows<Counts>(gate, countsSql, cp),
    reads.rows<{ name: string; type: string; sessions: string }>(gate, sessionsSql, np),
  ]);
  const sessions = new Map(sessionRows.map((r) => [`${r.name}\u0000${r.type}`, num(r.sessions)]));
  const rows = counts.map((row): UsageData => {
    const histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    const [buckets, bucketCounts] = row.histogram;
    buckets.forEach((bucket, i) => {
      histogram[bucket] = num(bucketCounts[i]);
    });
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
  rows.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
  return rows.slice(0, limit);
}
