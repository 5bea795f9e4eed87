import 'reflect-metadata';
import { Pool } from 'pg';
import {
  type ClickHouse,
  ClickHouseEventStore,
  migrateClickHouse,
} from '../src/modules/events/clickhouse/clickhouse-event-store';
import { type WorkspaceCopy, copyEventsToClickHouse } from '../src/modules/events/clickhouse/copy-from-postgres';
import { PostgresEventStore } from '../src/modules/events/postgres/postgres-event-store';
import { ConfigError, loadConfig, withDotEnv } from '../src/platform/config';
import { createDataSource } from '../src/platform/db/data-source';
import { migrate } from '../src/platform/db/migrate';
import { StartupError } from '../src/platform/startup-error';
import { connectClickHouse } from '../src/server';
import { scriptDatabase } from './script-database';

/**
 * `pnpm events:to-clickhouse`: copies every live workspace's events (and their sessions' users
 * and attributes) from the PostgreSQL store into the ClickHouse store that EVENTS_STORE=clickhouse
 * uses: CLICKHOUSE_URL, or without it ClickHouse in-process (chdb) in DATA_DIR. PostgreSQL is the
 * one Tally uses (DATABASE_URL, or DATA_DIR's embedded one: a running Tally's, or started here).
 *
 * Every event goes in with its id and time, so the ClickHouse store's dedupe skips the ones it
 * already holds: stop it at any time (Ctrl-C ends after the batch being written) and run it
 * again; a second run copies only what arrived since the first (README, "When one PostgreSQL is
 * not enough").
 */
const PROGRESS_EVERY_MS = 5000;

const count = (n: number) => n.toLocaleString('en-US');

function line(copy: WorkspaceCopy): string {
  const status = copy.done ? '' : ' so far';
  return `  ${copy.name} (${copy.workspaceId}): ${count(copy.copied)} events copied, ${count(copy.duplicates)} duplicates skipped${status}`;
}

function destination(ch: ClickHouse, url: string | undefined, dataDir: string): string {
  if (url === undefined) return `ClickHouse in-process (chdb) in ${dataDir}/clickhouse, database ${ch.database}`;
  const parsed = new URL(url);
  return `ClickHouse at ${parsed.protocol}//${parsed.host}, database ${ch.database}`;
}

async function main(): Promise<number> {
  // The ClickHouse that EVENTS_STORE=clickhouse would use, whatever EVENTS_STORE says now.
  const config = loadConfig({ ...withDotEnv(process.env), EVENTS_STORE: 'clickhouse' });
  if (config.events.store !== 'clickhouse') throw new Error('not a ClickHouse configuration');
  const settings = config.events;

  const database = await scriptDatabase(config);
  const db = createDataSource(database.url, 2, config.databaseConnectTimeoutMs);
  const pool = new Pool({
    connectionString: database.url,
    max: 4,
    application_name: 'tally-events-to-clickhouse',
    connectionTimeoutMillis: config.databaseConnectTimeoutMs,
  });
  // An idle connection that the database closes must not end the script: the next query
  // reconnects. Once closing (the embedded PostgreSQL stops after the pool), it is expected.
  let closing = false;
  pool.on('error', (error) => {
    if (!closing) console.warn(`An idle database connection was lost: ${error.message}`);
  });
  let ch: ClickHouse | undefined;
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130); // a second Ctrl-C: at once (the next run still skips what is in)
    console.log('\nStopping after the batch being written (Ctrl-C again to stop at once)…');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await db.initialize();
    // The id ledger's claims need the current schema, as a start of this Tally would make it.
    const applied = await migrate(db);
    if (applied.length > 0) console.log(`Applied PostgreSQL migrations: ${applied.join(', ')}`);
    ch = await connectClickHouse(config).catch((error: unknown) => {
      // chdb locks its folder: a Tally already running on ClickHouse in-process holds it.
      if (error instanceof StartupError && settings.clickhouseUrl === undefined) {
        throw new StartupError(`${error.message} (is a Tally with EVENTS_STORE=clickhouse running on this DATA_DIR?)`);
      }
      throw error;
    });
    const chApplied = await migrateClickHouse(ch, pool);
    if (chApplied.length > 0) console.log(`Applied ClickHouse migrations: ${chApplied.join(', ')}`);

    console.log(
      `Copying events from ${database.description} to ${destination(ch, settings.clickhouseUrl, config.dataDir)}.`,
    );
    console.log(
      'Each event goes in with its id and time, so events ClickHouse already holds are skipped as duplicates:\n' +
        'stopping this and running it again never counts an event twice.',
    );
    const source = new PostgresEventStore(pool, db);
    const target = new ClickHouseEventStore(ch, pool, db, {
      timeoutMs: config.analytics.statementTimeoutMs,
      maxMemoryBytes: settings.maxQueryMemoryBytes,
    });
    let lastLine = Date.now();
    const summary = await copyEventsToClickHouse({
      pool,
      source,
      target,
      signal: stop.signal,
      progress: (copy) => {
        if (!copy.done && Date.now() - lastLine < PROGRESS_EVERY_MS) return;
        lastLine = Date.now();
        console.log(line(copy));
      },
    });
    const workspaces = summary.workspaces.filter((w) => w.done).length;
    const totals = `${count(summary.copied)} events copied, ${count(summary.duplicates)} duplicates skipped (already in ClickHouse)`;
    if (summary.stopped) {
      for (const copy of summary.workspaces.filter((w) => !w.done)) console.log(line(copy));
      console.log(
        `Stopped after ${workspaces} complete workspace${workspaces === 1 ? '' : 's'}: ${totals}. ` +
          'Run `pnpm events:to-clickhouse` again to carry on.',
      );
      return 130;
    }
    console.log(
      summary.workspaces.length === 0
        ? 'No workspace has events in PostgreSQL: nothing to copy.'
        : `Done: ${workspaces} workspace${workspaces === 1 ? '' : 's'}, ${totals}. ` +
            'Events that arrived in PostgreSQL meanwhile are copied by the next run; then set EVENTS_STORE=clickhouse.',
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    closing = true;
    await ch?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    if (db.isInitialized) await db.destroy().catch(() => undefined);
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A setting or folder that cannot work is one line; anything else keeps its stack.
    const known = error instanceof ConfigError || error instanceof StartupError;
    console.error('Copying events to ClickHouse failed:', known ? error.message : error);
    process.exit(1);
  },
);
