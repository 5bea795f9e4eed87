import type { BreakdownData } from './event-store';

/**
 * The order of a breakdown, the same on every engine: events descending, then the value's UTF-8
 * bytes ascending (PostgreSQL's `COLLATE "C"`, ClickHouse's String order), null ("not set") last.
 */
export function compareBreakdown(a: BreakdownData, b: BreakdownData): number {
  if (a.count !== b.count) return b.count - a.count;
  if (a.value === b.value) return 0;
  if (a.value === null) return 1;
  if (b.value === null) return -1;
  return Buffer.compare(Buffer.from(a.value), Buffer.from(b.value));
}

/** Rows whose values are equal added up (sessions are per value, so they add), ordered, cut at `limit`. */
export function rankBreakdown(rows: readonly BreakdownData[], limit: number): BreakdownData[] {
  const byValue = new Map<string | null, BreakdownData>();
  for (const row of rows) {
    const known = byValue.get(row.value);
    if (known) {
      known.count += row.count;
      known.sessions += row.sessions;
      known.errors += row.errors;
    } else byValue.set(row.value, { ...row });
  }
  return [...byValue.values()].sort(compareBreakdown).slice(0, limit);
}
