import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Pool } from 'pg';
import type { Logger } from 'pino';
import { createLogger } from '../src/platform/logger';
import {
  PURGE_REFRESH_TOKENS_CRON,
  PURGE_REFRESH_TOKENS_JOB,
  purgeExpiredRefreshTokens,
} from '../src/modules/accounts/refresh-token-purge.job';
import { purgeWorkspaceRows } from '../src/platform/jobs/batched-delete';
import {
  PURGE_RATE_LIMITS_CRON,
  PURGE_RATE_LIMITS_JOB,
  purgeExpiredRateLimits,
} from '../src/platform/rate-limits/rate-limit-purge.job';
import type { JobQueue, JobQueueOptions } from '../src/platform/jobs/job-queue';
import { Leases } from '../src/platform/jobs/leases';
import { type Tally, createTally } from '../src/server';
import { FAST_JOBS, createTestDatabase, testConfig } from './harness';
import { drainJobs } from './drivers/jobs';

let database: { url: string; drop(): Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** A Tally on this file's database, with test jobs defined before its queue starts. */
function startTally(
  defineJobs?: (jobs: JobQueue) => void,
  jobs: JobQueueOptions = {},
  logger?: Logger,
): Promise<Tally> {
  return createTally(testConfig(database.url), { jobs: { ...FAST_JOBS, ...jobs }, defineJobs, logger });
}

function logSink(): { logger: Logger; lines: Array<Record<string, unknown>>; raw: string[] } {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ logLevel: 'info', production: true }, sink), lines, raw };
}

interface Ran {
  n: number;
  instance: string;
  retryCount: number;
}

/** Defines `name` with a handler that records each run. */
function recording(name: string, instance: string, ran: Ran[], expireInSeconds?: number) {
  return (jobs: JobQueue) =>
    jobs.define<{ n: number }>({
      name,
      retryDelaySeconds: 0,
      retryBackoff: false,
      ...(expireInSeconds ? { expireInSeconds } : {}),
      handler: async ({ n }, job) => {
        ran.push({ n, instance, retryCount: job.retryCount });
      },
    });
}

async function jobRows(
  tally: Tally,
  name: string,
): Promise<Array<{ data: unknown; state: string; retry_count: number }>> {
  return tally.db.query(`SELECT data, state::text AS state, retry_count FROM pgboss.job WHERE name = $1`, [name]);
}

