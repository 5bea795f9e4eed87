import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHDB_VERSION, loadConfig } from '../src/platform/config';
import { type Tally, createTally } from '../src/server';
import type { BenchTally } from './context';
import { type LoadOptions, type LoadResult, loadEvents } from './dataset';

/** Where the ClickHouse rows' engine comes from, or why they cannot run here. */
export type ChdbAvailability =
  { available: true; chdbDir: string; version: string } | { available: false; why: string };

/**
 * Whether chdb is installed where the server would load it from (CHDB_DIR, else the cache folder
 * `pnpm start` installs it into). The bench measures ClickHouse in this process, through chdb, as
 * the targets are set on; CLICKHOUSE_URL is not used by it.
 */
export function chdbAvailability(env: NodeJS.ProcessEnv): ChdbAvailability {
  const config = loadConfig({ ...env, EVENTS_STORE: 'clickhouse' });
  if (config.events.store !== 'clickhouse') throw new Error('EVENTS_STORE=clickhouse was not applied');
  const { chdbDir } = config.events;
  const manifest = join(chdbDir, 'node_modules', 'chdb', 'package.json');
  if (!existsSync(manifest)) {
    return {
      available: false,
      why: `chdb is not installed in ${chdbDir} (set CHDB_DIR to a folder with chdb ${CHDB_VERSION} in its node_modules)`,
    };
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string };
  return { available: true, chdbDir, version: version ?? 'unknown' };
}

/**
 * A second Tally in this process with EVENTS_STORE=clickhouse: ClickHouse in-process (chdb, its
 * files in `dataDir`), everything else on the first Tally's PostgreSQL, so accounts, workspaces and
 * keys are shared and the same workspace can hold the same events in both stores.
 */
export async function startClickHouseTally(
  env: NodeJS.ProcessEnv,
  postgres: Tally,
  chdbDir: string,
  dataDir: string,
): Promise<BenchTally> {
  const config = loadConfig({ ...env, EVENTS_STORE: 'clickhouse', DATABASE_URL: postgres.databaseUrl });
  const tally = await createTally(config, {
    clickhouse: { kind: 'chdb', chdbDir, path: join(dataDir, 'clickhouse'), database: 'tally' },
  });
  try {
    return { tally, url: await tally.listen() };
  } catch (error) {
    await tally.close();
    throw error;
  }
}

/** Dataset batches (5,000 events each) per ClickHouse insert: 100,000 events a statement. */
const CLICKHOUSE_GROUP = 20;

/**
 * `loadEvents` into the ClickHouse store: the same generator, seed and `now`, so the same events
 * as the PostgreSQL store gets, through the store's own writeBatch (its rows, views and session
 * updates exactly as ingest makes them), in inserts of 100,000 events; then the store's settle
 * (the merges ClickHouse makes in the background), not counted in the load rate.
 */
export async function loadClickHouseEvents(
  clickhouse: BenchTally,
  workspaceId: string,
  count: number,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const loaded = await loadEvents(clickhouse, workspaceId, count, {
    group: CLICKHOUSE_GROUP,
    ...options,
    settle: false,
  });
  const settling = performance.now();
  await clickhouse.tally.services.events.settle();
  const settleMs = performance.now() - settling;
  if (options.log ?? true) console.log(`  ClickHouse merges (the store's settle): ${(settleMs / 1000).toFixed(1)} s`);
  return { ...loaded, settleMs };
}
