import { HISTOGRAM_BUCKETS, quantileFromHistogram } from '../duration-histogram';
import type { AnalyticsQuery, ReadGate, TimeRange, UsageData } from '../event-store';
import { rollupsCanAnswer } from '../query';
import { SqlParams, eventCondition, nameIn, nameTypeCondition } from './filter-sql';
import { type AnalyticsSql, toNumber } from './read-pool';
import { type SignedSplit, eventsIn, inRanges, rollupParts, signOf, signedEventsIn, splitAroundHours } from './ranges';

/**
 * Per event name and type: count, first-use sessions, errors, average and p95 duration (from the
 * log-scale histogram, duration-histogram.ts). Name/type filters (or none) are answered from the
 * rollups for whole hours — a row per name and aligned block of 1 hour to 32 days (ranges.ts,
 * rollupBlocks: at most 15 per name for any 30 days) — and the ragged ends from raw rows, or as
 * their whole hour less the rest of it when that is less to read (splitAroundHours); user and
 * property filters from raw rows. Two steps, so that a product with hundreds of names pays
 * for the histograms of the rows it shows only:
 *
 * 1. One statement adds up every name's counts from all parts of the range and ranks them in SQL:
 *    only the `limit` busiest (ties at the cut included) come back. It reads the raw rows once,
 *    by name, type and duration bucket: the rows ranked carry their raw histograms with them.
 * 2. The whole hours' duration histograms of those names alone (the ones with durations), from
 *    the rollup blocks. Between the two, `ranked` hears the names (a comparison's previous period
 *    is read beside these histograms). Names known beforehand (a names filter no longer than the
 *    limit) have this step beside the first.
 */
