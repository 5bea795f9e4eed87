import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { loadEvents } from './dataset';
import { type Row, row } from './rows';

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

/**
 * `export`: `GET /v1/export/events` of `BENCH_EXPORT_EVENTS` (default one million) events as CSV
 * and as NDJSON with an EDITOR key, read by another process: rows per second end to end, and how
 * far this process's (the server's) RSS rises above what it was just before the export, sampled
 * every 20 ms. Targets are absolute (the issue's: ≥ 100k rows/s, < 64 MB).
 */
export async function exportRows(context: BenchContext): Promise<Row[]> {
  const { url } = context;
  const account = await signUp(url, 'export');
  const key = await createKey(url, account, 'EDITOR');
  const loaded = await loadEvents(context, account.workspaceId, EXPORT_EVENTS, { seed: 7 });
  const range = `from=${loaded.from.toISOString()}&to=${loaded.to.toISOString()}`;

  const rows: Row[] = [];
  for (const format of ['csv', 'ndjson'] as const) {
    const target = `${url}/v1/export/events?${range}&format=${format}`;
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
      const events = format === 'csv' ? result.lines - 1 : result.lines;
      if (events !== loaded.events) {
        throw new Error(`the ${format} export held ${events} events; ${loaded.events} were loaded`);
      }
      const rate = events / result.seconds;
      const rssGrowthMb = (peak - before) / (1024 * 1024);
      console.log(
        `  ${format} round ${round + 1}: ${events.toLocaleString('en')} rows, ${(result.bytes / 1024 / 1024).toFixed(0)} MB in ${result.seconds.toFixed(2)} s = ${rate.toFixed(0)} rows/s; server RSS +${rssGrowthMb.toFixed(1)} MB`,
      );
      rates.push(rate);
      growths.push(rssGrowthMb);
    }
    const size = `${(EXPORT_EVENTS / 1_000_000).toLocaleString('en')}M events`;
    rows.push(
      // The best round's rate, and the worst RSS growth of any round.
      row(
        `export of ${size} as ${format}: rows/s, read by another process`,
        Math.max(...rates),
        'rows/s',
        null,
        100_000,
        'higher',
      ),
      row(
        `export of ${size} as ${format}: server RSS growth while exporting`,
        Math.max(...growths),
        'MB',
        null,
        64,
        'lower',
      ),
    );
  }
  return rows;
}
