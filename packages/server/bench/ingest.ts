import { Client } from 'pg';
import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { type EventsStoreName, type Row, about, row } from './rows';

const CONNECTIONS = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 8);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 100;

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
 * round measuring the baseline and then every store, so that all see the same minutes.
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
    const common = [String(CONNECTIONS), String(DURATION_S), String(BATCH)];
    const tallyRun = (target: string) => load(['http', target, ...common, key]);
    const bareRun = () => load(['pg', tally.databaseUrl, ...common]);
    for (const target of targets) await tallyRun(target.url);
    await bareRun();
    const rounds: Array<{ bare: number; tally: number[] }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const bare = await bareRun();
      const measured: number[] = [];
      for (const target of targets) measured.push(await tallyRun(target.url));
      rounds.push({ bare, tally: measured });
      console.log(
        `  round ${round + 1}: ${targets.map((t, i) => `${t.label} ${measured[i]?.toFixed(0)} events/s`).join(', ')}, bare INSERT ${bare.toFixed(0)} events/s`,
      );
    }
    return targets.map((target, i) => {
      const ratio = (r: { bare: number; tally: number[] }) => (r.tally[i] ?? 0) / r.bare;
      const mid = [...rounds].sort((a, b) => ratio(a) - ratio(b))[Math.floor(rounds.length / 2)];
      if (!mid) throw new Error('no rounds');
      const how = `batches of ${BATCH}, ${CONNECTIONS} connections, durable before 202`;
      return about(
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
    });
  } finally {
    await admin.query(`DROP TABLE IF EXISTS bench_ingest_baseline`).catch(() => undefined);
    await admin.end();
  }
}
