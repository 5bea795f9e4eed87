import PgBoss from 'pg-boss';
import { Pool } from 'pg';
import { createTestDatabase, waitFor } from './harness';

/**
 * Why Tally runs its own worker loop (src/modules/jobs/worker.ts) instead of pg-boss's `work()`:
 * these tests pin down what pg-boss 10 itself does, against a real PostgreSQL. Should a pg-boss
 * upgrade make one of them fail, the library now does the job: delete the loop and use it.
 *
 * Each test holds one kind of pg-boss statement at a gate (the statement runs when the test
 * opens it), to see what pg-boss does meanwhile.
 */

const QUEUE = 'probe';

interface Gate {
  /** Statements matching this are held until `open()`. */
  match: (sql: string) => boolean;
  held: number;
  /** Resolves once the gate is open. */
  opened: Promise<void>;
  open(): void;
}

function gate(match: (sql: string) => boolean): Gate {
  let release: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { match, held: 0, opened, open: () => release() };
}

let database: { url: string; drop(): Promise<void> };
let pool: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 4 });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

/** A pg-boss on this file's database whose statements pass `gates` first; a log of what it ran. */
async function startBoss(gates: Gate[]): Promise<{ boss: PgBoss; log: string[] }> {
  const log: string[] = [];
  const boss = new PgBoss({
    db: {
      executeSql: async (text: string, values?: unknown[]) => {
        const kind = /FOR UPDATE SKIP LOCKED/.test(text)
          ? 'fetch'
          : /SET completed_on = now\(\)/.test(text)
            ? 'complete'
            : 'other';
        for (const g of gates) {
          if (!g.match(text)) continue;
          g.held += 1;
          log.push(`${kind} held`);
          await g.opened;
        }
        const result = await pool.query(text, values);
        if (kind !== 'other') log.push(`${kind} done`);
        return { rows: Array.isArray(result) ? [] : result.rows };
      },
    },
    schema: 'pgboss_probe',
    supervise: false,
    schedule: false,
  });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue(QUEUE);
  return { boss, log };
}

async function stateOf(id: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ state: string }>(
    'SELECT state::text AS state FROM pgboss_probe.job WHERE id = $1',
    [id],
  );
  return rows[0]?.state;
}

describe("pg-boss 10's work() and stop()", () => {
  it('do not await marking a job done: the worker moves on and stop() resolves with the job still active', async () => {
    const completes = gate((sql) => /SET completed_on = now\(\)/.test(sql));
    const { boss, log } = await startBoss([completes]);
    const handled: string[] = [];
    await boss.work(QUEUE, { pollingIntervalSeconds: 0.5 }, async ([job]) => {
      if (job) handled.push(job.id);
      log.push('handler done');
    });
    const id = await boss.send(QUEUE, {});
    if (!id) throw new Error('no job id');

    // The handler has finished; its "complete" statement is held. An awaiting worker would fetch
    // nothing more until it is through: pg-boss's fetches again.
    await waitFor(
      () => completes.held === 1 && log.lastIndexOf('fetch done') > log.indexOf('complete held'),
      10_000,
      'a fetch after the handler, with its completion held',
    );
    expect(log.indexOf('complete held')).toBeGreaterThan(log.indexOf('handler done'));
    expect(log).not.toContain('complete done');

    // A graceful stop that waits for running work still resolves: the outcome is not recorded.
    await boss.stop({ graceful: true, wait: true, close: false, timeout: 1_000 });
    expect(handled).toEqual([id]);
    expect(await stateOf(id)).toBe('active');
    expect(log).not.toContain('complete done');

    completes.open();
    await waitFor(async () => (await stateOf(id)) === 'completed', 10_000, 'the late completion');
  });

  it('starts a job it fetched while stopping, after stop() has resolved', async () => {
    let holdFetches = false;
    const fetches = gate((sql) => holdFetches && /FOR UPDATE SKIP LOCKED/.test(sql));
    const { boss, log } = await startBoss([fetches]);
    let stopped = false;
    const ranAfterStop: boolean[] = [];
    await boss.work(QUEUE, { pollingIntervalSeconds: 0.5 }, async () => {
      ranAfterStop.push(stopped);
    });
    holdFetches = true;
    await waitFor(() => fetches.held === 1, 10_000, 'a fetch in flight');
    const id = await boss.send(QUEUE, {});
    if (!id) throw new Error('no job id');

    await boss.stop({ graceful: true, wait: true, close: false, timeout: 1_000 });
    stopped = true;
    fetches.open();

    await waitFor(() => ranAfterStop.length === 1, 10_000, 'the handler');
    expect(ranAfterStop).toEqual([true]);
    expect(log).toContain('fetch done');
    await waitFor(async () => (await stateOf(id)) !== 'active', 10_000, 'the job settled');
  });
});
