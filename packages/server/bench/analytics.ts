import { Client } from 'pg';
import { type BenchContext, createKey, signUp } from './context';
import { loadEvents } from './dataset';
import { type Row, quantile, row } from './rows';

const REQUESTS = Number(process.env.BENCH_ANALYTICS_REQUESTS ?? 200);
const BASELINE_RUNS = Number(process.env.BENCH_ANALYTICS_BASELINE_RUNS ?? 3);
const DAY_MS = 24 * 60 * 60 * 1000;

/** What the dashboard's Overview and Tools & Usage pages ask, in one request. */
const QUERY = `query($w: ID!, $range: DateRangeInput!) {
  workspace(id: $w) {
    analytics(range: $range) {
      overview(interval: DAY) {
        sessions events users errors avgSessionDurationMs
        series { at sessions events }
        annotations { id at text }
      }
      toolsUsage(limit: 100) { name type count sessions errorRate avgDurationMs p95DurationMs }
    }
  }
}`;

/**
 * The same answer from the raw events alone, by GROUP BY: totals and the daily series, sessions
 * (first and last event per session), distinct users, and per name the counts, sessions, error
 * rate, mean and exact p95 — each statement on its own connection at once, as Tally's own
 * queries run.
 */
const RAW_SQL = [
  `SELECT date_trunc('day', ts, 'UTC') AS day, count(*) AS events, count(*) FILTER (WHERE status = 'error') AS errors
     FROM events WHERE workspace_id = $1 AND ts >= $2 AND ts < $3 GROUP BY 1`,
  `SELECT date_trunc('day', started, 'UTC') AS day, count(*) AS sessions, avg(ended - started) AS duration
     FROM (SELECT min(ts) AS started, max(ts) AS ended FROM events
            WHERE workspace_id = $1 AND ts >= $2 AND ts < $3 GROUP BY session_id) s GROUP BY 1`,
  `SELECT count(DISTINCT user_id) AS users FROM events WHERE workspace_id = $1 AND ts >= $2 AND ts < $3`,
  `SELECT name, type, count(*) AS events, count(DISTINCT session_id) AS sessions,
          count(*) FILTER (WHERE status = 'error')::float8 / count(*) AS error_rate, avg(duration_ms) AS avg_ms,
          percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms
     FROM events WHERE workspace_id = $1 AND ts >= $2 AND ts < $3 GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 100`,
];

async function rawAnswer(
  databaseUrl: string,
  values: unknown[],
): Promise<{ ms: number; events: number; users: number }> {
  const clients = RAW_SQL.map(() => new Client({ connectionString: databaseUrl }));
  await Promise.all(clients.map((client) => client.connect()));
  try {
    const runs: number[] = [];
    let events = 0;
    let users = 0;
    for (let run = 0; run < BASELINE_RUNS; run += 1) {
      const started = performance.now();
      const results = await Promise.all(RAW_SQL.map((sql, i) => clients[i]?.query(sql, values)));
      runs.push(performance.now() - started);
      events = (results[0]?.rows ?? []).reduce((sum: number, r: { events: string }) => sum + Number(r.events), 0);
      users = Number((results[2]?.rows[0] as { users?: string } | undefined)?.users ?? 0);
      console.log(`  raw GROUP BY run ${run + 1}: ${runs.at(-1)?.toFixed(0)} ms`);
    }
    return { ms: quantile(runs, 0.5), events, users };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/**
 * `analytics`: Overview + Tools & Usage for the last 30 days over `--events` events (default
 * ten million) with a VIEWER key, p95 over sequential requests, against the same numbers by
 * GROUP BY on the raw events. The rollup deltas are folded first, as the minutely job keeps them.
 */
export async function analyticsRows(context: BenchContext): Promise<Row[]> {
  const { tally, url, events } = context;
  const account = await signUp(url, 'analytics');
  const key = await createKey(url, account, 'VIEWER');
  const now = new Date();
  await loadEvents(context, account.workspaceId, events, { now });
  await tally.services.events.settle();
  await tally.db.query(
    'VACUUM (ANALYZE) event_rollups_hourly, event_rollups_daily, session_rollups_hourly, user_days_monthly, sessions',
  );

  const range = { from: new Date(now.getTime() - 30 * DAY_MS).toISOString(), to: now.toISOString() };
  const raw = await rawAnswer(tally.databaseUrl, [account.workspaceId, range.from, range.to]);
  const body = JSON.stringify({ query: QUERY, variables: { w: account.workspaceId, range } });
  const ask = async (): Promise<number> => {
    const started = performance.now();
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
    });
    const answer = (await response.json()) as {
      data?: { workspace: { analytics: { overview: { events: number; users: number } } } };
      errors?: unknown;
    };
    const took = performance.now() - started;
    if (!answer.data) throw new Error(`analytics failed: ${JSON.stringify(answer.errors)}`);
    // Exact, or the figure means nothing: the raw rows' events; users of sessions started in the
    // range can only be fewer than those of any event in it.
    const overview = answer.data.workspace.analytics.overview;
    if (overview.events !== raw.events || overview.users > raw.users) {
      throw new Error(
        `Overview says ${overview.events} events, ${overview.users} users; raw rows: ${JSON.stringify(raw)}`,
      );
    }
    return took;
  };
  for (let i = 0; i < 10; i += 1) await ask();
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i += 1) samples.push(await ask());
  const p95 = quantile(samples, 0.95);
  console.log(
    `  Tally: p50 ${quantile(samples, 0.5).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms over ${REQUESTS} requests`,
  );
  const size = `${(events / 1_000_000).toLocaleString('en')}M events`;
  return [
    row(`Overview + Tools & Usage, 30 days of ${size}: p95 of one dashboard request`, p95, 'ms', null, 100, 'lower'),
    row(
      `Overview + Tools & Usage, 30 days of ${size}: same answer by GROUP BY on raw events ÷ Tally's p95`,
      raw.ms,
      'ms',
      p95,
      20,
      'higher',
    ),
  ];
}
