import type { ExportFormat } from '../src/modules/events/event-store';
import { loadClickHouseEvents } from './clickhouse';
import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { loadEvents } from './dataset';
import { type Row, about, row } from './rows';

const EXPORT_EVENTS = Number(process.env.BENCH_EXPORT_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SAMPLE_MS = 20;

interface ReadResult {
  bytes: number;
  lines: number;
  seconds: number;
}

/**
 * The reader, as its own process on the load generator's core (so the server's RSS and CPU are
 * the server's alone): streams the export to nowhere, counting lines, as a client saving a file
 * does. Printed as JSON.
 */
const READER = `
const [url, key] = process.argv.slice(1);
(async () => {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: 'Bearer ' + key } });
  if (response.status !== 200) throw new Error('export answered ' + response.status + ': ' + (await response.text()));
  let bytes = 0, lines = 0;
  for await (const chunk of response.body) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
  }
  process.stdout.write(JSON.stringify({ bytes, lines, seconds: (performance.now() - started) / 1000 }));
})().catch((error) => { console.error(error); process.exit(1); });`;

async function read(url: string, key: string): Promise<ReadResult> {
  const [command, args] = onLoadCore(['-e', READER, url, key]);
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout) as ReadResult;
}

/** Rounds of one export: the best rate and the worst RSS growth of this process (the server). */
async function measure(target: string, key: string, format: ExportFormat, events: number) {
  const rates: number[] = [];
  const growths: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, SAMPLE_MS);
    let result: ReadResult;
    try {
      result = await read(target, key);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    // CSV has a header row; NDJSON a line per event.
    const exported = format === 'csv' ? result.lines - 1 : result.lines;
    if (exported !== events) throw new Error(`the ${format} export held ${exported} events; ${events} were loaded`);
    const rate = exported / result.seconds;
    const rssGrowthMb = (peak - before) / (1024 * 1024);
    console.log(
      `  ${format} round ${round + 1}: ${exported.toLocaleString('en')} rows, ${(result.bytes / 1024 / 1024).toFixed(0)} MB in ${result.seconds.toFixed(2)} s = ${rate.toFixed(0)} rows/s; server RSS +${rssGrowthMb.toFixed(1)} MB`,
    );
    rates.push(rate);
    growths.push(rssGrowthMb);
  }
  return { rate: Math.max(...rates), growthMb: Math.max(...growths) };
}

/**
 * `export`: `GET /v1/export/events` of `BENCH_EXPORT_EVENTS` (default one million) events with an
 * EDITOR key, read by another process: rows per second end to end, and how far this process's
 * (the server's) RSS rises above what it was just before the export, sampled every 20 ms. Targets
 * are absolute (the issues'): the PostgreSQL store as CSV and NDJSON, ≥ 100k rows/s; the
 * ClickHouse store (chdb, in this process: its memory counts) as CSV, ≥ 300k rows/s; < 64 MB.
 */
export async function exportRows(context: BenchContext): Promise<Row[]> {
  const { url, stores, clickhouse } = context;
  const account = await signUp(url, 'export');
  const key = await createKey(url, account, 'EDITOR');
  const size = `${(EXPORT_EVENTS / 1_000_000).toLocaleString('en')}M events`;
  const rows: Row[] = [];
  if (stores.includes('postgres')) {
    console.log('  PostgreSQL store:');
    const loaded = await loadEvents(context, account.workspaceId, EXPORT_EVENTS, { seed: 7 });
    const range = `from=${loaded.from.toISOString()}&to=${loaded.to.toISOString()}`;
    for (const format of ['csv', 'ndjson'] as const) {
      const { rate, growthMb } = await measure(
        `${url}/v1/export/events?${range}&format=${format}`,
        key,
        format,
        loaded.events,
      );
      rows.push(
        about(
          'postgres',
          row(
            `export of ${size} as ${format}: rows/s, read by another process`,
            rate,
            'rows/s',
            null,
            100_000,
            'higher',
          ),
        ),
        about(
          'postgres',
          row(`export of ${size} as ${format}: server RSS growth while exporting`, growthMb, 'MB', null, 64, 'lower'),
        ),
      );
    }
  }
  if (clickhouse) {
    console.log('  ClickHouse store:');
    const loaded = await loadClickHouseEvents(clickhouse, account.workspaceId, EXPORT_EVENTS, { seed: 7 });
    const range = `from=${loaded.from.toISOString()}&to=${loaded.to.toISOString()}`;
    const { rate, growthMb } = await measure(
      `${clickhouse.url}/v1/export/events?${range}&format=csv`,
      key,
      'csv',
      loaded.events,
    );
    rows.push(
      about(
        'clickhouse',
        row(
          `export of ${size} as csv, ClickHouse store (chdb): rows/s, read by another process`,
          rate,
          'rows/s',
          null,
          300_000,
          'higher',
        ),
      ),
      about(
        'clickhouse',
        row(
          `export of ${size} as csv, ClickHouse store (chdb): server RSS growth while exporting`,
          growthMb,
          'MB',
          null,
          64,
          'lower',
        ),
      ),
    );
  }
  return rows;
}
