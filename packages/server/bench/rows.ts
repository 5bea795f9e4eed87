import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The event stores a figure can be about (`--store`). */
export type EventsStoreName = 'postgres' | 'clickhouse';

/** One figure of `pnpm bench`, as written to bench/results.json. */
export interface Row {
  name: string;
  /** The event store the figure is about ('both': a comparison); none for figures that do not depend on it. */
  store?: EventsStoreName | 'both';
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  /** Applies to `ratio` when there is a baseline, to `value` otherwise. */
  target: number;
  better: 'higher' | 'lower';
  /**
   * Cores that processes outside the bench kept busy, on average, while the row's group ran
   * (machine.ts): near 0 on an idle machine; the figure is suspect from a quarter of the cores on.
   */
  otherCores?: number;
}

export function row(
  name: string,
  value: number,
  unit: string,
  baseline: number | null,
  target: number,
  better: Row['better'],
): Row {
  return {
    name,
    value: Number(value.toFixed(2)),
    unit,
    baseline: baseline === null ? null : Number(baseline.toFixed(2)),
    ratio: baseline ? Number((value / baseline).toFixed(3)) : null,
    target,
    better,
  };
}

export function meets(r: Row): boolean {
  const figure = r.ratio ?? r.value;
  return r.better === 'higher' ? figure >= r.target : figure <= r.target;
}

/** A row that could not be measured (a store refused the request), with why. */
export interface Failure {
  name: string;
  reason: string;
}

export function printFailures(failures: readonly Failure[]): void {
  for (const f of failures) console.log(`FAILED: ${f.name}: ${f.reason}`);
}

export function printRows(rows: readonly Row[]): void {
  console.table(
    rows.map((r) => ({
      name: r.name,
      value: `${r.value} ${r.unit}`,
      baseline: r.baseline === null ? '—' : `${r.baseline} ${r.unit}`,
      ratio: r.ratio ?? '—',
      target: `${r.better === 'higher' ? '≥' : '≤'} ${r.target}${r.ratio === null ? ` ${r.unit}` : ''}`,
      met: meets(r) ? 'yes' : 'NO',
    })),
  );
}

/** `r` as a figure about `store`. */
export function about(store: EventsStoreName | 'both', r: Row): Row {
  return { ...r, store };
}

/**
 * Writes `rows` to bench/results.json, keeping the rows of groups that did not run this time
 * (so `pnpm bench analytics` updates only its own rows), and those of a store that did not run
 * (so `--store clickhouse` keeps the PostgreSQL rows). Returns the file's path.
 */
export function writeResults(
  rows: readonly Row[],
  ranGroups: readonly string[],
  ranStores: readonly EventsStoreName[],
): string {
  const outDir = resolve(__dirname, '../../../..', 'bench');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'results.json');
  let kept: Array<Row & { group?: string }> = [];
  if (existsSync(outFile)) {
    try {
      kept = (JSON.parse(readFileSync(outFile, 'utf8')) as Array<Row & { group?: string }>).filter(
        (old) => old.group !== undefined && (!ranGroups.includes(old.group) || !ran(old.store, ranStores)),
      );
    } catch {
      kept = [];
    }
  }
  writeFileSync(outFile, `${JSON.stringify([...kept, ...rows], null, 2)}\n`);
  return outFile;
}

/** Whether a row about `store` was measured again by a run of `ranStores`. */
function ran(store: Row['store'], ranStores: readonly EventsStoreName[]): boolean {
  if (store === undefined) return true;
  if (store === 'both') return ranStores.includes('postgres') && ranStores.includes('clickhouse');
  return ranStores.includes(store);
}

/** Mean cost of `fn` in microseconds over `iterations` calls, after a warm-up. */
export async function microseconds(iterations: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(1000, iterations); i += 1) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) await fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

/** The `p`-quantile (0…1) of `samples`, nearest-rank. */
export function quantile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}
