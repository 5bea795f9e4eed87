import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { StartupError } from '../src/startup-error';

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