describe('sending jobs', () => {
  it('runs a job sent in a committed transaction as it commits, and never one from a rolled-back one', async () => {
    const ran: Ran[] = [];
    // Polling every 30 s: only the wake-up on commit can start the job within the drain below.
    const tally = await startTally(recording('test.tx', 'one', ran), { pollingIntervalSeconds: 30 });
    try {
      await expect(
        tally.db.transaction(async (manager) => {
          await tally.jobs.sendInTransaction(manager, 'test.tx', { n: 1 });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await tally.db.transaction((manager) => tally.jobs.sendInTransaction(manager, 'test.tx', { n: 2 }));
      await drainJobs(tally, 'test.tx', 5_000);

      expect(ran).toEqual([{ n: 2, instance: 'one', retryCount: 0 }]);
      expect(await jobRows(tally, 'test.tx')).toEqual([{ data: { n: 2 }, state: 'completed', retry_count: 0 }]);
      await expect(tally.jobs.sendInTransaction(tally.db.manager, 'test.tx', { n: 3 })).rejects.toThrow(
        'needs the manager of an open transaction',
      );
      await expect(tally.jobs.send('test.unknown', {})).rejects.toThrow('no job named test.unknown');
    } finally {
      await tally.close();
    }
  });
});

describe('jobs survive a restart', () => {
  it('runs on the next instance a job sent before the first one stopped', async () => {
    const ran: Ran[] = [];
    const first = await startTally(recording('test.restart', 'first', ran));
    await first.jobs.send('test.restart', { n: 7 }, { startAfterSeconds: 1 });
    await first.close();
    expect(ran).toEqual([]);

    const second = await startTally(recording('test.restart', 'second', ran));
    try {
      await drainJobs(second, 'test.restart');
      expect(ran).toEqual([{ n: 7, instance: 'second', retryCount: 0 }]);
    } finally {
      await second.close();
    }
  });

  it('hands a job still running at shutdown back to the queue, and the next instance finishes it', async () => {
    const ran: Ran[] = [];
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = await startTally((jobs) =>
      jobs.define<{ n: number }>({
        name: 'test.stopped',
        retryDelaySeconds: 0,
        retryBackoff: false,
        // Never ends by itself; stops when the queue gives up on it.
        handler: (_data, job) =>
          new Promise<void>((resolve) => {
            job.signal.addEventListener('abort', () => resolve());
            started();
          }),
      }),
    );
    await first.jobs.send('test.stopped', { n: 1 });
    await running;
    const stopping = Date.now();
    await first.close();
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(FAST_JOBS.stopTimeoutMs ?? 0);
    expect(first.db.isInitialized).toBe(false);

    const second = await startTally(recording('test.stopped', 'second', ran));
    try {
      await drainJobs(second, 'test.stopped');
      expect(ran).toEqual([{ n: 1, instance: 'second', retryCount: 1 }]);
      expect(await jobRows(second, 'test.stopped')).toEqual([{ data: { n: 1 }, state: 'completed', retry_count: 1 }]);
    } finally {
      await second.close();
    }
  });

  it('runs again a job whose process was killed mid-job (SIGKILL), once it expires', async () => {
    const jobQueueJs = join(__dirname, '..', 'dist', 'src', 'platform', 'jobs', 'job-queue.js');
    if (!existsSync(jobQueueJs))
      throw new Error(`${jobQueueJs} is missing: run \`pnpm build\` first (pnpm test does).`);
    // Another process runs the job and hangs in it; it is killed without any chance to clean up.
    const script = `
      const { JobQueue } = require(${JSON.stringify(jobQueueJs)});
      const pino = require('pino');
      const jobs = new JobQueue(process.env.TEST_DATABASE_URL, pino({ level: 'silent' }), undefined, { pollingIntervalSeconds: 0.5 });
      jobs.define({ name: 'test.killed', retryDelaySeconds: 0, retryBackoff: false, expireInSeconds: 2, handler: () => {
        process.stdout.write('started\\n');
        return new Promise(() => {});
      } });
      jobs.start().then(() => jobs.send('test.killed', { n: 5 }));
    `;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, TEST_DATABASE_URL: database.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child never started the job:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('started')) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    await new Promise((resolve) => child.once('exit', resolve));

    const ran: Ran[] = [];
    const tally = await startTally(recording('test.killed', 'survivor', ran, 2));
    try {
      // Still marked running by the dead process, or already handed out again by this instance,
      // which finds no lease held for it (job-queue.ts, Leases).
      const [state] = (await jobRows(tally, 'test.killed')).map((row) => row.state);
      expect(['active', 'retry']).toContain(state);
      await drainJobs(tally, 'test.killed', 15_000);
      expect(ran).toEqual([{ n: 5, instance: 'survivor', retryCount: 1 }]);
    } finally {
      await tally.close();
    }
  });
});

describe('failures', () => {
  it('retries a failed job, logs each failure without its data, and tells onFailure', async () => {
    const { logger, lines, raw } = logSink();
    const ran: Ran[] = [];
    const failures: Array<{ job: string; message: string; willRetry: boolean; retryCount: number }> = [];
    const tally = await startTally(
      (jobs) => {
        jobs.define<{ n: number; token: string }>({
          name: 'test.flaky',
          retryLimit: 2,
          retryDelaySeconds: 0,
          retryBackoff: false,
          handler: async ({ n }, job) => {
            if (job.retryCount === 0) throw new Error('upstream said no');
            ran.push({ n, instance: 'one', retryCount: job.retryCount });
          },
          onFailure: async (_data, error, job) => {
            failures.push({
              job: 'test.flaky',
              message: String(error),
              willRetry: job.willRetry,
              retryCount: job.retryCount,
            });
          },
        });
        jobs.define<{ token: string }>({
          name: 'test.doomed',
          retryLimit: 0,
          handler: async () => {
            throw new Error('never works');
          },
          onFailure: async (_data, error, job) => {
            failures.push({
              job: 'test.doomed',
              message: String(error),
              willRetry: job.willRetry,
              retryCount: job.retryCount,
            });
          },
        });
      },
      {},
      logger,
    );
    try {
      await tally.jobs.send('test.flaky', { n: 3, token: 'secret-token-flaky' });
      await tally.jobs.send('test.doomed', { token: 'secret-token-doomed' });
      await drainJobs(tally, 'test.flaky');
      await drainJobs(tally, 'test.doomed');

      expect(ran).toEqual([{ n: 3, instance: 'one', retryCount: 1 }]);
      expect(failures.sort((a, b) => a.job.localeCompare(b.job))).toEqual([
        { job: 'test.doomed', message: 'Error: never works', willRetry: false, retryCount: 0 },
        { job: 'test.flaky', message: 'Error: upstream said no', willRetry: true, retryCount: 0 },
      ]);
      expect(await jobRows(tally, 'test.flaky')).toEqual([
        { data: { n: 3, token: 'secret-token-flaky' }, state: 'completed', retry_count: 1 },
      ]);
      const [doomed] = await tally.db.query(
        `SELECT state::text AS state, output FROM pgboss.job WHERE name = 'test.doomed'`,
      );
      expect(doomed).toEqual({ state: 'failed', output: { message: 'never works' } });

      expect(lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            level: 40,
            msg: 'job failed; it will be retried',
            job: 'test.flaky',
            attempt: 1,
            willRetry: true,
            err: expect.objectContaining({ message: 'upstream said no' }),
          }),
          expect.objectContaining({
            level: 50,
            msg: 'job failed for good after its last retry',
            job: 'test.doomed',
            willRetry: false,
            err: expect.objectContaining({ message: 'never works' }),
          }),
        ]),
      );
      expect(raw.join('')).not.toContain('secret-token');
    } finally {
      await tally.close();
    }
  });
});

