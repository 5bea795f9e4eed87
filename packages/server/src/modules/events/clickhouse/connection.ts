import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';

/** The client's own console logging is off: every failure reaches Tally as an error, logged there. */
const QUIET = { level: ClickHouseLogLevel.OFF };

/**
 * Where the ClickHouse event store's data lives: a ClickHouse server (CLICKHOUSE_URL), or
 * ClickHouse in this process through chdb (the embedded default, as the embedded PostgreSQL is
 * for the rest), its files in a folder of ours. The store only ever talks to ClickHouse through
 * `@clickhouse/client`: chdb plugs into it as a connection (`chdb/connection`).
 */
export type ClickHouseTarget =
  | { kind: 'server'; url: string }
  | {
      kind: 'chdb';
      /** Where chdb is installed (scripts/ensure-chdb.mjs): `<chdbDir>/node_modules/chdb`. */
      chdbDir: string;
      /** The engine's data folder: one per process (chdb binds one per process). */
      path: string;
      /** The database the store's tables go in (tests take one per test file). */
      database: string;
    };

export interface ClickHouse {
  client: ClickHouseClient;
  /** The database every table name is qualified with (never a session default: chdb has none). */
  database: string;
  /** In-process (chdb): statements run one at a time there, whatever is asked at once. */
  embedded: boolean;
  close(): Promise<void>;
}

/** Why ClickHouse could not be reached or opened, in one line (the setting named by the caller). */
export class ClickHouseUnavailable extends Error {
  override name = 'ClickHouseUnavailable';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Opens ClickHouse, makes sure its database exists and answers; throws ClickHouseUnavailable. */
export async function openClickHouse(target: ClickHouseTarget): Promise<ClickHouse> {
  const { client, database, embedded } = target.kind === 'server' ? fromUrl(target.url) : fromChdb(target);
  if (!IDENTIFIER.test(database)) {
    await client.close().catch(() => undefined);
    throw new ClickHouseUnavailable(`the database name "${database}" is not a plain identifier`);
  }
  try {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
    const result = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' });
    await result.json();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new ClickHouseUnavailable(error instanceof Error ? error.message.split('\n')[0] : String(error));
  }
  return { client, database, embedded, close: () => client.close() };
}

function fromUrl(url: string): { client: ClickHouseClient; database: string; embedded: boolean } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\/+|\/+$/g, '')) || 'default';
  // The client reads user, password and database from the URL; every statement names its
  // database anyway, so the client's default database is only a fallback.
  const client = createClient({ url, request_timeout: 60_000, application: 'tally', log: QUIET });
  return { client, database, embedded: false };
}

/** The connection `createClient` takes instead of its HTTP one (chdb's, here). */
type ChdbConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** The chdb installed in `chdbDir`, loaded from there (it is not one of the server's dependencies). */
function fromChdb(target: Extract<ClickHouseTarget, { kind: 'chdb' }>): {
  client: ClickHouseClient;
  database: string;
  embedded: boolean;
} {
  // chdb implements the client's Connection contract against its own copy of
  // @clickhouse/client-common (the same shape, another declaration: STACK.md), and it is loaded
  // from outside the server's dependencies: its module is declared here as what the client takes.
  let chdb: { createChdbConnection(options: { path: string }): ChdbConnection };
  try {
    const load = createRequire(join(target.chdbDir, 'node_modules', 'tally.js'));
    chdb = load('chdb/connection') as typeof chdb;
  } catch (error) {
    throw new ClickHouseUnavailable(
      `chdb is not installed in ${target.chdbDir} (run \`pnpm chdb:install\`): ${
        error instanceof Error ? error.message.split('\n')[0] : String(error)
      }`,
    );
  }
  mkdirSync(target.path, { recursive: true, mode: 0o700 });
  const connection = chdb.createChdbConnection({ path: target.path });
  const client = createClient({ connection, log: QUIET });
  return { client, database: target.database, embedded: true };
}
