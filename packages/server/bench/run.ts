import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/platform/config';
import { createTally } from '../src/server';
import { analyticsRows } from './analytics';
import { apiRows } from './api';
import { chdbAvailability, startClickHouseTally } from './clickhouse';
import { type BenchContext, type BenchTally, PINNING, execFileAsync } from './context';
import { exportRows } from './export';
import { freshRows } from './fresh';
import { freshClickHouseRows } from './fresh-clickhouse';
import { BUSY_CORES, OthersMonitor, type OthersLoad, type OthersStretch, cores } from './machine';
import { ingestRows } from './ingest';
import { sdkRows } from './sdk';
import { type EventsStoreName, type Failure, type Row, printFailures, printRows, writeResults } from './rows';
import { webRows } from './web';

/**
 * `pnpm bench [group …] [--events N] [--store postgres|clickhouse|both] [--events-ch N]`: starts
 * what it measures on this machine, measures every figure against a baseline taken in the same
 * run, prints a table and writes bench/results.json. Figures are ratios where they can be, so
 * they mean the same on a faster or slower machine. Without a group every group runs; a group run
 * alone replaces only its own rows in results.json (and only the stores' that ran).
 *
 * `--store` picks the event stores of the ingest, analytics and export rows: PostgreSQL, the
 * ClickHouse store (chdb in this process), or both (the comparisons between them need both).
 * Without it: PostgreSQL, and ClickHouse too whenever chdb is installed. `--events-ch N` adds an
 * analytics row over N events in ClickHouse alone (the issue's 100 million: it loads for long).
 */
const GROUPS: Record<string, (context: BenchContext) => Promise<Row[]>> = {
  // In the order a user meets them, which is the order they run in, however they are named on
  // the command line: events are written first, then read (the API, the dashboards' queries, the
  // dashboard in a browser, the export). A read figure then holds with the writes' aftermath
  // (rollups to fold, tables to vacuum) around it, as it does for a user, not only when its group
  // runs alone on a quiet database.
  ingest: ingestRows,
  // Writes a million events through HTTP and reads the dashboards right after them, then settled.
  fresh: async (context) => [...(await freshRows(context)), ...(await freshClickHouseRows(context))],
  api: apiRows,
  analytics: analyticsRows,
  web: webRows,
  export: exportRows,
  // The SDK's browser bundle (its size only: no Tally needed).
  sdk: sdkRows,
};

/** The groups with rows per event store (the others do not depend on it). */
const STORE_GROUPS = ['ingest', 'fresh', 'analytics', 'export'];

interface Args {
  groups: string[];
  events: number;
  /** `--store`; null: PostgreSQL, and ClickHouse when chdb is installed. */
  store: 'postgres' | 'clickhouse' | 'both' | null;
  eventsClickHouse: number | null;
}

function count(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1000) throw new Error(`${name} takes a whole number ≥ 1000`);
  return n;
}

function parseArgs(argv: readonly string[]): Args {
  const groups: string[] = [];
  const args: Args = { groups, events: 10_000_000, store: null, eventsClickHouse: null };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--') continue;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = () => inline ?? argv[(i += 1)];
    if (flag === '--events') args.events = count('--events', value());
    else if (flag === '--events-ch') args.eventsClickHouse = count('--events-ch', value());
    else if (flag === '--store') {
      const store = value();
      if (store !== 'postgres' && store !== 'clickhouse' && store !== 'both') {
        throw new Error('--store takes postgres, clickhouse or both');
      }
      args.store = store;
    } else if (arg in GROUPS) groups.push(arg);
    else throw new Error(`unknown bench argument "${arg}": groups are ${Object.keys(GROUPS).join(', ')}`);
  }
  if (groups.length === 0) groups.push(...Object.keys(GROUPS));
  const order = Object.keys(GROUPS);
  groups.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return { ...args, groups: [...new Set(groups)] };
}

/** The stores whose rows run; says in one line why ClickHouse's do not when they were not asked for. */
function chooseStores(args: Args): { stores: EventsStoreName[]; chdbDir: string | null } {
  if (!args.groups.some((group) => STORE_GROUPS.includes(group))) return { stores: ['postgres'], chdbDir: null };
  const chdb = chdbAvailability(process.env);
  const wanted: EventsStoreName[] =
    args.store === 'both' ? ['postgres', 'clickhouse'] : args.store ? [args.store] : ['postgres', 'clickhouse'];
  if (!wanted.includes('clickhouse')) return { stores: wanted, chdbDir: null };
  if (chdb.available) {
    console.log(`ClickHouse rows: chdb ${chdb.version} in this process, from ${chdb.chdbDir}`);
    return { stores: wanted, chdbDir: chdb.chdbDir };
  }
  if (args.store !== null) throw new Error(`--store ${args.store} needs ClickHouse, but ${chdb.why}`);
  console.log(`ClickHouse rows skipped: ${chdb.why}.`);
  return { stores: ['postgres'], chdbDir: null };
}

const line = '!'.repeat(100);

