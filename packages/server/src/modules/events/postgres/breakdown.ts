import { Interval } from '@tally/shared';
import { HISTOGRAM_BUCKETS, quantileFromHistogram } from '../duration-histogram';
import type { AnalyticsQuery, BreakdownData, BreakdownKey, DurationPointData, ReadGate } from '../event-store';
import { SqlParams, eventCondition } from './filter-sql';
import { type AnalyticsSql, toNumber } from './read-pool';
import { DAY_MS, HOUR_MS } from './ranges';

/**
 * The matching events of the range by one property's (or their session's attribute's) `->>`
 * text, from raw rows: PostgreSQL groups, counts and orders (`COLLATE "C"`: by bytes, null last)
 * and returns the first `limit` only.
 */
export async function breakdown(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  by: BreakdownKey,
  limit: number,
  gate?: ReadGate,
): Promise<BreakdownData[]> {
  const p = new SqlParams(query.workspaceId);
  const key = p.add(by.key, 'text');
  const value = by.kind === 'property' ? `e.properties ->> ${key}` : `s.attributes ->> ${key}`;
  const join =
    by.kind === 'property' ? '' : 'LEFT JOIN sessions s ON s.workspace_id = e.workspace_id AND s.id = e.session_id';
  const where = `e.workspace_id = $1 AND e.ts >= ${p.add(query.from, 'timestamptz')} AND e.ts < ${p.add(query.to, 'timestamptz')}
       AND ${eventCondition(query.filters, p, 'e')}`;
  const { rows } = await sql.read<{ value: string | null; events: string; errors: string; sessions: string }>(
    gate,
    `SELECT ${value} AS value, count(*) AS events, count(*) FILTER (WHERE e.status = 'error') AS errors,
            count(DISTINCT e.session_id) AS sessions
       FROM events e ${join}
      WHERE ${where}
      GROUP BY 1
      ORDER BY count(*) DESC, (${value}) COLLATE "C" ASC NULLS LAST
      LIMIT ${p.add(limit, 'int')}`,
    p.values,
  );
  return rows.map((row) => ({
    value: row.value,
    count: toNumber(row.events),
    sessions: toNumber(row.sessions),
    errors: toNumber(row.errors),
  }));
}

/** Per bucket of the range: matching events, errors and the histogram of their durations, from raw rows. */
export async function durationSeries(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  interval: Interval,
  gate?: ReadGate,
): Promise<DurationPointData[]> {
  const unit = interval === Interval.HOUR ? 'hour' : 'day';
  const step = interval === Interval.HOUR ? HOUR_MS : DAY_MS;
  const p = new SqlParams(query.workspaceId, unit);
  const { rows } = await sql.read<{ at: Date; bucket: number | null; events: string; errors: string }>(
    gate,
    `SELECT date_trunc($2, e.ts, 'UTC') AS at, e.duration_bucket AS bucket, count(*) AS events,
            count(*) FILTER (WHERE e.status = 'error') AS errors
       FROM events e
      WHERE e.workspace_id = $1 AND e.ts >= ${p.add(query.from, 'timestamptz')} AND e.ts < ${p.add(query.to, 'timestamptz')}
        AND ${eventCondition(query.filters, p, 'e')}
      GROUP BY 1, 2`,
    p.values,
  );
  const points = new Map<number, { at: Date; count: number; errors: number; histogram: number[] }>();
  for (let t = Math.floor(query.from.getTime() / step) * step; t < query.to.getTime(); t += step) {
    points.set(t, { at: new Date(t), count: 0, errors: 0, histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0) });
  }
  for (const row of rows) {
    const point = points.get(row.at.getTime());
    if (!point) continue;
    point.count += toNumber(row.events);
    point.errors += toNumber(row.errors);
    if (row.bucket !== null) point.histogram[row.bucket] = (point.histogram[row.bucket] ?? 0) + toNumber(row.events);
  }
  return [...points.values()].map((point) => ({
    at: point.at,
    count: point.count,
    errors: point.errors,
    p95DurationMs: quantileFromHistogram(point.histogram, 0.95),
  }));
}
