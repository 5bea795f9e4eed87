import { Client } from 'pg';
import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { cpuMsOf, ownCpuMs } from './ingest-load';
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
  /** The load generator's CPU during the run. */
  cpuMs: number;
  /** Its PostgreSQL backends' CPU (`pg` runs). */
  dbCpuMs?: number;
}

/** A run: events/s, and the CPU it took per 1,000 events (server, PostgreSQL, load generator). */
interface Measured {
  events: number;
  rate: number;
  cpu: { server: number; db: number; load: number };
}

async function load(args: string[]): Promise<Measured> {
  const [command, commandArgs] = onLoadCore([require.resolve('./ingest-load'), ...args]);
  const { stdout } = await execFileAsync(command, commandArgs, { maxBuffer: 1024 * 1024 });
  const result = JSON.parse(stdout) as LoadResult;
  const per = (ms: number) => (ms / result.events) * 1000;
  return {
    events: result.events,
    rate: result.events / result.seconds,
    cpu: { server: 0, db: per(result.dbCpuMs ?? 0), load: per(result.cpuMs) },
  };
}

/** CPU per 1,000 events in all, and by part. */
function cpuLine({ cpu }: Measured): string {
  const total = cpu.server + cpu.db + cpu.load;
  return `${total.toFixed(0)} ms (server ${cpu.server.toFixed(0)}, PostgreSQL ${cpu.db.toFixed(0)}, load ${cpu.load.toFixed(0)})`;
}

/**
 * `ingest`: events accepted per second through `POST /v1/events` (an EDITOR key, batches of 100
 * events of one session each, 202 only once committed) against the least any durable store
 * does: the same rows as one multi-row INSERT per batch into an unindexed PostgreSQL table,
 * autocommitted, from the same number of connections. Per store of `--store`: the PostgreSQL
 * store (≥ 0.4 of the baseline, issue 19) and the ClickHouse store (chdb in this process, ≥ 2×), each
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
    // The CPU a run took, which a busy machine does not skew as it does the rates: this process
    // (the servers) and the database's backends (the pools' connections outlive a run).
    const backends = async () =>
      (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        )
      ).rows.map((r) => r.pid);
    const tallyRun = async (target: string, batch = BATCH): Promise<Measured> => {
      const db = cpuMsOf(await backends());
      const server = process.cpuUsage();
      const measured = await load(['http', target, ...common(batch), key]);
      const serverMs = ownCpuMs(server);
      let dbMs = 0;
      for (const [pid, ms] of cpuMsOf(await backends())) dbMs += ms - (db.get(pid) ?? 0);
      const thousands = measured.events / 1000;
      return { ...measured, cpu: { ...measured.cpu, server: serverMs / thousands, db: dbMs / thousands } };
    };
    const bareRun = () => load(['pg', tally.databaseUrl, ...common(BATCH)]);
    for (const target of targets) await tallyRun(target.url);
    await bareRun();
    const rounds: Array<{ bare: number; tally: number[]; big: number[] }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const bare = await bareRun();
      const measured: Measured[] = [];
      const big: Measured[] = [];
      for (const target of targets) {
        measured.push(await tallyRun(target.url));
        big.push(await tallyRun(target.url, BIG_BATCH));
      }
      rounds.push({ bare: bare.rate, tally: measured.map((m) => m.rate), big: big.map((m) => m.rate) });
      console.log(
        `  round ${round + 1}: ${targets.map((t, i) => `${t.label} ${measured[i]?.rate.toFixed(0)} events/s (batches of ${BIG_BATCH}: ${big[i]?.rate.toFixed(0)})`).join(', ')}, bare INSERT ${bare.rate.toFixed(0)} events/s`,
      );
      console.log(
        `    CPU per 1,000 events: ${targets.map((t, i) => `${t.label} ${cpuLine(measured[i] as Measured)} (batches of ${BIG_BATCH}: ${cpuLine(big[i] as Measured)})`).join(', ')}, bare INSERT ${cpuLine(bare)}`,
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
              0.4,
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