describe('purges', () => {
  it('deletes refresh tokens that expired more than a day ago, in batches, and nothing else', async () => {
    const tally = await startTally();
    try {
      const [user] = await tally.db.query(
        `INSERT INTO users (email, name, password_hash) VALUES ($1, 'Purge', 'x') RETURNING id`,
        [`purge-${randomUUID()}@example.com`],
      );
      const insert = async (label: string, expiresSql: string): Promise<string> => {
        const id = randomUUID();
        await tally.db.query(
          `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
           VALUES ($1, $2, gen_random_uuid(), $3, ${expiresSql})`,
          [id, user.id, Buffer.from(label)],
        );
        return id;
      };
      for (let i = 0; i < 5; i += 1) await insert(`old${i}`, `now() - interval '2 days'`);
      await insert('just-over-a-day', `now() - interval '25 hours'`);
      const keep = [
        await insert('expired-an-hour-ago', `now() - interval '1 hour'`),
        await insert('live', `now() + interval '30 days'`),
      ];

      const batches: number[] = [];
      const first = await purgeExpiredRefreshTokens(tally.db, { batchSize: 2, onBatch: (_t, n) => batches.push(n) });
      expect(first).toEqual({ deleted: 6, done: true });
      expect(batches).toEqual([2, 2, 2]);
      const left = async () =>
        (await tally.db.query(`SELECT id FROM refresh_tokens WHERE user_id = $1`, [user.id]))
          .map((row: { id: string }) => row.id)
          .sort();
      expect(await left()).toEqual([...keep].sort());
      expect(await purgeExpiredRefreshTokens(tally.db, { batchSize: 2 })).toEqual({ deleted: 0, done: true });

      // The scheduled job does the same, hourly.
      await insert('old-again', `now() - interval '3 days'`);
      await tally.jobs.send(PURGE_REFRESH_TOKENS_JOB, {});
      await drainJobs(tally, PURGE_REFRESH_TOKENS_JOB);
      expect(await left()).toEqual([...keep].sort());
      expect(
        await tally.db.query(`SELECT name, cron FROM pgboss.schedule WHERE name = $1`, [PURGE_REFRESH_TOKENS_JOB]),
      ).toEqual([{ name: PURGE_REFRESH_TOKENS_JOB, cron: PURGE_REFRESH_TOKENS_CRON }]);
    } finally {
      await tally.close();
    }
  });

  it('deletes rate limit counters an hour after they expired, and only those, also as its scheduled job', async () => {
    const tally = await startTally();
    try {
      const name = `purge_${randomUUID().slice(0, 8)}`;
      const minute = 60_000;
      const insert = (key: string, expire: number | null) =>
        tally.db.query(`INSERT INTO rate_limits (key, points, expire) VALUES ($1, 1, $2)`, [`${name}:${key}`, expire]);
      const now = Date.now();
      for (let i = 0; i < 3; i += 1) await insert(`old${i}`, now - 61 * minute);
      await insert('recent', now - 59 * minute);
      await insert('live', now + minute);
      await insert('open', null);
      const left = async () =>
        (await tally.db.query(`SELECT key FROM rate_limits WHERE key LIKE $1 ORDER BY key`, [`${name}:%`])).map(
          (row: { key: string }) => row.key,
        );
      const purged = await purgeExpiredRateLimits(tally.db, { batchSize: 2 }, now);
      expect(purged.done).toBe(true);
      expect(purged.deleted).toBeGreaterThanOrEqual(3);
      expect(await left()).toEqual([`${name}:live`, `${name}:open`, `${name}:recent`]);

      // The scheduled job does the same, every five minutes.
      await insert('old-again', Date.now() - 2 * 60 * minute);
      await tally.jobs.send(PURGE_RATE_LIMITS_JOB, {});
      await drainJobs(tally, PURGE_RATE_LIMITS_JOB);
      expect(await left()).toEqual([`${name}:live`, `${name}:open`, `${name}:recent`]);
      expect(
        await tally.db.query(`SELECT name, cron FROM pgboss.schedule WHERE name = $1`, [PURGE_RATE_LIMITS_JOB]),
      ).toEqual([{ name: PURGE_RATE_LIMITS_JOB, cron: PURGE_RATE_LIMITS_CRON }]);
    } finally {
      await tally.close();
    }
  });

  it("deletes a workspace's rows table by table in committed batches, and resumes after an interruption", async () => {
    const tally = await startTally();
    try {
      const gone = randomUUID();
      const kept = randomUUID();
      for (const table of ['purge_test_events', 'purge_test_sessions']) {
        await tally.db.query(`CREATE TABLE ${table} (workspace_id uuid NOT NULL, n int NOT NULL)`);
        await tally.db.query(
          `INSERT INTO ${table} SELECT $1::uuid, g FROM generate_series(1, 25) g
           UNION ALL SELECT $2::uuid, g FROM generate_series(1, 5) g`,
          [gone, kept],
        );
      }
      const tables = ['purge_test_events', 'purge_test_sessions'];
      const counts = async () =>
        tally.db.query(
          `SELECT 'events' AS t, workspace_id = $1 AS gone, count(*)::int AS n FROM purge_test_events GROUP BY 1, 2
           UNION ALL SELECT 'sessions', workspace_id = $1, count(*)::int FROM purge_test_sessions GROUP BY 1, 2
           ORDER BY 1, 2`,
          [gone],
        );

      // Interrupted after two batches (a kill or a shutdown looks the same: the batches done stay done).
      const stop = new AbortController();
      let batches = 0;
      const partial = await purgeWorkspaceRows(tally.db, gone, tables, {
        batchSize: 10,
        signal: stop.signal,
        onBatch: () => {
          batches += 1;
          if (batches === 2) stop.abort();
        },
      });
      expect(partial).toEqual({ deleted: { purge_test_events: 20 }, done: false });
      expect(await counts()).toEqual([
        { t: 'events', gone: false, n: 5 },
        { t: 'events', gone: true, n: 5 },
        { t: 'sessions', gone: false, n: 5 },
        { t: 'sessions', gone: true, n: 25 },
      ]);

      const rest = await purgeWorkspaceRows(tally.db, gone, tables, { batchSize: 10 });
      expect(rest).toEqual({ deleted: { purge_test_events: 5, purge_test_sessions: 25 }, done: true });
      expect(await counts()).toEqual([
        { t: 'events', gone: false, n: 5 },
        { t: 'sessions', gone: false, n: 5 },
      ]);
      await expect(purgeWorkspaceRows(tally.db, gone, ['purge_test_events; DROP TABLE users'])).rejects.toThrow(
        'not a plain table or column name',
      );
    } finally {
      await tally.close();
    }
  });
});

