import { DASHBOARD_QUERY, checkTotals, difference, report, sizeOf } from './analytics';
import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { DATASET_NAMES } from './dataset';
import { sequential } from './fresh';
import { type Row, about, row } from './rows';

/** Events sent to the ClickHouse store: its ingest is far slower on chdb (README), so fewer by default. */
const EVENTS = Number(process.env.BENCH_FRESH_EVENTS_CH ?? process.env.BENCH_FRESH_EVENTS ?? 1_000_000);
const BATCH = 1000;
const IN_FLIGHT = 4;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `fresh` on the ClickHouse store (chdb), beside the PostgreSQL rows of fresh.ts: the same
 * dataset sent through the ClickHouse Tally's `POST /v1/events` (batches of 1,000, 4 in flight,
 * another process; `BENCH_FRESH_EVENTS_CH`), then the dashboard's p95 at once — the ClickHouse
 * store's rollups are exact from each batch's commit, with the parts ClickHouse has not merged
 * yet — and again after its settle() (the merges, OPTIMIZE … FINAL). Both answers must hold the
 * generator's counts and be the same.
 */
export async function freshClickHouseRows(context: BenchContext): Promise<Row[]> {
  const { clickhouse, url } = context;
  if (!clickhouse || !context.stores.includes('clickhouse')) return [];
  // Accounts and keys live in the PostgreSQL both Tallies share; the events go to ClickHouse.
  const account = await signUp(url, 'fresh-ch');
  const editor = await createKey(url, account, 'EDITOR');
  const viewer = await createKey(url, account, 'VIEWER');
  const now = new Date();
  const range = { from: new Date(now.getTime() - 30 * DAY_MS).toISOString(), to: now.toISOString() };
  const body = JSON.stringify({ query: DASHBOARD_QUERY, variables: { w: account.workspaceId, range } });
  const [command, args] = onLoadCore([
    require.resolve('./dataset-load'),
    clickhouse.url,
    editor,
    String(EVENTS),
    String(BATCH),
    String(IN_FLIGHT),
    String(now.getTime()),
    String(Date.parse(range.from)),
    String(now.getTime()),
  ]);
  console.log(`  ClickHouse store: sending ${EVENTS.toLocaleString('en')} events through POST /v1/events…`);
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 1024 * 1024 });
  const loaded = JSON.parse(stdout) as { events: number; inRange: { events: number; errors: number }; seconds: number };
  console.log(
    `  sent in ${loaded.seconds.toFixed(1)} s: ${(loaded.events / loaded.seconds).toFixed(0)} events/s (batches of ${BATCH}, ${IN_FLIGHT} in flight)`,
  );
  const right = await sequential(clickhouse.url, viewer, body);
  checkTotals('ClickHouse', right.last, loaded.inRange);
  const merging = performance.now();
  await clickhouse.tally.services.events.settle();
  console.log(`  ClickHouse's merges (settle()): ${((performance.now() - merging) / 1000).toFixed(1)} s`);
  const after = await sequential(clickhouse.url, viewer, body);
  checkTotals('ClickHouse', after.last, loaded.inRange);
  const changed = difference(right.last, after.last);
  if (changed) throw new Error(`ClickHouse answered differently before and after its merges, at ${changed}`);
  const what = `Overview + Tools & Usage, 30 days of ${sizeOf(EVENTS)} (${DATASET_NAMES} names) sent through POST /v1/events, ClickHouse store (chdb)`;
  return [
    about(
      'clickhouse',
      row(`${what}, right after the load: p95`, report('ClickHouse', right.samples), 'ms', null, 250, 'lower'),
    ),
    about('clickhouse', row(`${what}, merged: p95`, report('ClickHouse', after.samples), 'ms', null, 60, 'lower')),
  ];
}
