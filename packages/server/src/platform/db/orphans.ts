import { existsSync } from 'node:fs';
import { lstat, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OWNER_FILE, ownerAlive, processExists, readOwner } from './owner';

/**
 * Root's embedded clusters live in EMBEDDED_PG_DIR/clusters/<id>, outside DATA_DIR, so deleting
 * a DATA_DIR leaves its cluster behind. Each cluster folder records its DATA_DIR (CLUSTER_RECORD)
 * and that DATA_DIR names the cluster (pg-cluster): a cluster whose DATA_DIR is gone or names
 * another cluster is an orphan. `pnpm start` mentions them; `pnpm clean:clusters` removes them.
 */
export const CLUSTER_RECORD = 'tally-data-dir';
/** DATA_DIR/pg-cluster names the cluster folder of this DATA_DIR when root keeps it elsewhere. */
export const CLUSTER_POINTER = 'pg-cluster';
/** A cluster without a record younger than this may be one being made right now: never touched. */
const UNRECORDED_MIN_AGE_MS = 60 * 60 * 1000;

export interface ClusterState {
  dir: string;
  /** The DATA_DIR recorded in it; null for a cluster made before Tally recorded it. */
  dataDir: string | null;
  /** in-use: a DATA_DIR names it or its PostgreSQL runs; orphan: its DATA_DIR is gone or names another. */
  state: 'in-use' | 'orphan' | 'unrecorded';
  bytes: number;
}

async function sizeOf(path: string): Promise<number> {
  try {
    const info = await lstat(path);
    if (!info.isDirectory()) return info.size;
    let total = info.size;
    for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
    return total;
  } catch {
    return 0;
  }
}

async function postmasterRuns(dir: string): Promise<boolean> {
  try {
    const pid = Number.parseInt((await readFile(join(dir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '', 10);
    return processExists(pid);
  } catch {
    return false;
  }
}

async function pointsAt(dataDir: string, dir: string): Promise<boolean> {
  try {
    return (await readFile(join(dataDir, CLUSTER_POINTER), 'utf8')).trim() === dir;
  } catch {
    return false;
  }
}

/** The state of one cluster folder (its size only when it is not in use). */
async function clusterState(dir: string): Promise<ClusterState | undefined> {
  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  const dataDir = await readFile(join(dir, CLUSTER_RECORD), 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  let state: ClusterState['state'];
  if (await postmasterRuns(dir)) state = 'in-use';
  else if (dataDir === null) state = Date.now() - info.mtimeMs > UNRECORDED_MIN_AGE_MS ? 'unrecorded' : 'in-use';
  else if (existsSync(join(dataDir, OWNER_FILE)) && (await ownerOf(dataDir, dir))) state = 'in-use';
  else state = (await pointsAt(dataDir, dir)) ? 'in-use' : 'orphan';
  return { dir, dataDir, state, bytes: state === 'in-use' ? 0 : await sizeOf(dir) };
}

/** Every cluster under `<base>/clusters` with its state. */
export async function listClusters(base: string): Promise<ClusterState[]> {
  const folder = join(base, 'clusters');
  const names = await readdir(folder).catch(() => []);
  const result: ClusterState[] = [];
  for (const name of names.sort()) {
    const cluster = await clusterState(join(folder, name));
    if (cluster) result.push(cluster);
  }
  return result;
}

async function ownerOf(dataDir: string, dir: string): Promise<boolean> {
  const owner = await readOwner(dataDir);
  return owner !== undefined && ownerAlive(owner) && (owner.clusterDir === null || owner.clusterDir === dir);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/** The one line `pnpm start` logs when there are orphans; undefined when there are none. */
export async function orphanNotice(base: string): Promise<string | undefined> {
  const orphans = (await listClusters(base)).filter((c) => c.state === 'orphan');
  if (orphans.length === 0) return undefined;
  const bytes = orphans.reduce((sum, c) => sum + c.bytes, 0);
  return `${orphans.length} orphaned embedded PostgreSQL cluster${orphans.length === 1 ? '' : 's'} (${formatBytes(bytes)}) in ${join(base, 'clusters')}: their DATA_DIR is gone; \`pnpm clean:clusters\` removes them`;
}

/**
 * Removes the orphans (and, with `unrecorded`, the clusters older than an hour that record no
 * DATA_DIR and do not run). A cluster in use is never removed; each is checked again just before.
 */
export async function removeOrphans(base: string, unrecorded = false): Promise<ClusterState[]> {
  const removed: ClusterState[] = [];
  for (const cluster of await listClusters(base)) {
    if (cluster.state === 'in-use' || (cluster.state === 'unrecorded' && !unrecorded)) continue;
    const again = await clusterState(cluster.dir);
    if (again?.state !== cluster.state) continue;
    await rm(cluster.dir, { recursive: true, force: true });
    removed.push(cluster);
  }
  return removed;
}
