import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseTarget } from '../../src/modules/events/clickhouse/connection';

/**
 * ClickHouse for tests: the real engine in-process (chdb, installed by `pnpm test` through
 * scripts/ensure-chdb.mjs into CHDB_DIR). chdb binds one data folder per process, so each jest
 * worker has one (in the run's folder, which the global teardown removes), and each test server
 * a database of its own in it, dropped with the folder.
 */
export const CHDB_DIR = process.env.CHDB_DIR;

/** Whether the ClickHouse half of the tests can run here. */
export const chdbAvailable =
  CHDB_DIR !== undefined && existsSync(join(CHDB_DIR, 'node_modules', 'chdb', 'package.json'));

/** Why the ClickHouse tests were skipped, for the suite's name (the run says so loudly too). */
export const CHDB_SKIPPED = 'SKIPPED: chdb is not installed (pnpm chdb:install, then set CHDB_DIR)';

let count = 0;

/** A chdb target with a fresh database (this process's data folder, made on first use). */
export function testClickHouseTarget(): ClickHouseTarget {
  if (!CHDB_DIR || !chdbAvailable) throw new Error(CHDB_SKIPPED);
  const runDir = process.env.TALLY_TEST_RUN_DIR;
  if (!runDir) throw new Error('TALLY_TEST_RUN_DIR is not set: run the tests through jest (global-setup.ts)');
  const path = join(runDir, `chdb-${process.pid}`);
  if (count === 0) process.once('exit', () => rmSync(path, { recursive: true, force: true }));
  count += 1;
  return { kind: 'chdb', chdbDir: CHDB_DIR, path, database: `t_${process.pid}_${count}_${Date.now().toString(36)}` };
}

/** The engine a test server stores events in: TALLY_TEST_EVENTS_STORE (the server-clickhouse project sets it). */
export function testEventsStore(): 'postgres' | 'clickhouse' {
  return process.env.TALLY_TEST_EVENTS_STORE === 'clickhouse' ? 'clickhouse' : 'postgres';
}
