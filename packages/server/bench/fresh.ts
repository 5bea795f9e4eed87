import { Client } from 'pg';
import {
  DASHBOARD_QUERY,
  type DashboardAnswer,
  ask,
  checkTotals,
  difference,
  rawAnswer,
  report,
  sizeOf,
} from './analytics';
import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { DATASET_NAMES, datasetUsers } from './dataset';
import { type Row, about, row } from './rows';

const EVENTS = Number(process.env.BENCH_FRESH_EVENTS ?? 1_000_000);
const BATCH = 1000;
const IN_FLIGHT = 4;
/** Timed requests per phase, or fewer once SECONDS have passed (never under 20). */
const REQUESTS = Number(process.env.BENCH_FRESH_REQUESTS ?? 100);
const SECONDS = Number(process.env.BENCH_FRESH_SECONDS ?? 60);
const DAY_MS = 24 * 60 * 60 * 1000;
/** The advisory lock every rollup fold takes (postgres/compaction.ts). */
const FOLD_LOCK = `hashtext('tally_rollup_compaction')`;

interface Loaded {
  events: number;
  errors: number;
  inRange: { events: number; errors: number };
  batches: number;
  seconds: number;
}

/** The dashboard asked REQUESTS times in a row (after three not counted): the samples and the last answer. */
export async function sequential(
  url: string,
  key: string,
  body: string,
): Promise<{ samples: number[]; last: DashboardAnswer }> {
  const samples: number[] = [];
  let last: DashboardAnswer | null = null;
  for (let i = 0; i < 3; i += 1) last = (await ask(url, key, body)).answer;
  const started = performance.now();
  for (let i = 0; i < REQUESTS && (i < 20 || performance.now() - started < SECONDS * 1000); i += 1) {
    const asked = await ask(url, key, body);
    samples.push(asked.ms);
    last = asked.answer;
  }
  if (!last) throw new Error('no answer');
  return { samples, last };
}

/**
 * `fresh`: the dashboard a team opens right after an import or a burst, on the PostgreSQL store.
 * One million events (`BENCH_FRESH_EVENTS`; the generator's 200 names and at least 5,000 users)
 * go through `POST /v1/events` in batches of 1,000, 4 in flight, from another process. Then, with
 * the rollup fold's advisory lock held by the bench (so no fold job runs, whatever the queue
 * does), Overview (DAY) + Tools & Usage for 30 days with a VIEWER key: its p95 (≤ 250 ms) and the
 * same answer by GROUP BY on the raw events ÷ that p95. Then the store's settle() (what the fold
 * job does) and the same two figures settled (≤ 60 ms). Every answer must hold the generator's
 * counts of events and errors in the range.
 */
export async function freshRows(context: BenchContext): Promise<Row[]> {
  if (!context.stores.includes('postgres')) return [];
  const { tally, url } = context;
  const account = await signUp(url, 'fresh');
  const editor = await createKey(url, account, 'EDITOR');
  const viewer = await createKey(url, account, 'VIEWER');
  const now = new Date();
  const range = { from: new Date(now.getTime() - 30 * DAY_MS).toISOString(), to: now.toISOString() };
  const body = JSON.stringify({ query: DASHBOARD_QUERY, variables: { w: account.workspaceId, range } });

  const [command, args] = onLoadCore([
    require.resolve('./dataset-load'),
    url,
    editor,
    String(EVENTS),
    String(BATCH),
    String(IN_FLIGHT),
    String(now.getTime()),
    String(Date.parse(range.from)),
    String(now.getTime()),
  ]);
  console.log(
    `  sending ${EVENTS.toLocaleString('en')} events (${DATASET_NAMES} names, ${datasetUsers(EVENTS).toLocaleString('en')} users) through POST /v1/events…`,
  );
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 1024 * 1024 });
  const loaded = JSON.parse(stdout) as Loaded;
  console.log(
    `  sent in ${loaded.seconds.toFixed(1)} s: ${(loaded.events / loaded.seconds).toFixed(0)} events/s (batches of ${BATCH}, ${IN_FLIGHT} in flight)`,
  );

  const admin = new Client({ connectionString: tally.databaseUrl });
  await admin.connect();
  const unfolded = async () => {
    const { rows } = await admin.query<{ events: string; sessions: string }>(
      `SELECT (SELECT count(*) FROM event_rollup_deltas WHERE workspace_id = $1) AS events,
              (SELECT count(*) FROM session_rollup_deltas WHERE workspace_id = $1) AS sessions`,
      [account.workspaceId],
    );
    return `${Number(rows[0]?.events ?? 0).toLocaleString('en')} event and ${Number(rows[0]?.sessions ?? 0).toLocaleString('en')} session delta rows unfolded`;
  };
  let fresh: number[];
  let raw: { ms: number; events: number; users: number };
  let settled: number[];
  try {
    await admin.query(`SELECT pg_advisory_lock(${FOLD_LOCK})`);
    try {
      console.log(`  right after the load (folds held off): ${await unfolded()}`);
      const right = await sequential(url, viewer, body);
      checkTotals('PostgreSQL', right.last, loaded.inRange);
      fresh = right.samples;
      console.log(`  after those requests: ${await unfolded()}`);
    } finally {
      await admin.query(`SELECT pg_advisory_unlock(${FOLD_LOCK})`);
    }
    const before = (await ask(url, viewer, body)).answer;
    raw = await rawAnswer(tally.databaseUrl, [account.workspaceId, range.from, range.to]);
    const folding = performance.now();
    await tally.services.events.settle();
    console.log(`  settle() (the fold job's work): ${((performance.now() - folding) / 1000).toFixed(1)} s`);
    await admin.query(
      'ANALYZE event_rollups_hourly, event_rollups_daily, session_rollups_hourly, user_days_monthly, sessions',
    );
    const after = await sequential(url, viewer, body);
    checkTotals('PostgreSQL', after.last, loaded.inRange);
    const changed = difference(before, after.last);
    if (changed) throw new Error(`the dashboard answered differently before and after the fold, at ${changed}`);
    settled = after.samples;
  } finally {
    await admin.end();
  }
  const size = sizeOf(EVENTS);
  const freshP95 = report('PostgreSQL', fresh);
  const settledP95 = report('PostgreSQL', settled);
  const what = `Overview + Tools & Usage, 30 days of ${size} (${DATASET_NAMES} names) sent through POST /v1/events`;
  return [
    about('postgres', row(`${what}, right after the load, no fold since: p95`, freshP95, 'ms', null, 250, 'lower')),
    about(
      'postgres',
      row(
        `${what}, right after the load: same answer by GROUP BY on raw events ÷ that p95`,
        raw.ms,
        'ms',
        freshP95,
        5,
        'higher',
      ),
    ),
    about('postgres', row(`${what}, folded: p95`, settledP95, 'ms', null, 60, 'lower')),
    about(
      'postgres',
      row(`${what}, folded: same answer by GROUP BY on raw events ÷ that p95`, raw.ms, 'ms', settledP95, 20, 'higher'),
    ),
  ];
}
