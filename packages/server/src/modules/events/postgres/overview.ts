import { Interval } from '@tally/shared';
import type { AnalyticsQuery, OverviewData, ReadGate, TimeRange } from '../event-store';
import { isEmptyFilter } from '../query';
import { SqlParams, eventCondition } from './filter-sql';
import { type AnalyticsSql, toNumber } from './read-pool';
import {
  DAY_MS,
  HOUR_MS,
  HOUR_ROLLUPS,
  type SignedSplit,
  eventsIn,
  inRanges,
  monthMasks,
  signOf,
  splitAroundHours,
  splitByDays,
} from './ranges';

const SESSION_DURATION_MS = `(extract(epoch FROM s.ended_at - s.started_at) * 1000)`;

/**
 * Totals and a series of a range. Unfiltered, the whole hours come from the workspace's hourly
 * totals (and the deltas not folded yet) and only the ragged ends from raw rows — or a ragged
 * end's whole hour less the rest of that hour, when that is less to read (splitAroundHours);
 * filtered, all from raw rows.
 */
export async function overview(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  interval: Interval,
  gate?: ReadGate,
): Promise<OverviewData> {
  const unit = interval === Interval.HOUR ? 'hour' : 'day';
  const split: SignedSplit = isEmptyFilter(query.filters)
    ? splitAroundHours(query, Date.now())
    : { rolled: null, raw: [query], less: [] };
  const ragged = [...split.raw, ...split.less];
  const ws = query.workspaceId;

  // Unfiltered: the workspace's hourly totals (one row an hour, however many names there are).
  const rolled = split.rolled
    ? sql.read<{ bucket: Date; events: string; errors: string; sessions: string; duration: string }>(
        gate,
        `SELECT date_trunc($2, r.hour, 'UTC') AS bucket, sum(r.events) AS events, sum(r.errors) AS errors,
                  sum(r.sessions) AS sessions, sum(r.duration_sum_ms) AS duration
             FROM ${HOUR_ROLLUPS} r WHERE r.workspace_id = $1 AND r.hour >= $3 AND r.hour < $4 GROUP BY 1`,
        [ws, unit, split.rolled.from, split.rolled.to],
      )
    : null;

  const rawEvents =
    ragged.length === 0
      ? null
      : split.rolled
        ? raggedHourEvents(sql, ws, split, unit, gate)
        : rawEventsByBucket(sql, query, unit, gate);

  const sp = new SqlParams(ws, unit);
  const sessionsWhere = (params: SqlParams, ranges: readonly TimeRange[]) =>
    `s.workspace_id = $1 AND ${inRanges('s.started_at', ranges, params)}${matchingEvent(query, params)}`;
  // Sessions started in the parts of the rollups' hours outside the range are taken away.
  const sign = signOf('s.started_at', split.less, sp);
  const rawSessions =
    ragged.length === 0
      ? null
      : sql.read<{ bucket: Date; sessions: string; duration: string | null }>(
          gate,
          `SELECT date_trunc($2, s.started_at, 'UTC') AS bucket, sum(${sign}) AS sessions,
                    sum(${sign} * ${SESSION_DURATION_MS}) AS duration
               FROM sessions s WHERE ${sessionsWhere(sp, ragged)} GROUP BY 1`,
          sp.values,
        );
  const users = distinctUsers(sql, query, sessionsWhere, gate);

  const [r, we, ws2, u] = await Promise.all([rolled, rawEvents, rawSessions, users]);
  const step = unit === 'hour' ? HOUR_MS : DAY_MS;
  const first = Math.floor(query.from.getTime() / step) * step;
  const points = new Map<number, { at: Date; sessions: number; events: number }>();
  for (let t = first; t < query.to.getTime(); t += step) points.set(t, { at: new Date(t), sessions: 0, events: 0 });
  const point = (bucket: Date) => {
    const key = bucket.getTime();
    let found = points.get(key);
    if (!found) {
      found = { at: bucket, sessions: 0, events: 0 };
      points.set(key, found);
    }
    return found;
  };
  let events = 0;
  let errors = 0;
  let sessions = 0;
  let duration = 0;
  for (const row of [...(r?.rows ?? []), ...(we?.rows ?? [])]) {
    point(row.bucket).events += toNumber(row.events);
    events += toNumber(row.events);
    errors += toNumber(row.errors);
  }
  for (const row of [...(r?.rows ?? []), ...(ws2?.rows ?? [])]) {
    point(row.bucket).sessions += toNumber(row.sessions);
    sessions += toNumber(row.sessions);
    duration += toNumber(row.duration);
  }
  return {
    sessions,
    events,
    errors,
    users: toNumber(u.rows[0]?.users),
    avgSessionDurationMs: sessions > 0 ? duration / sessions : null,
    series: [...points.values()].sort((a, b) => a.at.getTime() - b.at.getTime()),
  };
}

