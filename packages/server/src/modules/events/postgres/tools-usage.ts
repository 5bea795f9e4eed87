import { HISTOGRAM_BUCKETS, quantileFromHistogram } from '../duration-histogram';
import type { AnalyticsQuery, ReadGate, UsageData } from '../event-store';
import { rollupsCanAnswer } from '../query';
import { SqlParams, eventCondition, nameTypeCondition } from './filter-sql';
import { type AnalyticsSql, toNumber } from './read-pool';
import { type Split, dayBlocks, eventRollups, inRanges, splitByDays, splitByHours } from './ranges';

/**
 * Per event name and type: count, first-use sessions, errors, average and p95 duration (from the
 * log-scale histogram, duration-histogram.ts). Name/type filters (or none) are answered from the
 * rollups for whole hours (whole UTC days from the daily ones); user and property filters from
 * raw rows. Two steps, so that a product with hundreds of names pays for the histograms of the
 * rows it shows only:
 *
 * 1. One statement adds up every name's counts from all parts of the range and ranks them in SQL:
 *    only the `limit` busiest (ties at the cut included) come back.
 * 2. The duration histograms of those names alone (the ones with durations), one statement per
 *    part, side by side.
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

  const p = new SqlParams(ws);
  const parts: string[] = [];
  if (split.rolled) {
    parts.push(`SELECT r.name, r.type, r.events, r.errors, r.duration_sum_ms AS dsum, r.duration_count AS dcount, r.sessions
         FROM ${eventRollups(p, split.rolled, true)} r WHERE ${nameTypeCondition(query.filters, p, 'r')}`);
  }
  if (split.raw.length > 0) {
    const where = `e.workspace_id = $1 AND ${inRanges('e.ts', split.raw, p)} AND ${eventCondition(query.filters, p, 'e')}`;
    parts.push(`SELECT e.name, e.type, count(*) AS events, count(*) FILTER (WHERE e.status = 'error') AS errors,
              sum(e.duration_ms) AS dsum, count(e.duration_ms) AS dcount, 0 AS sessions
         FROM events e WHERE ${where} GROUP BY 1, 2`);
    // A session counts for a name in the range where it first used that name.
    parts.push(
      split.rolled
        ? // The ragged ends of an unfiltered (or name/type-filtered) range.
          `SELECT x.name, x.type, 0, 0, 0, 0, count(*) FROM event_name_sessions x
            WHERE x.workspace_id = $1 AND ${inRanges('x.first_at', split.raw, p)}
              AND ${nameTypeCondition(query.filters, p, 'x')} GROUP BY 1, 2`
        : `SELECT e.name, e.type, 0, 0, 0, 0, count(DISTINCT e.session_id)
             FROM events e JOIN event_name_sessions x
               ON x.workspace_id = e.workspace_id AND x.session_id = e.session_id AND x.name = e.name AND x.type = e.type
            WHERE e.workspace_id = $1 AND ${inRanges('e.ts', split.raw, p)} AND ${inRanges('x.first_at', split.raw, p)}
              AND ${eventCondition(query.filters, p, 'e')}
            GROUP BY 1, 2`,
    );
  }
  const { rows: counted } = await sql.read<Counts & { sessions: string }>(
    gate,
    `SELECT name, type, events, errors, dsum, dcount, sessions FROM (
         SELECT t.name, t.type, sum(t.events) AS events, sum(t.errors) AS errors, sum(t.dsum) AS dsum,
                sum(t.dcount) AS dcount, sum(t.sessions) AS sessions,
                rank() OVER (ORDER BY sum(t.events) DESC) AS place
           FROM (${parts.join('\n UNION ALL ')}) AS t (name, type, events, errors, dsum, dcount, sessions)
          GROUP BY 1, 2 HAVING sum(t.events) > 0
       ) AS ranked WHERE place <= ${p.add(limit, 'int')}`,
    p.values,
  );
  const shown = counted
    .map((row) => ({
      data: {
        name: row.name,
        type: row.type,
        count: toNumber(row.events),
        sessions: toNumber(row.sessions),
        errors: toNumber(row.errors),
        avgDurationMs: null as number | null,
        p95DurationMs: null as number | null,
      },
      durationSum: toNumber(row.dsum),
      durationCount: toNumber(row.dcount),
    }))
    .sort(
      (a, b) =>
        b.data.count - a.data.count || a.data.name.localeCompare(b.data.name) || a.data.type.localeCompare(b.data.type),
    )
    .slice(0, limit);

  const timed = shown.filter((e) => e.durationCount > 0);
  const histograms = new Map<string, number[]>(
    timed.map((e) => [`${e.data.name}\u0000${e.data.type}`, new Array<number>(HISTOGRAM_BUCKETS).fill(0)]),
  );
  if (timed.length > 0) {
    for (const part of await Promise.all(
      histogramStatements(
        query,
        split,
        timed.map((e) => e.data.name),
      ).map(({ text, values }) =>
        sql.read<{ name: string; type: string; bucket: number; n: string }>(gate, text, values),
      ),
    )) {
      for (const row of part.rows) {
        const histogram = histograms.get(`${row.name}\u0000${row.type}`);
        // A name shown with another type than this row's: not asked for.
        if (histogram) histogram[row.bucket] = (histogram[row.bucket] ?? 0) + toNumber(row.n);
      }
    }
  }
  return shown.map((e) => {
    const histogram = histograms.get(`${e.data.name}\u0000${e.data.type}`);
    return {
      ...e.data,
      avgDurationMs: e.durationCount > 0 ? e.durationSum / e.durationCount : null,
      p95DurationMs: histogram ? quantileFromHistogram(histogram, 0.95) : null,
    };
  });
}

/**
 * The statements that add up the duration histograms of `names` over the range, one per part: the deltas not folded yet (sparse), whole days from the daily
 * rollups, the hours around them from the hourly ones, the ragged ends from raw rows.
 */
