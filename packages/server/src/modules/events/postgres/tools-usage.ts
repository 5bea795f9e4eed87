import { HISTOGRAM_BUCKETS, quantileFromHistogram } from '../duration-histogram';
import type { AnalyticsQuery, ReadGate, UsageData } from '../event-store';
import { rollupsCanAnswer } from '../query';
import { SqlParams, eventCondition, nameTypeCondition } from './filter-sql';
import { type AnalyticsSql, toNumber } from './read-pool';
import { type Split, eventRollups, inRanges, splitByDays, splitByHours } from './ranges';

/**
 * Per event name and type: count, first-use sessions, errors, average and p95 duration (from the
 * log-scale histogram, duration-histogram.ts). Name/type filters (or none) are answered from the
 * rollups for whole hours; user and property filters from raw rows.
 */
export async function toolsUsage(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  limit: number,
  gate?: ReadGate,
): Promise<UsageData[]> {
  const ws = query.workspaceId;
  const split: Split = rollupsCanAnswer(query.filters) ? splitByHours(query) : { rolled: null, raw: [query] };
  type Counts = { name: string; type: string; events: string; errors: string; dsum: number | null; dcount: string };
  type Buckets = { name: string; type: string; bucket: number; n: string };
  type Sessions = { name: string; type: string; sessions: string };
  const work: Array<Promise<{ counts?: Counts[]; buckets?: Buckets[]; sessions?: Sessions[] }>> = [];

  if (split.rolled) {
    const p = new SqlParams(ws);
    const source = eventRollups(p, split.rolled, true);
    work.push(
      sql
        .read<Counts & { sessions: string }>(
          gate,
          `SELECT r.name, r.type, sum(r.events) AS events, sum(r.errors) AS errors, sum(r.duration_sum_ms) AS dsum,
                    sum(r.duration_count) AS dcount, sum(r.sessions) AS sessions
               FROM ${source} r WHERE ${nameTypeCondition(query.filters, p, 'r')} GROUP BY 1, 2`,
          p.values,
        )
        .then(({ rows }) => ({ counts: rows, sessions: rows })),
    );
    // Histograms: the deltas not folded yet (sparse), then what was folded: whole days from
    // the daily table, the hours around them from the hourly one.
    const xp = new SqlParams(ws, split.rolled.from, split.rolled.to);
    work.push(
      sql
        .read<Buckets>(
          gate,
          `SELECT x.name, x.type, u.bucket::int AS bucket, sum(u.n) AS n
               FROM event_rollup_deltas x
               CROSS JOIN LATERAL unnest(x.buckets, x.bucket_counts) AS u(bucket, n)
              WHERE x.workspace_id = $1 AND x.hour >= $2 AND x.hour < $3 AND ${nameTypeCondition(query.filters, xp, 'x')}
              GROUP BY 1, 2, 3`,
          xp.values,
        )
        .then(({ rows }) => ({ buckets: rows })),
    );
    const days = splitByDays(split.rolled);
    if (days.daily) {
      const dp = new SqlParams(ws, days.daily.from, days.daily.to);
      work.push(
        sql
          .read<Buckets>(
            gate,
            `SELECT d.name, d.type, (u.i - 1)::int AS bucket, sum(u.c) AS n
                 FROM event_rollups_daily d
                 CROSS JOIN LATERAL unnest(d.duration_histogram) WITH ORDINALITY AS u(c, i)
                WHERE d.workspace_id = $1 AND d.day >= $2 AND d.day < $3
                  AND ${nameTypeCondition(query.filters, dp, 'd')} AND u.c > 0
                GROUP BY 1, 2, 3`,
            dp.values,
          )
          .then(({ rows }) => ({ buckets: rows })),
      );
    }
    if (days.hourly.length > 0) {
      const hp = new SqlParams(ws);
      work.push(
        sql
          .read<Buckets>(
            gate,
            `SELECT r.name, r.type, (u.i - 1)::int AS bucket, sum(u.c) AS n
                 FROM event_rollups_hourly r
                 CROSS JOIN LATERAL unnest(r.duration_histogram) WITH ORDINALITY AS u(c, i)
                WHERE r.workspace_id = $1 AND ${inRanges('r.hour', days.hourly, hp)}
                  AND ${nameTypeCondition(query.filters, hp, 'r')} AND r.duration_count > 0 AND u.c > 0
                GROUP BY 1, 2, 3`,
            hp.values,
          )
          .then(({ rows }) => ({ buckets: rows })),
      );
    }
  }
  if (split.raw.length > 0) {
    const p = new SqlParams(ws);
    const where = `e.workspace_id = $1 AND ${inRanges('e.ts', split.raw, p)} AND ${eventCondition(query.filters, p, 'e')}`;
    work.push(
      sql
        .read<Counts>(
          gate,
          `SELECT e.name, e.type, count(*) AS events, count(*) FILTER (WHERE e.status = 'error') AS errors,
                    sum(e.duration_ms) AS dsum, count(e.duration_ms) AS dcount
               FROM events e WHERE ${where} GROUP BY 1, 2`,
          p.values,
        )
        .then(({ rows }) => ({ counts: rows })),
      sql
        .read<Buckets>(
          gate,
          `SELECT e.name, e.type, e.duration_bucket AS bucket, count(*) AS n
               FROM events e WHERE ${where} AND e.duration_bucket IS NOT NULL GROUP BY 1, 2, 3`,
          p.values,
        )
        .then(({ rows }) => ({ buckets: rows })),
    );
    // A session counts for a name in the range where it first used that name.
    const sp = new SqlParams(ws);
    const sessionsSql = split.rolled
      ? // The ragged ends of an unfiltered (or name/type-filtered) range.
        `SELECT x.name, x.type, count(*) AS sessions FROM event_name_sessions x
            WHERE x.workspace_id = $1 AND ${inRanges('x.first_at', split.raw, sp)}
              AND ${nameTypeCondition(query.filters, sp, 'x')} GROUP BY 1, 2`
      : `SELECT e.name, e.type, count(DISTINCT e.session_id) AS sessions
             FROM events e JOIN event_name_sessions x
               ON x.workspace_id = e.workspace_id AND x.session_id = e.session_id AND x.name = e.name AND x.type = e.type
            WHERE e.workspace_id = $1 AND ${inRanges('e.ts', split.raw, sp)} AND ${inRanges('x.first_at', split.raw, sp)}
              AND ${eventCondition(query.filters, sp, 'e')}
            GROUP BY 1, 2`;
    work.push(sql.read<Sessions>(gate, sessionsSql, sp.values).then(({ rows }) => ({ sessions: rows })));
  }

  const rows = new Map<string, { data: UsageData; durationSum: number; durationCount: number; histogram: number[] }>();
  const entry = (name: string, type: string) => {
    const key = `${name}\u0000${type}`;
    let found = rows.get(key);
    if (!found) {
      found = {
        data: { name, type, count: 0, sessions: 0, errors: 0, avgDurationMs: null, p95DurationMs: null },
        durationSum: 0,
        durationCount: 0,
        histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0),
      };
      rows.set(key, found);
    }
    return found;
  };
  for (const part of await Promise.all(work)) {
    for (const row of part.counts ?? []) {
      const e = entry(row.name, row.type);
      e.data.count += toNumber(row.events);
      e.data.errors += toNumber(row.errors);
      e.durationSum += toNumber(row.dsum);
      e.durationCount += toNumber(row.dcount);
    }
    for (const row of part.sessions ?? []) entry(row.name, row.type).data.sessions += toNumber(row.sessions);
    for (const row of part.buckets ?? []) {
      const histogram = entry(row.name, row.type).histogram;
      histogram[row.bucket] = (histogram[row.bucket] ?? 0) + toNumber(row.n);
    }
  }
  return [...rows.values()]
    .filter((e) => e.data.count > 0)
    .map((e) => ({
      ...e.data,
      avgDurationMs: e.durationCount > 0 ? e.durationSum / e.durationCount : null,
      p95DurationMs: quantileFromHistogram(e.histogram, 0.95),
    }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name) || a.type.localeCompare(b.type))
    .slice(0, limit);
}
