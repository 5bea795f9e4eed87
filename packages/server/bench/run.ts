import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/platform/config';
import { createTally } from '../src/server';
import { analyticsRows } from './analytics';
import { apiRows } from './api';
import { type BenchContext, PINNING, execFileAsync } from './context';
import { exportRows } from './export';
import { ingestRows } from './ingest';
import { type Row, printRows, writeResults } from './rows';
import { webRows } from './web';

/**
 * `pnpm bench [group …] [--events N]`: starts what it measures on this machine, measures every
 * figure against a baseline taken in the same run, prints a table and writes
 * bench/results.json. Figures are ratios where they can be, so they mean the same on a faster
 * or slower machine. Without a group every group runs; a group run alone replaces only its own
 * rows in results.json.
 */
const GROUPS: Record<string, (context: BenchContext) => Promise<Row[]>> = {
  api: apiRows,
  ingest: ingestRows,
  analytics: analyticsRows,
  export: exportRows,
  web: webRows,
};

function parseArgs(argv: readonly string[]): { groups: string[]; events: number } {
  const groups: string[] = [];
  let events = 10_000_000;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--') continue;
    if (arg === '--events' || arg.startsWith('--events=')) {
      const value = arg.includes('=') ? arg.slice('--events='.length) : argv[(i += 1)];
      events = Number(value);
      if (!Number.isInteger(events) || events < 1000) throw new Error('--events takes a whole number ≥ 1000');
    } else if (arg in GROUPS) groups.push(arg);
    else throw new Error(`unknown bench argument "${arg}": groups are ${Object.keys(GROUPS).join(', ')}`);
  }
  return { groups: groups.length > 0 ? groups : Object.keys(GROUPS), events };
}

async function main(): Promise<void> {
  const { groups, events } = parseArgs(process.argv.slice(2));
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-bench-'));
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // The ingest rows send millions of events with one key; the limit is measured, not hit.
    INGEST_EVENTS_PER_KEY_PER_MINUTE: '1000000000',
  });
  console.log(`Starting Tally (${config.databaseUrl ? 'DATABASE_URL' : 'embedded PostgreSQL'})…`);
  // A throw-away cluster: as root it lives outside dataDir and would outlive the rm below.
  const tally = await createTally(config, { keepEmbeddedCluster: false });
  const url = await tally.listen();
  // Pinned only now: the embedded PostgreSQL started above would otherwise inherit core 0 and
  // share it with this server in the Tally runs, while in the baselines it had the core alone.
  if (PINNING) await execFileAsync('taskset', ['-p', '-c', '0', String(process.pid)]);
  const rows: Array<Row & { group: string }> = [];
  try {
    for (const group of groups) {
      console.log(`\n${group}:`);
      const run = GROUPS[group];
      if (!run) continue;
      for (const r of await run({ tally, url, config, events })) rows.push({ ...r, group });
    }
  } finally {
    await tally.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log('');
  printRows(rows);
  console.log(`\nwrote ${writeResults(rows, groups)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