/** Events and errors per bucket from raw rows alone: a filtered range, or one without a whole hour. */
function rawEventsByBucket(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  unit: 'hour' | 'day',
  gate: ReadGate | undefined,
): Promise<{ rows: Array<{ bucket: Date; events: string; errors: string }> }> {
  const p = new SqlParams(query.workspaceId, unit);
  return sql.read(
    gate,
    `SELECT date_trunc($2, e.ts, 'UTC') AS bucket, count(*) AS events,
              count(*) FILTER (WHERE e.status = 'error') AS errors
         FROM ${eventsIn([query], p)} AS e
        WHERE ${eventCondition(query.filters, p, 'e')}
        GROUP BY 1`,
    p.values,
  );
}

/**
 * The events and errors of an unfiltered range's ragged ends, each inside one hour (splitByHours)
 * and so inside one bucket of either unit: a count per end, its bucket known beforehand; those of
 * `less` (the rest of a rollup hour that stands for a ragged end) negative. Grouping
 * the rows by `date_trunc(…, 'UTC')` instead converted every row's time zone, most of the
 * statement's time (8.7 against 2.7 ms for the 10 k rows of an hour in 10 M events). Read by index
 * (AnalyticsSql.readByIndex).
 */
async function raggedHourEvents(
  sql: AnalyticsSql,
  workspaceId: string,
  split: SignedSplit,
  unit: 'hour' | 'day',
  gate: ReadGate | undefined,
): Promise<{ rows: Array<{ bucket: Date; events: number; errors: number }> }> {
  const p = new SqlParams(workspaceId);
  const ragged = [...split.raw, ...split.less];
  const parts = ragged.map(
    (r, i) =>
      `SELECT ${i} AS part, count(*) AS events, count(*) FILTER (WHERE status = 'error') AS errors
         FROM events WHERE workspace_id = $1 AND ts >= ${p.add(r.from, 'timestamptz')} AND ts < ${p.add(r.to, 'timestamptz')}`,
  );
  const { rows } = await sql.readByIndex<{ part: number; events: string; errors: string }>(
    gate,
    parts.join(' UNION ALL '),
    p.values,
  );
  const step = unit === 'hour' ? HOUR_MS : DAY_MS;
  return {
    rows: rows.flatMap(({ part, events, errors }) => {
      const range = ragged[part];
      const sign = part < split.raw.length ? 1 : -1;
      return range
        ? [
            {
              bucket: new Date(Math.floor(range.from.getTime() / step) * step),
              events: sign * toNumber(events),
              errors: sign * toNumber(errors),
            },
          ]
        : [];
    }),
  };
}

/**
 * Distinct users of the sessions that started in the range (and, when filtered, had a matching
 * event there). Unfiltered, whole UTC days come from `user_days_monthly` (one row per user and
 * month, its day mask tested against the range's days) and only the ragged ends from the
 * sessions themselves; a UNION counts each user once.
 */
function distinctUsers(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  sessionsWhere: (params: SqlParams, ranges: readonly TimeRange[]) => string,
  gate: ReadGate | undefined,
): Promise<{ rows: Array<{ users: string }> }> {
  const p = new SqlParams(query.workspaceId);
  const days = isEmptyFilter(query.filters) ? splitByDays(query) : null;
  if (!days?.daily) {
    return sql.read<{ users: string }>(
      gate,
      // DISTINCT in a subquery is hashed; count(DISTINCT …) would sort (≈ 4× slower here).
      `SELECT count(*) AS users FROM (SELECT DISTINCT s.user_id FROM sessions s
           WHERE ${sessionsWhere(p, [query])} AND s.user_id IS NOT NULL) AS u`,
      p.values,
    );
  }
  const months = monthMasks(days.daily).map(
    ({ month, mask }) => `(u.month = ${p.add(month, 'date')} AND u.days & ${p.add(mask, 'bigint')} <> 0)`,
  );
  return sql.read<{ users: string }>(
    gate,
    `SELECT count(*) AS users FROM (
         SELECT u.user_id FROM user_days_monthly u WHERE u.workspace_id = $1 AND (${months.join(' OR ')})
         UNION
         SELECT s.user_id FROM sessions s
          WHERE s.workspace_id = $1 AND ${inRanges('s.started_at', days.hourly, p)} AND s.user_id IS NOT NULL
       ) AS x`,
    p.values,
  );
}

/** ` AND` a matching event of the session in the range, when the query is filtered. */
export function matchingEvent(query: AnalyticsQuery, params: SqlParams): string {
  if (isEmptyFilter(query.filters)) return '';
  return ` AND EXISTS (SELECT 1 FROM events e
       WHERE e.workspace_id = s.workspace_id AND e.session_id = s.id
         AND e.ts >= ${params.add(query.from, 'timestamptz')} AND e.ts < ${params.add(query.to, 'timestamptz')}
         AND ${eventCondition(query.filters, params, 'e')})`;
}