describe('job leases', () => {
  it('jobs starting and ending at once take and drop their leases one statement at a time, each held meanwhile', async () => {
    const pool = new Pool({ connectionString: database.url });
    const leases = new Leases(
      database.url,
      pool,
      createLogger({ logLevel: 'warn', production: true }),
      { runningIds: () => [], isRunning: () => false, wake: () => undefined },
      60,
    );
    // The lease connection's statements: how many were sent while another still ran.
    const original = Client.prototype.query;
    let running = 0;
    let most = 0;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      const result = Reflect.apply(original, this, args) as unknown;
      const params = Reflect.get(this, 'connectionParameters') as { application_name?: string } | undefined;
      if (params?.application_name !== 'tally-job-leases' || !(result instanceof Promise)) return result as never;
      running += 1;
      most = Math.max(most, running);
      return result.finally(() => (running -= 1)) as never;
    });
    const held = async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND a.application_name = 'tally-job-leases'`,
          )
        ).rows[0]?.n,
      );
    try {
      const ids = Array.from({ length: 20 }, () => randomUUID());
      expect(await Promise.all(ids.map((id) => leases.take(id)))).toEqual(ids.map(() => true));
      expect(await held()).toBe(20);
      expect(await Promise.all(ids.map((id) => leases.drop(id)))).toEqual(ids.map(() => true));
      expect(await held()).toBe(0);
      expect(most).toBe(1);
    } finally {
      spy.mockRestore();
      await leases.close();
      await pool.end();
    }
  });
});
