import { Interval } from '@tally/shared';
import { rankBreakdown } from '../breakdown';
import { HISTOGRAM_BUCKETS, quantileFromHistogram } from '../duration-histogram';
import type { AnalyticsQuery, BreakdownData, BreakdownKey, DurationPointData, ReadGate } from '../event-store';
import { propertyText } from '../query';
import { DAY_MS, HOUR_MS } from '../time-range';
import { matchingEvents } from './analytics';
import { ChParams, type ChReads, type Tables, num } from './sql';

/**
 * Distinct raw attribute values read for a session-attribute breakdown: their `->>` text is
 * made here (ClickHouse's JSON functions rewrite numbers and nested JSON), and raw values whose
 * texts are equal are added up before the cut, so the answer is exact up to this many.
 */
const RAW_ATTRIBUTE_VALUES = 10_000;

type Row = { value: string | null; events: string; errors: string; sessions: string };

/**
 * The matching events of the range by one property's text (`prop_text`, which the ingest writes
 * as PostgreSQL's `->>` gives it), or by their session's attribute: the latest update of the
 * session that names the key (`session_updates` merge in `seq` order), as raw JSON made into
 * `->>` text here.
 */
export async function breakdown(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  by: BreakdownKey,
  limit: number,
  gate?: ReadGate,
): Promise<BreakdownData[]> {
  const p = new ChParams();
  const key = p.add(by.key, 'String');
  if (by.kind === 'property') {
    const rows = await reads.rows<Row>(
      gate,
      `SELECT if(mapContains(prop_text, ${key}), prop_text[${key}], NULL) AS value, count() AS events,
              countIf(status = 'error') AS errors, uniqExact(session_id) AS sessions
         FROM ${t.events} WHERE ${matchingEvents(query, p)}
        GROUP BY value ORDER BY events DESC, value ASC NULLS LAST LIMIT ${p.add(limit, 'UInt32')}`,
      p,
    );
    return rows.map(rowOf);
  }
  const ws = p.add(query.workspaceId, 'UUID');
  const rows = await reads.rows<Row>(
    gate,
    `SELECT a.raw AS value, count() AS events, countIf(e.status = 'error') AS errors,
            uniqExact(e.session_id) AS sessions
       FROM (SELECT session_id, status FROM ${t.events} WHERE ${matchingEvents(query, p)}) AS e
       LEFT JOIN (SELECT session_id, argMaxIf(JSONExtractRaw(ifNull(attributes, '{}'), ${key}), seq,
                                              JSONHas(ifNull(attributes, '{}'), ${key})) AS raw
                    FROM ${t.sessionUpdates}
                   WHERE workspace_id = ${ws} AND attributes IS NOT NULL
                   GROUP BY session_id
                  HAVING countIf(JSONHas(ifNull(attributes, '{}'), ${key})) > 0) AS a
         ON a.session_id = e.session_id
      GROUP BY value ORDER BY events DESC LIMIT ${p.add(RAW_ATTRIBUTE_VALUES, 'UInt32')}`,
    p,
  );
  return rankBreakdown(
    rows.map((row) => ({ ...rowOf(row), value: row.value === null ? null : textOfRaw(row.value) })),
    limit,
  );
}

/** Per bucket of the range: matching events, errors and the histogram of their durations, from raw rows. */
export async function durationSeries(
  reads: ChReads,
  t: Tables,
  query: AnalyticsQuery,
  interval: Interval,
  gate?: ReadGate,
): Promise<DurationPointData[]> {
  const step = interval === Interval.HOUR ? HOUR_MS : DAY_MS;
  const p = new ChParams();
  const rows = await reads.rows<{ at: string; bucket: number | null; events: string; errors: string }>(
    gate,
    `SELECT intDiv(toUnixTimestamp64Milli(ts), ${p.add(step, 'Int64')}) AS at, duration_bucket AS bucket,
            count() AS events, countIf(status = 'error') AS errors
       FROM ${t.events} WHERE ${matchingEvents(query, p)} GROUP BY at, bucket`,
    p,
  );
  const points = new Map<number, { at: Date; count: number; errors: number; histogram: number[] }>();
  for (let at = Math.floor(query.from.getTime() / step) * step; at < query.to.getTime(); at += step) {
    points.set(at, { at: new Date(at), count: 0, errors: 0, histogram: new Array<number>(HISTOGRAM_BUCKETS).fill(0) });
  }
  for (const row of rows) {
    const point = points.get(num(row.at) * step);
    if (!point) continue;
    point.count += num(row.events);
    point.errors += num(row.errors);
    if (row.bucket !== null) point.histogram[row.bucket] = (point.histogram[row.bucket] ?? 0) + num(row.events);
  }
  return [...points.values()].map((point) => ({
    at: point.at,
    count: point.count,
    errors: point.errors,
    p95DurationMs: quantileFromHistogram(point.histogram, 0.95),
  }));
}

function rowOf(row: Row): BreakdownData {
  return { value: row.value, count: num(row.events), sessions: num(row.sessions), errors: num(row.errors) };
}

/** A raw JSON value's `->>` text (null for JSON null). */
function textOfRaw(raw: string): string | null {
  return propertyText({ value: JSON.parse(raw) as unknown }, 'value');
}
