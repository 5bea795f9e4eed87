import { Client } from 'pg';
import { loadClickHouseEvents } from './clickhouse';
import { type BenchContext, type BenchTally, createKey, signUp } from './context';
import { type LoadResult, loadEvents } from './dataset';
import { type Row, about, quantile, row } from './rows';

/** Timed requests per store, in BLOCKS turns (taken in turns when two stores run). */
const REQUESTS = Number(process.env.BENCH_ANALYTICS_REQUESTS ?? 200);
const BLOCKS = 4;
/** Time a store may take for its timed requests (about): a slow store gets fewer of them. */
const SECONDS = Number(process.env.BENCH_ANALYTICS_SECONDS ?? 120);
const BASELINE_RUNS = Number(process.env.BENCH_ANALYTICS_BASELINE_RUNS ?? 3);
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What the dashboard's Overview and Tools & Usage pages ask, in one request: each with the
 * previous period beside it, and Tools & Usage with up to 500 names (all of them, in the
 * dataset's 200), as `overview.graphql` and `tools-usage.graphql` ask.
 */
export const DASHBOARD_QUERY = `query($w: ID!, $range: DateRangeInput!) {
  workspace(id: $w) {
    analytics(range: $range) {
      overview(interval: DAY, compare: PREVIOUS_PERIOD) {
        sessions events users errors avgSessionDurationMs
        series { at sessions events }
        annotations { id at text }
        previous { sessions events users errors avgSessionDurationMs series { at sessions events } }
      }
      toolsUsage(limit: 500, compare: PREVIOUS_PERIOD) {
        name type count sessions errorRate avgDurationMs p95DurationMs
        previousCount previousErrorRate previousP95DurationMs
      }
    }
  }
}`;

/**
 * The same answer from the raw events alone, by GROUP BY: totals and the daily series, sessions
 * (first and last event per session), distinct users, and per name the counts, sessions, error
 * rate, mean and exact p95 — for the range and for the period before it, each statement on its
 * own connection at once, as Tally's own queries run.
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
     FROM events WHERE workspace_id = $1 AND ts >= $2 AND ts < $3 GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 500`,
];

/** The period before `from`–`to`, of the same length (what PREVIOUS_PERIOD compares with). */
function previousPeriod(from: string, to: string): [string, string] {
  const length = Date.parse(to) - Date.parse(from);
  return [new Date(Date.parse(from) - length).toISOString(), from];
}

export async function rawAnswer(
  databaseUrl: string,
  [workspaceId, from, to]: [string, string, string],
): Promise<{ ms: number; events: number; users: number }> {
  const values = [workspaceId, from, to];
  const previous = [workspaceId, ...previousPeriod(from, to)];
  const statements = [...RAW_SQL.map((sql) => ({ sql, values })), ...RAW_SQL.map((sql) => ({ sql, values: previous }))];
  const clients = statements.map(() => new Client({ connectionString: databaseUrl }));
  await Promise.all(clients.map((client) => client.connect()));
  try {
    const runs: number[] = [];
    let events = 0;
    let users = 0;
    for (let run = 0; run < BASELINE_RUNS; run += 1) {
      const started = performance.now();
      const results = await Promise.all(statements.map(({ sql, values: v }, i) => clients[i]?.query(sql, v)));
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

export type DashboardAnswer = {
  overview: {
    sessions: number;
    events: number;
    users: number;
    errors: number;
    avgSessionDurationMs: number | null;
    series: Array<{ at: string; sessions: number; events: number }>;
  };
  toolsUsage: Array<{ name: string; type: string; count: number; sessions: number; errorRate: number }>;
};

/** One dashboard request, as the web app sends it: its answer and how long it took. */
export async function ask(url: string, key: string, body: string): Promise<{ ms: number; answer: DashboardAnswer }> {
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
  });
  const answer = (await response.json()) as {
    data?: { workspace: { analytics: DashboardAnswer | null } | null } | null;
    errors?: unknown;
  };
  const ms = performance.now() - started;
  const analytics = answer.data?.workspace?.analytics;
  if (answer.errors !== undefined || !analytics) {
    const messages = Array.isArray(answer.errors) ? answer.errors.map((e) => Reflect.get(Object(e), 'message')) : [];
    throw new Refused(messages.length > 0 ? messages.join('; ') : JSON.stringify(answer));
  }
  return { ms, answer: analytics };
}

/** The store refused the request (a statement over its time or memory limit): its rows fail, the others go on. */
export class Refused extends Error {
  override name = 'Refused';
}

/** `ask`, or why the store refused (any other failure stops the bench). */
async function tryAsk(
  url: string,
  key: string,
  body: string,
): Promise<{ ms: number; answer: DashboardAnswer } | Refused> {
  try {
    return await ask(url, key, body);
  } catch (error) {
    if (error instanceof Refused) return error;
    throw error;
  }
}

/**
 * Where two answers differ ('' when they do not): counts exactly, averages and rates to 1e-9
 * (the stores add up floating-point durations in another order).
 */
export function difference(a: unknown, b: unknown, path = ''): string {
  if (typeof a === 'number' && typeof b === 'number') {
    const same =
      Number.isInteger(a) && Number.isInteger(b) ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
    return same ? '' : `${path}: ${a} ≠ ${b}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} ≠ ${b.length} items`;
    for (let i = 0; i < a.length; i += 1) {
      const found = difference(a[i], b[i], `${path}[${i}]`);
      if (found) return found;
    }
    return '';
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const found = difference(Reflect.get(a, key), Reflect.get(b, key), path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return '';
  }
  return a === b ? '' : `${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
}

/** Exact, or the figure means nothing: the store answers the generator's own counts of the range. */
export function checkTotals(store: string, answer: DashboardAnswer, expected: LoadResult['inRange']): void {
  const { events, errors } = answer.overview;
  if (events !== expected.events || errors !== expected.errors) {
    throw new Error(
      `${store}: the dashboard says ${events} events, ${errors} errors; the generator made ${expected.events} and ${expected.errors} in the range`,
    );
  }
}

/**
 * Sequential requests in blocks taking turns between the stores, so that neither gets the quieter
 * minutes: REQUESTS per store, or fewer (never under 5 a block) once a store has spent its share
 * of SECONDS in a block, so that a store taking seconds a request still finishes in minutes. A
 * store that refuses a request is not asked again (its `refused` says why).
 */
async function sample(
  targets: ReadonlyArray<{ url: string; key: string }>,
  body: string,
): Promise<Array<{ samples: number[]; refused: Refused | null }>> {
  const results = targets.map(() => ({ samples: [] as number[], refused: null as Refused | null }));
  const blocks = Math.max(1, Math.min(BLOCKS, REQUESTS));
  const budgetMs = (SECONDS * 1000) / blocks;
  const spend = async (t: number, requests: number, minimum: number, record: boolean) => {
    const target = targets[t];
    const result = results[t];
    if (!target || !result) return;
    const started = performance.now();
    for (let i = 0; i < requests && (i < minimum || performance.now() - started < budgetMs); i += 1) {
      if (result.refused) return;
      const asked = await tryAsk(target.url, target.key, body);
      if (asked instanceof Refused) result.refused = asked;
      else if (record) result.samples.push(asked.ms);
    }
  };
  for (const t of targets.keys()) await spend(t, 10, 1, false);
  for (let block = 0; block < blocks; block += 1) {
    const requests = Math.floor(REQUESTS / blocks) + (block < REQUESTS % blocks ? 1 : 0);
    for (const t of targets.keys()) await spend(t, requests, Math.min(5, requests), true);
  }
  return results;
}

export function sizeOf(events: number): string {
  return `${(events / 1_000_000).toLocaleString('en')}M events`;
}

/**
 * `analytics`: Overview + Tools & Usage for the last 30 days over `--events` events (default
 * ten million) with a VIEWER key, p95 over sequential requests, on each store of `--store`, with
 * the same events (one generator, seed and `now`) in the same workspace:
 *
 * - PostgreSQL: against the same numbers by GROUP BY on the raw events. The rollup deltas are
 *   folded first, as the minutely job keeps them.
 * - ClickHouse (chdb): its p95 against the issue's 50 ms, and PostgreSQL's p95 ÷ its p95 when both
 *   ran (requests taking turns in blocks). Merged first, as ClickHouse's background merges do.
 * - `--events-ch N`: the ClickHouse p95 over N events of another workspace (200 ms at 100 M).
 *
 * Before any timing, each store's answer must hold the generator's counts of events and errors in
 * the range, and the two stores' answers must be the same, every count of them.
 */
export async function analyticsRows(context: BenchContext): Promise<Row[]> {
  const { tally, url, events, clickhouse } = context;
  const postgres = context.stores.includes('postgres');
  const account = await signUp(url, 'analytics');
  const key = await createKey(url, account, 'VIEWER');
  const now = new Date();
  const range = { from: new Date(now.getTime() - 30 * DAY_MS).toISOString(), to: now.toISOString() };
  const window = { from: new Date(range.from), to: now };
  const body = JSON.stringify({ query: DASHBOARD_QUERY, variables: { w: account.workspaceId, range } });
  let expected: LoadResult['inRange'] | null = null;
  if (postgres) {
    console.log('  PostgreSQL store:');
    expected = (await loadEvents(context, account.workspaceId, events, { now, range: window })).inRange;
    await tally.services.events.settle();
    await tally.db.query(
      'VACUUM (ANALYZE) event_rollups_hourly, event_rollups_daily, session_rollups_hourly, user_days_monthly, sessions',
    );
  }
  if (clickhouse) {
    console.log('  ClickHouse store:');
    const loaded = await loadClickHouseEvents(clickhouse, account.workspaceId, events, { now, range: window });
    if (expected && difference(expected, loaded.inRange)) throw new Error('the generator made other events twice');
    expected = loaded.inRange;
  }
  if (!expected) return [];

  const raw = postgres ? await rawAnswer(tally.databaseUrl, [account.workspaceId, range.from, range.to]) : null;
  const size = sizeOf(events);
  const names = {
    pgP95: `Overview + Tools & Usage, 30 days of ${size}: p95 of one dashboard request`,
    rawRatio: `Overview + Tools & Usage, 30 days of ${size}: same answer by GROUP BY on raw events ÷ Tally's p95`,
    chP95: `Overview + Tools & Usage, 30 days of ${size}, ClickHouse store (chdb): p95`,
    ratio: `Overview + Tools & Usage, 30 days of ${size}: PostgreSQL store's p95 ÷ ClickHouse store's p95`,
  };
  const both = postgres && clickhouse !== null;
  const rowsOf: Record<Store, string[]> = {
    PostgreSQL: [names.pgP95, names.rawRatio, ...(both ? [names.ratio] : [])],
    ClickHouse: [names.chP95, ...(both ? [names.ratio] : [])],
  };
  const refuse = (store: Store, refused: Refused) => {
    console.log(`  ${store} refused the request: ${refused.message}`);
    for (const name of rowsOf[store]) context.failed(name, `${store} refused the request: ${refused.message}`);
  };

  const targets: Array<{ store: Store; url: string; key: string }> = [];
  const answers: DashboardAnswer[] = [];
  for (const target of [
    ...(postgres ? [{ store: 'PostgreSQL' as const, url, key }] : []),
    ...(clickhouse ? [{ store: 'ClickHouse' as const, url: clickhouse.url, key }] : []),
  ]) {
    const asked = await tryAsk(target.url, key, body);
    if (asked instanceof Refused) {
      refuse(target.store, asked);
      continue;
    }
    checkTotals(target.store, asked.answer, expected);
    // Users of sessions started in the range can only be fewer than those of any event in it.
    const { overview } = asked.answer;
    if (target.store === 'PostgreSQL' && raw && (overview.events !== raw.events || overview.users > raw.users)) {
      throw new Error(
        `Overview says ${overview.events} events, ${overview.users} users; raw rows: ${JSON.stringify(raw)}`,
      );
    }
    targets.push(target);
    answers.push(asked.answer);
  }
  const [first, second] = answers;
  if (first && second) {
    const found = difference(first, second);
    if (found) throw new Error(`the stores answer differently at ${found}`);
    console.log(
      `  same answer from both stores: ${expected.events.toLocaleString('en')} events, ${first.overview.sessions.toLocaleString('en')} sessions, ${first.overview.users.toLocaleString('en')} users, ${first.toolsUsage.length} names`,
    );
  }

  const p95s = new Map<Store, number>();
  for (const [i, { samples, refused }] of (await sample(targets, body)).entries()) {
    const store = targets[i]?.store;
    if (!store) continue;
    if (refused) refuse(store, refused);
    else p95s.set(store, report(store, samples));
  }
  const pgP95 = p95s.get('PostgreSQL');
  const chP95 = p95s.get('ClickHouse');
  const rows: Row[] = [];
  if (raw && pgP95 !== undefined) {
    rows.push(
      about('postgres', row(names.pgP95, pgP95, 'ms', null, 100, 'lower')),
      about('postgres', row(names.rawRatio, raw.ms, 'ms', pgP95, 20, 'higher')),
    );
  }
  if (chP95 !== undefined) rows.push(about('clickhouse', row(names.chP95, chP95, 'ms', null, 50, 'lower')));
  if (pgP95 !== undefined && chP95 !== undefined) {
    rows.push(about('both', row(names.ratio, pgP95, 'ms', chP95, 3, 'higher')));
  }
  if (clickhouse && context.eventsClickHouse !== null) {
    rows.push(...(await largeClickHouseRow(context, clickhouse, context.eventsClickHouse)));
  }
  return rows;
}

export type Store = 'PostgreSQL' | 'ClickHouse';

/** Prints a store's p50 and p95; returns the p95. */
export function report(store: Store, samples: readonly number[]): number {
  const p95 = quantile(samples, 0.95);
  console.log(
    `  ${store}: p50 ${quantile(samples, 0.5).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms over ${samples.length} requests`,
  );
  return p95;
}

/**
 * `--events-ch N`: the dashboard's p95 over N events in ClickHouse alone, in a workspace of their
 * own (the issue: 100 M, < 200 ms), checked against the generator's counts first.
 */
async function largeClickHouseRow(context: BenchContext, clickhouse: BenchTally, events: number): Promise<Row[]> {
  const name = `Overview + Tools & Usage, 30 days of ${sizeOf(events)}, ClickHouse store (chdb): p95`;
  console.log(`  ClickHouse store, ${sizeOf(events)} (--events-ch):`);
  const account = await signUp(context.url, 'analytics-ch');
  const key = await createKey(context.url, account, 'VIEWER');
  const now = new Date();
  const range = { from: new Date(now.getTime() - 30 * DAY_MS).toISOString(), to: now.toISOString() };
  const loaded = await loadClickHouseEvents(clickhouse, account.workspaceId, events, {
    now,
    range: { from: new Date(range.from), to: now },
  });
  const body = JSON.stringify({ query: DASHBOARD_QUERY, variables: { w: account.workspaceId, range } });
  const target = { url: clickhouse.url, key };
  const refuse = (refused: Refused): Row[] => {
    console.log(`  ClickHouse refused the request: ${refused.message}`);
    context.failed(name, `ClickHouse refused the request: ${refused.message}`);
    return [];
  };
  const asked = await tryAsk(target.url, key, body);
  if (asked instanceof Refused) return refuse(asked);
  checkTotals('ClickHouse', asked.answer, loaded.inRange);
  const [result] = await sample([target], body);
  if (!result) return [];
  if (result.refused) return refuse(result.refused);
  return [about('clickhouse', row(name, report('ClickHouse', result.samples), 'ms', null, 200, 'lower'))];
}