export async function toolsUsage(
  sql: AnalyticsSql,
  query: AnalyticsQuery,
  limit: number,
  gate?: ReadGate,
  ranked?: (names: readonly string[]) => void,
): Promise<UsageData[]> {
  const ws = query.workspaceId;
  const split: SignedSplit = rollupsCanAnswer(query.filters)
    ? splitAroundHours(query, Date.now())
    : { rolled: null, raw: [query], less: [] };
  const ragged = [...split.raw, ...split.less];
  type Counts = { name: string; type: string; events: string; errors: string; dsum: number | null; dcount: string };

  const p = new SqlParams(ws);
  const parts: string[] = [];
  if (split.rolled) {
    const counts = 'r.name, r.type, r.events, r.errors, r.duration_sum_ms, r.duration_count, r.sessions';
    const named = nameTypeCondition(query.filters, p, 'r');
    parts.push(...rollupParts(p, split.rolled, counts, named, { columns: counts, where: named }));
  }
  // The raw rows (a filtered range, or the ragged ends of another) are read once, by name, type
  // and duration bucket: their counts go into the ranking, their histograms come back with the
  // rows ranked (as text, HistogramRow's sparse form), not from a second read of the same rows.
  // Rows of `less` (the rest of a rollup hour that stands for a ragged end) count negative.
  const raw =
    ragged.length === 0
      ? null
      : `raw AS MATERIALIZED (
           SELECT e.name, e.type, e.duration_bucket AS bucket, sum(e.sign) AS events,
                  COALESCE(sum(e.sign) FILTER (WHERE e.status = 'error'), 0) AS errors,
                  sum(e.sign * e.duration_ms) AS dsum, COALESCE(sum(e.sign) FILTER (WHERE e.duration_ms IS NOT NULL), 0) AS dcount
             FROM ${signedEventsIn(split.raw, split.less, p)} AS e WHERE ${eventCondition(query.filters, p, 'e')} GROUP BY 1, 2, 3),
         raw_histograms AS (
           SELECT name, type, string_agg(bucket::text, ',') AS buckets, string_agg(events::text, ',') AS counts
             FROM raw WHERE bucket IS NOT NULL AND events <> 0 GROUP BY 1, 2)`;
  if (ragged.length > 0) {
    parts.push(`SELECT name, type, sum(events), sum(errors), sum(dsum), sum(dcount), 0 FROM raw GROUP BY 1, 2`);
    // A session counts for a name in the range where it first used that name.
    parts.push(
      split.rolled
        ? // The ragged ends of an unfiltered (or name/type-filtered) range.
          `SELECT x.name, x.type, 0, 0, 0, 0, sum(${signOf('x.first_at', split.less, p)}) FROM event_name_sessions x
            WHERE x.workspace_id = $1 AND ${inRanges('x.first_at', ragged, p)}
              AND ${nameTypeCondition(query.filters, p, 'x')} GROUP BY 1, 2`
        : `SELECT e.name, e.type, 0, 0, 0, 0, count(DISTINCT e.session_id)
             FROM ${eventsIn(split.raw, p)} AS e JOIN event_name_sessions x
               ON x.workspace_id = e.workspace_id AND x.session_id = e.session_id AND x.name = e.name AND x.type = e.type
            WHERE x.workspace_id = $1 AND ${inRanges('x.first_at', split.raw, p)}
              AND ${eventCondition(query.filters, p, 'e')}
            GROUP BY 1, 2`,
    );
  }
  // With rollups, raw events only in the ragged hours (AnalyticsSql.readByIndex).
  const read = split.rolled ? sql.readByIndex.bind(sql) : sql.read.bind(sql);
  const histogramsOf = async (names: readonly string[]): Promise<Map<string, number[]>> => {
    const summed = new Map<string, number[]>();
    if (names.length === 0 || !split.rolled) return summed;
    const { text, values } = rolledHistograms(ws, split.rolled, names);
    for (const { name, type, dense, buckets, counts } of (await read<HistogramRow>(gate, text, values)).rows) {
      const key = `${name}\u0000${type}`;
      let histogram = summed.get(key);
      if (!histogram) summed.set(key, (histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0)));
      addHistogram(histogram, dense, buckets, counts);
    }
    return summed;
  };
  // Names known beforehand (a names filter no longer than the limit, as the previous period of a
  // comparison asks): their histograms are read beside the counts, not after them.
  const named = namesOf(query.filters);
  const early = named !== null && named.length <= limit ? histogramsOf(named) : null;
  const [{ rows: counted }, known] = await Promise.all([
    read<Counts & { sessions: string; raw_buckets: string | null; raw_counts: string | null }>(
      gate,
      `${raw ? `WITH ${raw}\n` : ''}SELECT ranked.name, ranked.type, events, errors, dsum, dcount, sessions,
              ${raw ? 'h.buckets' : 'NULL::text'} AS raw_buckets, ${raw ? 'h.counts' : 'NULL::text'} AS raw_counts
         FROM (
           SELECT t.name, t.type, sum(t.events) AS events, sum(t.errors) AS errors, sum(t.dsum) AS dsum,
                  sum(t.dcount) AS dcount, sum(t.sessions) AS sessions,
                  rank() OVER (ORDER BY sum(t.events) DESC) AS place
             FROM (${parts.join('\n UNION ALL ')}) AS t (name, type, events, errors, dsum, dcount, sessions)
            GROUP BY 1, 2 HAVING sum(t.events) > 0
         ) AS ranked
         ${raw ? 'LEFT JOIN raw_histograms h ON h.name = ranked.name AND h.type = ranked.type' : ''}
        WHERE place <= ${p.add(limit, 'int')}`,
      p.values,
    ),
    early,
  ]);
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
      rawBuckets: row.raw_buckets,
      rawCounts: row.raw_counts,
    }))
    .sort(
      (a, b) =>
        b.data.count - a.data.count || a.data.name.localeCompare(b.data.name) || a.data.type.localeCompare(b.data.type),
    )
    .slice(0, limit);
  ranked?.([...new Set(shown.map((e) => e.data.name))]);

  // Otherwise the whole hours' histograms of the names shown with durations alone; the raw rows'
  // came with the counts.
  const histograms = known ?? (await histogramsOf(shown.filter((e) => e.durationCount > 0).map((e) => e.data.name)));
  for (const e of shown) {
    if (!e.rawBuckets || !e.rawCounts) continue;
    const key = `${e.data.name}\u0000${e.data.type}`;
    let histogram = histograms.get(key);
    if (!histogram) histograms.set(key, (histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0)));
    addHistogram(histogram, null, e.rawBuckets, e.rawCounts);
  }
  return shown.map((e) => {
    const histogram = e.durationCount > 0 ? histograms.get(`${e.data.name}\u0000${e.data.type}`) : undefined;
    return {
      ...e.data,
      avgDurationMs: e.durationCount > 0 ? e.durationSum / e.durationCount : null,
      p95DurationMs: histogram ? quantileFromHistogram(histogram, 0.95) : null,
    };
  });
}

