import { Client } from 'pg';
import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { type Row, row } from './rows';

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
 * does: the same rows as one multi-row INSERT per batch into an unindexed table, autocommitted,
 * from the same number of connections.
 */
export async function ingestRows({ tally, url }: BenchContext): Promise<Row[]> {
  const key = await createKey(url, await signUp(url, 'ingest'), 'EDITOR');
  const admin = new Client({ connectionString: tally.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP TABLE IF EXISTS bench_ingest_baseline`);
    await admin.query(`CREATE TABLE bench_ingest_baseline (
      id uuid, session_id text, name text, type text, ts timestamptz, user_id text,
      duration_ms double precision, status text, properties jsonb)`);
    const common = [String(CONNECTIONS), String(DURATION_S), String(BATCH)];
    const tallyRun = () => load(['http', url, ...common, key]);
    const bareRun = () => load(['pg', tally.databaseUrl, ...common]);
    await tallyRun();
    await bareRun();
    const rounds: Array<{ bare: number; tally: number }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const bare = await bareRun();
      const measured = await tallyRun();
      rounds.push({ bare, tally: measured });
      console.log(
        `  round ${round + 1}: tally ${measured.toFixed(0)} events/s, bare INSERT ${bare.toFixed(0)} events/s`,
      );
    }
    const mid = [...rounds].sort((a, b) => a.tally / a.bare - b.tally / b.bare)[Math.floor(rounds.length / 2)];
    if (!mid) throw new Error('no rounds');
    return [
      row(
        `ingest events/s (batches of ${BATCH}, ${CONNECTIONS} connections, durable before 202) vs bare multi-row INSERT`,
        mid.tally,
        'events/s',
        mid.bare,
        0.6,
        'higher',
      ),
    ];
  } finally {
    await admin.query(`DROP TABLE IF EXISTS bench_ingest_baseline`).catch(() => undefined);
    await admin.end();
  }
}