/** Before anything starts: a box when other processes are busy now (a figure measured beside them means little). */
function warnBefore(now: OthersLoad | null): void {
  const load = `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cores()} cores`;
  if (now === null) {
    console.log(`Could not read /proc: no check of other processes' CPU (${load}).`);
    return;
  }
  const busy = now.meanCores >= BUSY_CORES;
  const highLoad = (loadavg()[0] ?? 0) > 0.5 * cores();
  if (!busy) {
    console.log(
      `Other processes: ${now.meanCores.toFixed(2)} cores busy over 3 s (${load}${highLoad ? ', raised by recent work such as the build' : ''}).`,
    );
    return;
  }
  console.log(
    [
      line,
      `!! WARNING: other processes keep ${now.meanCores.toFixed(2)} of ${cores()} cores busy (${load}).`,
      '!! Every figure of this run shares the machine with them: ratios move, absolute figures more. Run',
      '!! the bench on an otherwise idle machine for figures that hold (see the otherCores of each row).',
      line,
    ].join('\n'),
  );
}

/** Beside the results: what other processes used during each group, and a box for the groups they disturbed. */
function warnDuring(before: OthersLoad | null, during: readonly OthersStretch[]): void {
  if (during.length === 0) return;
  console.log(
    '\nOther processes during each group (cores busy outside the bench: mean, peak; 1-min load average at its end):',
  );
  for (const o of during) {
    console.log(
      `  ${o.label.padEnd(10)} ${o.meanCores.toFixed(2)} mean, ${o.peakCores.toFixed(2)} peak; load average ${o.loadAverage.toFixed(2)}`,
    );
  }
  const disturbed = during.filter((o) => o.meanCores >= BUSY_CORES || o.peakCores >= 2 * BUSY_CORES);
  if (disturbed.length === 0 && (before === null || before.meanCores < BUSY_CORES)) return;
  console.log(
    [
      line,
      disturbed.length > 0
        ? `!! WARNING: other processes were busy during ${disturbed.map((o) => o.label).join(', ')} (≥ ${BUSY_CORES.toFixed(2)} cores on average, or twice that at a peak):`
        : '!! WARNING: other processes were busy when the run started:',
      '!! the figures above were measured beside them and may not hold on an idle machine.',
      line,
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { groups, events } = args;
  const { stores, chdbDir } = chooseStores(args);
  if (args.eventsClickHouse !== null && !stores.includes('clickhouse')) {
    throw new Error('--events-ch is a ClickHouse row: it needs chdb (and --store clickhouse or both, or none)');
  }
  const before = await OthersMonitor.now();
  warnBefore(before);
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-bench-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // The ingest rows send millions of events with one key, and the analytics rows ask hundreds
    // of dashboards a minute with one, some of which may take long: the limits are measured, not
    // hit (a p95 of 8 s says more than a refusal after 5).
    INGEST_EVENTS_PER_KEY_PER_MINUTE: '1000000000',
    ANALYTICS_QUERIES_PER_MINUTE: '1000000000',
    ANALYTICS_STATEMENT_TIMEOUT_MS: '600000',
  };
  const config = loadConfig(env);
  console.log(`Starting Tally (${config.databaseUrl ? 'DATABASE_URL' : 'embedded PostgreSQL'})…`);
  // A throw-away cluster: as root it lives outside dataDir and would outlive the rm below.
  const tally = await createTally(config, { keepEmbeddedCluster: false });
  let clickhouse: BenchTally | null = null;
  const rows: Array<Row & { group: string }> = [];
  const failures: Failure[] = [];
  const monitor = new OthersMonitor();
  const others: OthersStretch[] = [];
  try {
    const url = await tally.listen();
    if (chdbDir) {
      console.log('Starting a second Tally with EVENTS_STORE=clickhouse on the same PostgreSQL…');
      clickhouse = await startClickHouseTally(env, tally, chdbDir, dataDir);
    }
    // Pinned only now: the embedded PostgreSQL started above would otherwise inherit core 0 and
    // share it with this server in the Tally runs, while in the baselines it had the core alone.
    // Only this thread is pinned: the engines' own threads (chdb's, started above) may use both.
    if (PINNING) await execFileAsync('taskset', ['-p', '-c', '0', String(process.pid)]);
    const context: BenchContext = {
      tally,
      url,
      config,
      events,
      stores,
      clickhouse,
      eventsClickHouse: args.eventsClickHouse,
      failed: (name, reason) => failures.push({ name, reason }),
    };
    for (const group of groups) {
      console.log(`\n${group}:`);
      const run = GROUPS[group];
      if (!run) continue;
      monitor.start(group);
      for (const r of await run(context)) rows.push({ ...r, group });
    }
  } finally {
    others.push(...monitor.stop());
    await clickhouse?.tally.close();
    await tally.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const busyDuring = new Map(others.map((o) => [o.label, o]));
  const measured = rows.map((r) => {
    const during = busyDuring.get(r.group);
    return during ? { ...r, otherCores: Number(during.meanCores.toFixed(2)) } : r;
  });
  console.log('');
  printRows(measured);
  warnDuring(before, others);
  console.log(`\nwrote ${writeResults(measured, groups, stores)}`);
  if (failures.length > 0) {
    console.log('');
    printFailures(failures);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
