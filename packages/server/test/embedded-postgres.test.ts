import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded';
import { CLUSTER_RECORD, listClusters, orphanNotice } from '../src/platform/db/orphans';
import { OWNER_FILE, type OwnerRecord, processExists, processStartTime, readOwner } from '../src/platform/db/owner';
import { StartupError } from '../src/platform/startup-error';

const asRoot = userInfo().uid === 0;
if (!asRoot) {
  console.log('embedded PostgreSQL as root: skipped, these tests need to run as root (uid 0)');
}
const describeAsRoot = asRoot ? describe : describe.skip;

async function count(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM notes');
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

describeAsRoot('the embedded PostgreSQL started by root', () => {
  // A new user's checkout as root: under a folder no other user may enter (mktemp -d, ~root).
  const closed = mkdtempSync(join(tmpdir(), 'tally-root-'));
  const dataDir = join(closed, 'tally', '.data');
  // EMBEDDED_PG_DIR for this test only (the default is /var/lib/tally), open like /var/lib/tally.
  const base = mkdtempSync(join('/var/lib', 'tally-test-'));
  chmodSync(base, 0o755);
  afterAll(async () => {
    await rm(closed, { recursive: true, force: true });
    await rm(base, { recursive: true, force: true });
  });

  it('runs from a 0700 folder, keeps its rows across a restart and reuses the same cluster', async () => {
    expect(statSync(closed).mode & 0o777).toBe(0o700);
    const logs: string[] = [];
    const first = await startEmbeddedPostgres({ dataDir, persistent: true, rootBase: base, log: (m) => logs.push(m) });
    try {
      const client = new Client({ connectionString: first.url });
      await client.connect();
      await client.query('CREATE TABLE notes (body text)');
      await client.query("INSERT INTO notes VALUES ('kept')");
      await client.end();
    } finally {
      await first.stop();
    }
    // The cluster lives where the postgres user can reach it, owned by that user; DATA_DIR names it.
    expect(first.clusterDir.startsWith(join(base, 'clusters'))).toBe(true);
    expect(readFileSync(join(dataDir, 'pg-cluster'), 'utf8').trim()).toBe(first.clusterDir);
    expect(statSync(first.clusterDir).uid).not.toBe(0);
    expect(existsSync(join(dataDir, 'pg'))).toBe(false);

    const second = await startEmbeddedPostgres({ dataDir, persistent: true, rootBase: base, log: (m) => logs.push(m) });
    try {
      expect(second.clusterDir).toBe(first.clusterDir);
      expect(await count(second.url)).toBe(1);
    } finally {
      await second.stop();
    }
    expect(logs.filter((m) => m.startsWith('initialising')).length).toBe(1);
    // Nothing outside what Tally made changed its mode.
    expect(statSync(closed).mode & 0o777).toBe(0o700);
  }, 60_000);

  it('deletes a throw-away cluster on stop and writes no pointer for it', async () => {
    const scratch = join(closed, 'scratch');
    const db = await startEmbeddedPostgres({ dataDir: scratch, persistent: false, rootBase: base });
    expect(existsSync(join(db.clusterDir, 'PG_VERSION'))).toBe(true);
    await db.stop();
    expect(existsSync(db.clusterDir)).toBe(false);
    expect(existsSync(join(scratch, 'pg-cluster'))).toBe(false);
  }, 60_000);

  it('refuses a base the postgres user cannot reach with one clear line', async () => {
    const hidden = join(closed, 'hidden-base');
    const error = await startEmbeddedPostgres({
      dataDir: join(closed, 'other'),
      persistent: false,
      rootBase: hidden,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toContain(`EMBEDDED_PG_DIR ${hidden} is not reachable by the "postgres" user`);
    expect((error as Error).message).not.toContain('\n');
  }, 60_000);
});

/** The pid of the PostgreSQL running on a cluster (its postmaster.pid). */
function postmasterPid(clusterDir: string): number {
  return Number.parseInt(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
}

function ownerOf(pid: number, startTime: string | null, dataDir: string): OwnerRecord {
  return {
    pid,
    startTime,
    dataDir,
    clusterDir: null,
    databasePort: null,
    url: 'http://127.0.0.1:4999',
    since: new Date().toISOString(),
  };
}

describe('one Tally per DATA_DIR (DATA_DIR/owner.json)', () => {
  const RUN_DIR = process.env.TALLY_TEST_RUN_DIR ?? tmpdir();
  const folders: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(RUN_DIR, 'tally-owner-'));
    folders.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of folders) {
      const pointer = join(dir, 'pg-cluster');
      if (existsSync(pointer)) await rm(readFileSync(pointer, 'utf8').trim(), { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second start on a DATA_DIR a live Tally owns, in one line, and leaves its database running', async () => {
    const dataDir = fresh();
    const first = await startEmbeddedPostgres({ dataDir, persistent: false });
    try {
      const owner = await readOwner(dataDir);
      expect(owner).toEqual(
        expect.objectContaining({ pid: process.pid, clusterDir: first.clusterDir, databasePort: expect.any(Number) }),
      );
      await first.announce('http://127.0.0.1:4321');
      const error = await startEmbeddedPostgres({ dataDir, persistent: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StartupError);
      const message = (error as Error).message;
      expect(message).toBe(
        `a Tally already runs on DATA_DIR ${dataDir} (pid ${process.pid}, at http://127.0.0.1:4321): stop it with Ctrl-C in its terminal or \`kill ${process.pid}\`, or start a second one with its own DATA_DIR and PORT (e.g. DATA_DIR=.data-2 PORT=4001 pnpm start) or with DATABASE_URL`,
      );
      // The first one's PostgreSQL was not touched: it still answers.
      const client = new Client({ connectionString: first.url });
      await client.connect();
      expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
      expect((await readOwner(dataDir))?.url).toBe('http://127.0.0.1:4321');
    } finally {
      await first.stop();
    }
    // A clean stop gives the folder back.
    expect(existsSync(join(dataDir, OWNER_FILE))).toBe(false);
  }, 60_000);

  it('takes over the record of a Tally that is gone, or whose pid another process now has', async () => {
    // A process that has ended: its pid is free.
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(ended.stdout);
    expect(processExists(deadPid)).toBe(false);
    const gone = fresh();
    writeFileSync(join(gone, OWNER_FILE), JSON.stringify(ownerOf(deadPid, '1', gone)));
    const a = await startEmbeddedPostgres({ dataDir: gone, persistent: false });
    expect((await readOwner(gone))?.pid).toBe(process.pid);
    await a.stop();

    // A live process with another start time is not the recorded owner (a reused pid).
    const reused = fresh();
    writeFileSync(join(reused, OWNER_FILE), JSON.stringify(ownerOf(process.pid, '1', reused)));
    const b = await startEmbeddedPostgres({ dataDir: reused, persistent: false });
    expect((await readOwner(reused))?.since).not.toBe('');
    await b.stop();

    // The same process alive with its start time is the owner: refused, record kept as it was.
    const live = fresh();
    const record = ownerOf(process.pid, processStartTime(process.pid), live);
    writeFileSync(join(live, OWNER_FILE), JSON.stringify(record));
    await expect(startEmbeddedPostgres({ dataDir: live, persistent: false })).rejects.toThrow(
      `a Tally already runs on DATA_DIR ${live} (pid ${process.pid}, at http://127.0.0.1:4999)`,
    );
    expect(await readOwner(live)).toEqual(record);
    expect(existsSync(join(live, 'pg'))).toBe(false);
  }, 60_000);
});

describeAsRoot('orphaned clusters under EMBEDDED_PG_DIR (root)', () => {
  const base = mkdtempSync(join('/var/lib', 'tally-orphans-'));
  chmodSync(base, 0o755);
  const parent = mkdtempSync(join(process.env.TALLY_TEST_RUN_DIR ?? tmpdir(), 'tally-orphans-'));
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
    await rm(parent, { recursive: true, force: true });
  });
  const clean = join(__dirname, '..', 'dist', 'scripts', 'clean-clusters.js');

  it('recognises clusters whose DATA_DIR is gone, names them in one line at start, and pnpm clean:clusters removes only them', async () => {
    if (!existsSync(clean)) throw new Error(`${clean} is missing: run \`pnpm build\` first (pnpm test does).`);
    const cluster = async (name: string) => {
      const dataDir = join(parent, name);
      const db = await startEmbeddedPostgres({ dataDir, persistent: true, rootBase: base });
      await db.stop();
      expect(readFileSync(join(db.clusterDir, CLUSTER_RECORD), 'utf8').trim()).toBe(dataDir);
      return { dataDir, dir: db.clusterDir };
    };
    const kept = await cluster('kept');
    const deleted = await cluster('deleted');
    await rm(deleted.dataDir, { recursive: true, force: true });
    const replaced = await cluster('replaced');
    writeFileSync(join(replaced.dataDir, 'pg-cluster'), `${join(base, 'clusters', 'another')}\n`);

    // A start lists them in one line; its own cluster (DATA_DIR deleted while it runs) is in use.
    const notices: string[] = [];
    const runningDir = join(parent, 'running');
    const running = await startEmbeddedPostgres({
      dataDir: runningDir,
      persistent: true,
      rootBase: base,
      notice: (m) => notices.push(m),
    });
    try {
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(
        new RegExp(
          `^2 orphaned embedded PostgreSQL clusters \\(\\d+(\\.\\d)? (KB|MB|GB)\\) in ${join(base, 'clusters')}: their DATA_DIR is gone; \`pnpm clean:clusters\` removes them$`,
        ),
      );
      await rm(runningDir, { recursive: true, force: true });
      const states = Object.fromEntries((await listClusters(base)).map((c) => [c.dir, c.state]));
      expect(states).toEqual({
        [kept.dir]: 'in-use',
        [deleted.dir]: 'orphan',
        [replaced.dir]: 'orphan',
        [running.clusterDir]: 'in-use',
      });

      const result = spawnSync(process.execPath, [clean], {
        env: { ...process.env, EMBEDDED_PG_DIR: base },
        encoding: 'utf8',
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(
        new RegExp(`^Removed 2 orphaned clusters \\([^)]+\\) from ${join(base, 'clusters')}\\.\\n$`),
      );
      expect(existsSync(deleted.dir)).toBe(false);
      expect(existsSync(replaced.dir)).toBe(false);
      expect(existsSync(join(kept.dir, 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(running.clusterDir, 'PG_VERSION'))).toBe(true);
      expect(processExists(postmasterPid(running.clusterDir))).toBe(true);
      expect(await orphanNotice(base)).toBeUndefined();
    } finally {
      await running.stop();
    }
  }, 120_000);
});

describe('a DATA_DIR that cannot work', () => {
  it('stops the start with one line naming the folder and the reason', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tally-bad-'));
    try {
      const file = join(folder, 'a-file');
      writeFileSync(file, 'not a folder');
      const error = await startEmbeddedPostgres({ dataDir: join(file, 'data'), persistent: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StartupError);
      expect((error as Error).message).toBe(
        `DATA_DIR ${join(file, 'data')} cannot be used (a part of the path is a file, not a folder): set DATA_DIR to a folder this user can write, e.g. DATA_DIR=$HOME/.tally`,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