/** The names every row must have when the filters name them (each filter's list holds), else null. */
function namesOf(filters: AnalyticsQuery['filters']): string[] | null {
  let names: string[] | null = null;
  for (const filter of filters) {
    if (!filter.names?.length) continue;
    const listed = new Set(filter.names);
    names = names === null ? [...listed] : names.filter((name: string) => listed.has(name));
  }
  return names;
}

/**
 * A row of a histogram statement: a dense histogram (every bucket's count), or bucket numbers and
 * their counts — each as comma-separated text, which Node reads several times faster than
 * PostgreSQL unnests and adds up the arrays (or node-pg parses them, in text or binary).
 */
type HistogramRow = { name: string; type: string; dense: string | null; buckets: string | null; counts: string | null };

function addHistogram(histogram: number[], dense: string | null, buckets: string | null, counts: string | null): void {
  if (dense) addDense(histogram, dense);
  if (buckets && counts) addSparse(histogram, buckets, counts);
}

// The two parsers below read the digits in place: a dashboard's request adds up some 3,000 dense
// rows of 96 counts, and split(',') with Number() made a string of each count (5 ms and most of
// the request's garbage at 10 M events). Every value is an integer (int4 or int2), negative only
// in a sparse row's counts (the raw rows taken away from a rollup hour, splitAroundHours).
const COMMA = 44;
const MINUS = 45;
const ZERO = 48;

/** Adds comma-separated counts, the i-th to bucket i. */
function addDense(histogram: number[], text: string): void {
  let bucket = 0;
  let value = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      if (value > 0) histogram[bucket] = (histogram[bucket] ?? 0) + value;
      bucket += 1;
      value = 0;
    } else value = value * 10 + c - ZERO;
  }
  if (value > 0) histogram[bucket] = (histogram[bucket] ?? 0) + value;
}

/** Adds the i-th of comma-separated `counts` (negative ones too) to the bucket that is the i-th of `buckets`. */
function addSparse(histogram: number[], buckets: string, counts: string): void {
  let at = 0;
  let bucket = 0;
  for (let i = 0; i <= buckets.length; i += 1) {
    const c = i < buckets.length ? buckets.charCodeAt(i) : COMMA;
    if (c !== COMMA) {
      bucket = bucket * 10 + c - ZERO;
      continue;
    }
    let value = 0;
    let sign = 1;
    for (; at < counts.length; at += 1) {
      const d = counts.charCodeAt(at);
      if (d === COMMA) break;
      if (d === MINUS) sign = -1;
      else value = value * 10 + d - ZERO;
    }
    at += 1;
    histogram[bucket] = (histogram[bucket] ?? 0) + sign * value;
    bucket = 0;
  }
}

/**
 * The statement that adds up the whole hours' duration histograms of `names`: a row per name and
 * aligned block (rollupParts), dense from the rollups and sparse (bucket numbers and counts) from
 * the deltas not folded yet, added up by the caller. By name alone; the caller drops a type not
 * asked for. The ragged ends' histograms come with the counts.
 */
function rolledHistograms(
  workspaceId: string,
  rolled: TimeRange,
  names: readonly string[],
): { text: string; values: unknown[] } {
  const p = new SqlParams(workspaceId);
  const named = nameIn('r', [...new Set(names)], p);
  const parts = rollupParts(
    p,
    rolled,
    `r.name, r.type, r.duration_histogram_text AS dense, NULL::text AS buckets, NULL::text AS counts`,
    `r.duration_count > 0 AND ${named}`,
    {
      columns: `r.name, r.type, NULL::text, array_to_string(r.buckets, ','), array_to_string(r.bucket_counts, ',')`,
      where: `r.buckets IS NOT NULL AND ${named}`,
    },
  );
  return { text: parts.join('\n UNION ALL '), values: p.values };
}
