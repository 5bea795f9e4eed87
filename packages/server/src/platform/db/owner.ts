import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartupError } from '../startup-error';

/**
 * DATA_DIR/owner.json: which process serves this DATA_DIR's embedded PostgreSQL, so that a
 * second Tally (a second `pnpm start`, `pnpm seed`) never stops or starts a database that a live
 * Tally uses. Claimed with an atomic hard link (exclusive), replaced with an atomic rename, removed
 * on a clean stop. A record whose process is gone (or whose pid now belongs to another process:
 * the start time differs) is stale and taken over.
 */
export const OWNER_FILE = 'owner.json';

export interface OwnerRecord {
  pid: number;
  /** The process's start time (Linux: clock ticks since boot), so that a reused pid is not taken for it. */
  startTime: string | null;
  dataDir: string;
  /** The cluster's folder and port once PostgreSQL runs; the URL Tally serves once it listens. */
  clusterDir: string | null;
  databasePort: number | null;
  url: string | null;
  since: string;
}

/** Start time of a process, from /proc (null where there is no /proc, or the process is gone). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether a process exists; one of another user counts (EPERM). */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The recorded owner still runs: same pid, and (where known) the same start time. */
export function ownerAlive(record: OwnerRecord): boolean {
  if (!processExists(record.pid)) return false;
  if (record.startTime === null) return true;
  const now = processStartTime(record.pid);
  return now === null || now === record.startTime;
}

function parse(text: string): OwnerRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const pid: unknown = Reflect.get(value, 'pid');
    if (typeof pid !== 'number') return undefined;
    const field = <T>(name: string, check: (v: unknown) => v is T): T | null => {
      const v: unknown = Reflect.get(value, name);
      return check(v) ? v : null;
    };
    const isString = (v: unknown): v is string => typeof v === 'string';
    const isNumber = (v: unknown): v is number => typeof v === 'number';
    return {
      pid,
      startTime: field('startTime', isString),
      dataDir: field('dataDir', isString) ?? '',
      clusterDir: field('clusterDir', isString),
      databasePort: field('databasePort', isNumber),
      url: field('url', isString),
      since: field('since', isString) ?? '',
    };
  } catch {
    return undefined;
  }
}

/** The recorded owner of a DATA_DIR, alive or not; undefined when there is none. */
export async function readOwner(dataDir: string): Promise<OwnerRecord | undefined> {
  try {
    return parse(await readFile(join(dataDir, OWNER_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The live owner of a DATA_DIR, if any. */
export async function liveOwner(dataDir: string): Promise<OwnerRecord | undefined> {
  const record = await readOwner(dataDir);
  return record && ownerAlive(record) ? record : undefined;
}

/** The one line `pnpm start` stops with on a DATA_DIR a live Tally serves. */
export function alreadyRunning(record: OwnerRecord, dataDir: string): string {
  const where = record.url ? `at ${record.url}` : 'starting';
  return (
    `a Tally already runs on DATA_DIR ${dataDir} (pid ${record.pid}, ${where}): ` +
    `stop it with Ctrl-C in its terminal or \`kill ${record.pid}\`, or start a second one with its own ` +
    `DATA_DIR and PORT (e.g. DATA_DIR=.data-2 PORT=4001 pnpm start) or with DATABASE_URL`
  );
}

export interface OwnerClaim {
  /** The stale record taken over (its process is gone), if there was one. */
  previous: OwnerRecord | undefined;
  /** Adds the cluster, port or URL to the record (atomic replace), while this process owns it. */
  update(patch: Partial<Pick<OwnerRecord, 'clusterDir' | 'databasePort' | 'url'>>): Promise<void>;
  /** Removes the record if it is still this process's. */
  release(): Promise<void>;
}

function tempName(file: string, what: string): string {
  return `${file}.${what}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Makes this process the owner of `dataDir`, or throws the one-line StartupError naming the
 * live owner. Never removes the record of a live process.
 */
export async function claimDataDir(dataDir: string): Promise<OwnerClaim> {
  const file = join(dataDir, OWNER_FILE);
  let record: OwnerRecord = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    dataDir,
    clusterDir: null,
    databasePort: null,
    url: null,
    since: new Date().toISOString(),
  };
  let previous: OwnerRecord | undefined;
  const mine = (other: OwnerRecord | undefined) =>
    other?.pid === record.pid && other.startTime === record.startTime && other.since === record.since;

  for (let attempt = 0; ; attempt++) {
    if (attempt > 10) throw new StartupError(`DATA_DIR ${dataDir}: could not record this Tally in ${file}`);
    const temp = tempName(file, 'new');
    await writeFile(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    try {
      await link(temp, file); // fails with EEXIST when there is a record: the claim is exclusive
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(temp, { force: true });
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // removed meanwhile: try again
    const current = parse(text);
    if (current && ownerAlive(current)) throw new StartupError(alreadyRunning(current, dataDir));
    // Stale: move it aside (atomic: of two starts, one wins), then check it was the stale one.
    const aside = tempName(file, 'stale');
    try {
      await rename(file, aside);
    } catch {
      continue;
    }
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== text) {
      // Another start claimed it between the read and the rename: give it back.
      await link(aside, file).catch(() => undefined);
    } else {
      previous = current;
    }
    await rm(aside, { force: true });
  }

  return {
    previous,
    async update(patch) {
      if (!mine(await readOwner(dataDir))) return;
      record = { ...record, ...patch };
      const temp = tempName(file, 'new');
      await writeFile(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      await rename(temp, file);
    },
    async release() {
      if (mine(await readOwner(dataDir))) await rm(file, { force: true });
    },
  };
}
