import { Client } from 'pg';
import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { type EventsStoreName, type Row, about, row } from './rows';

const CONNECTIONS = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 8);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 100;
/** The big batches' row: the same load with batches of this size, against batches of BATCH. */
const BIG_BATCH = 1000;

interface LoadResult {
  events: number;
  batches: number;
  seconds: number;
}

async function load(args: string[]): Promise<number> {
  const [command, commandArgs] = onLoadCore([require.resolve('./ingest-load'), ...args]);
  const { stdout } = await execFileAsync(command, commandArgs, { maxBuffer: 1024 * 1024 });
  const result = JSON.parse(stdout) as LoadResult;
  return result.events / result.seconds;
}

/**
 * `ingest`: events accepted per second through `POST /v1/events` (an EDITOR key, batches of 100
 * events of one session each, 202 only once committed) against the least any durable store
 * does: the same rows as one multi-row INSERT per batch into an unindexed PostgreSQL table,
 * autocommitted, from the same number of connections. Per store of `--store`: the PostgreSQL
 * store (≥ 0.6 of the baseline) and the ClickHouse store (chdb in this process, ≥ 2×), each
 * round measuring the baseline and then every store, so that all see the same minutes. Then
 * per store, batches of 1,000 (ten sessions each) against its own batches of 100 in the same
 * round (≥ 1.5×): what a client gains by sending bigger batches.
 */
export async function ingestRows({ tally, url, stores, clickhouse }: BenchContext): Promise<Row[]> {
  const key = await createKey(url, await signUp(url, 'ingest'), 'EDITOR');
  const targets: Array<{ store: EventsStoreName; label: string; url: string }> = [
    ...(stores.includes('postgres') ? [{ store: 'postgres' as const, label: 'PostgreSQL store', url }] : []),
    ...(clickhouse ? [{ store: 'clickhouse' as const, label: 'ClickHouse store', url: clickhouse.url }] : []),
  ];
  const admin = new Client({ connectionString: tally.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP TABLE IF EXISTS bench_ingest_baseline`);
    await admin.query(`CREATE TABLE bench_ingest_baseline (
      id uuid, session_id text, name text, type text, ts timestamptz, user_id text,
      duration_ms double precision, status text, properties jsonb)`);
    const common = (batch: number) => [String(CONNECTIONS), String(DURATION_S), String(batch)];
    const tallyRun = (target: string, batch = BATCH) => load(['http', target, ...common(batch), key]);
    const bareRun = () => load(['pg', tally.databaseUrl, ...common(BATCH)]);
    for (const target of targets) await tallyRun(target.url);
    await bareRun();
    const rounds: Array<{ bare: number; tally: number[]; big: number[] }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const bare = await bareRun();
      const measured: number[] = [];
      const big: number[] = [];
      for (const target of targets) {
        measured.push(await tallyRun(target.url));
        big.push(await tallyRun(target.url, BIG_BATCH));
      }
      rounds.push({ bare, tally: measured, big });
      console.log(
        `  round ${round + 1}: ${targets.map((t, i) => `${t.label} ${measured[i]?.toFixed(0)} events/s (batches of ${BIG_BATCH}: ${big[i]?.toFixed(0)})`).join(', ')}, bare INSERT ${bare.toFixed(0)} events/s`,
      );
    }
    /** The round with the median of a ratio. */
    const median = (ratio: (r: (typeof rounds)[number]) => number) => {
      const mid = [...rounds].sort((a, b) => ratio(a) - ratio(b))[Math.floor(rounds.length / 2)];
      if (!mid) throw new Error('no rounds');
      return mid;
    };
    return targets.flatMap((target, i) => {
      const mid = median((r) => (r.tally[i] ?? 0) / r.bare);
      const bigMid = median((r) => (r.big[i] ?? 0) / (r.tally[i] ?? 1));
      const how = `batches of ${BATCH}, ${CONNECTIONS} connections, durable before 202`;
      const bigRow = about(
        target.store,
        row(
          `ingest events/s${target.store === 'clickhouse' ? ', ClickHouse store (chdb)' : ''}, batches of ${BIG_BATCH.toLocaleString('en')} (${CONNECTIONS} connections) vs the same with batches of ${BATCH}`,
          bigMid.big[i] ?? 0,
          'events/s',
          bigMid.tally[i] ?? 0,
          1.5,
          'higher',
        ),
      );
      const mainRow = about(
        target.store,
        target.store === 'postgres'
          ? row(
              `ingest events/s (${how}) vs bare multi-row INSERT`,
              mid.tally[i] ?? 0,
              'events/s',
              mid.bare,
              0.6,
              'higher',
            )
          : row(
              `ingest events/s, ClickHouse store (chdb; ${how}) vs bare PostgreSQL multi-row INSERT`,
              mid.tally[i] ?? 0,
              'events/s',
              mid.bare,
              2,
              'higher',
            ),
      );
      return [mainRow, bigRow];
    });
  } finally {
    await admin.query(`DROP TABLE IF EXISTS bench_ingest_baseline`).catch(() => undefined);
    await admin.end();
  }
}