function histogramStatements(
  query: AnalyticsQuery,
  split: Split,
  names: readonly string[],
): Array<{ text: string; values: unknown[] }> {
  const ws = query.workspaceId;
  const statements: Array<{ text: string; values: unknown[] }> = [];
  // By name alone (a hashed `= ANY`, whatever the statistics say); the caller drops a type not asked for.
  const chosen = (p: SqlParams, alias: string) => `${alias}.name = ANY(${p.add([...new Set(names)], 'text[]')})`;
  if (split.rolled) {
    const xp = new SqlParams(ws, split.rolled.from, split.rolled.to);
    statements.push({
      text: `SELECT x.name, x.type, u.bucket::int AS bucket, sum(u.n) AS n
               FROM event_rollup_deltas x
               CROSS JOIN LATERAL unnest(x.buckets, x.bucket_counts) AS u(bucket, n)
              WHERE x.workspace_id = $1 AND x.hour >= $2 AND x.hour < $3 AND ${chosen(xp, 'x')}
              GROUP BY 1, 2, 3`,
      values: xp.values,
    });
    const days = splitByDays(split.rolled);
    if (days.daily) {
      // Whole days as a few aligned blocks per name (ranges.ts, dayBlocks): a part per block, each
      // an index range; the single days from the daily rollups.
      const dp = new SqlParams(ws);
      const named = `name = ANY(${dp.add([...new Set(names)], 'text[]')})`;
      const blocks = dayBlocks(days.daily);
      const singles = blocks.filter((b) => b.days === 1).map((b) => b.start);
      const parts = blocks
        .filter((b) => b.days > 1)
        .map(
          (b) => `SELECT name, type, duration_histogram FROM event_histogram_blocks
                   WHERE workspace_id = $1 AND days = ${dp.add(b.days, 'smallint')}
                     AND start = ${dp.add(b.start, 'timestamptz')} AND ${named}`,
        );
      if (singles.length > 0) {
        parts.push(`SELECT name, type, duration_histogram FROM event_rollups_daily
                     WHERE workspace_id = $1 AND day = ANY(${dp.add(singles, 'timestamptz[]')}) AND duration_count > 0
                       AND ${named}`);
      }
      statements.push({
        text: `SELECT d.name, d.type, (u.i - 1)::int AS bucket, sum(u.c) AS n
                 FROM (${parts.join('\n UNION ALL ')}) AS d
                 CROSS JOIN LATERAL unnest(d.duration_histogram) WITH ORDINALITY AS u(c, i)
                WHERE u.c > 0
                GROUP BY 1, 2, 3`,
        values: dp.values,
      });
    }
    // Each range of hours a statement of its own: an index range each (see eventRollups).
    for (const hours of days.hourly) {
      const hp = new SqlParams(ws, hours.from, hours.to);
      statements.push({
        text: `SELECT r.name, r.type, (u.i - 1)::int AS bucket, sum(u.c) AS n
                 FROM event_rollups_hourly r
                 CROSS JOIN LATERAL unnest(r.duration_histogram) WITH ORDINALITY AS u(c, i)
                WHERE r.workspace_id = $1 AND r.hour >= $2 AND r.hour < $3
                  AND r.duration_count > 0 AND ${chosen(hp, 'r')} AND u.c > 0
                GROUP BY 1, 2, 3`,
        values: hp.values,
      });
    }
  }
  if (split.raw.length > 0) {
    const rp = new SqlParams(ws);
    statements.push({
      text: `SELECT e.name, e.type, e.duration_bucket AS bucket, count(*) AS n
               FROM events e
              WHERE e.workspace_id = $1 AND ${inRanges('e.ts', split.raw, rp)} AND ${eventCondition(query.filters, rp, 'e')}
                AND ${chosen(rp, 'e')} AND e.duration_bucket IS NOT NULL
              GROUP BY 1, 2, 3`,
      values: rp.values,
    });
  }
  return statements;
}
