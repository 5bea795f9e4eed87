import PgBoss from 'pg-boss';
import { Client, Pool } from 'pg';
import type { Logger } from 'pino';
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { JobCounters } from '../metrics/metrics';

/**
 * Durable background work on Tally's own PostgreSQL (pg-boss 10, schema `pgboss`): no other
 * service. A job is a row; it survives restarts and crashes, and any instance may run it.
 *
 * - `define()` each job before `start()`: a name, a handler and its retry policy.
 * - `sendInTransaction(manager, …)` inside a TypeORM transaction: the job exists only if that
 *   transaction commits (send an email after the invitation row is committed, purge a team after
 *   its deletion is). `send()` outside one.
 * - A failed attempt is retried after `retryDelaySeconds` (doubling, with jitter, when
 *   `retryBackoff`), up to `retryLimit` times. A job still running `expireInSeconds` after it
 *   started counts as failed (its handler's `signal` is aborted) — also when its instance died
 *   mid-job: maintenance on any instance then hands it out again.
 *
 * **Handlers must be idempotent.** A job runs at least once, not exactly once: an instance can
 * die after the work and before the job is marked done, and the job then runs again. Write so
 * that a second run finds nothing left to do (delete what is left, upsert, check a state column).
 * Long work should go in bounded steps and stop early when `job.signal` is aborted (Tally is
 * stopping or the job ran out of time), leaving the rest for the next run.
 *
 * **Job data is stored in plain text** (`pgboss.job.data`) until the job is archived and
 * deleted: pass ids, not secrets. A one-time token (an invitation link) is better minted by the
 * handler itself, whose transaction stores its hash, than carried in the job.
 *
 * Why not pg-boss's own `work()`: it does not await marking a job done or failed (a database blip
 * at that moment is an unhandled rejection, which ends the process), and it can still start a
 * job it fetched while stopping. The small loop here fetches, runs, awaits the outcome, and on
 * `stop()` lets running jobs finish for `stopTimeoutMs`, then hands them back to the queue.
 *
 * **Leases.** A killed instance (SIGKILL, a crash, a lost machine) cannot hand its jobs back, and
 * pg-boss would only notice at their expiry (15 minutes for an email, an hour for a purge). So
 * while a job runs, its instance holds a session advisory lock named after the job on a
 * connection of its own; PostgreSQL drops it the moment that connection ends. Every
 * `leaseCheckSeconds`, and at start, each instance looks for running jobs whose lock nobody
 * holds and hands them out again at once. Should an instance lose only its lease connection
 * (a network cut), its jobs may run twice at the same time: handlers are idempotent anyway.
 */
export const JOB_SCHEMA = 'pgboss';

/** The advisory lock namespace of job leases; the second key is hashtext(job id). */
const LEASE_LOCK_CLASS = 0x7461_6c79;
/** A job running for less than this may not have taken its lease yet. */
const LEASE_GRACE_SECONDS = 2;

/** pg-boss queue policies: how many jobs of one `singletonKey` may be queued or active at once. */
export type QueuePolicy = 'standard' | 'short' | 'singleton' | 'stately';

export interface JobContext {
  id: string;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Aborted when the job ran past `expireInSeconds` or Tally is stopping and cannot wait. */
  signal: AbortSignal;
}

export interface JobFailure {
  id: string;
  retryCount: number;
  /** False when this was the last attempt. */
  willRetry: boolean;
}

export interface JobDefinition<T> {
  name: string;
  /** Attempts after the first. Default 3. */
  retryLimit?: number;
  /** Whole seconds before a retry. Default 5. */
  retryDelaySeconds?: number;
  /** Doubles the delay on every retry (with jitter: between 1× and 2× of it). Default true. */
  retryBackoff?: boolean;
  /** A run longer than this counts as failed. Default 900 (pg-boss allows up to 24 h). */
  expireInSeconds?: number;
  /**
   * Default `standard` (every job runs). With `singleton`, `stately` or `short`, jobs of the same
   * `singletonKey` are deduplicated as pg-boss 10 documents; a plain `singletonKey` on a standard
   * queue deduplicates nothing.
   */
  policy?: QueuePolicy;
  /** Jobs of this name one instance runs at once. Default 1. */
  concurrency?: number;
  /** Checks the stored payload; throwing cancels the job (a bad payload never gets better). */
  parse?: (data: unknown) => T;
  handler: (data: T, job: JobContext) => Promise<void>;
  /**
   * Called after every failed attempt, e.g. to record the last error on the domain's own row
   * (an invitation's `lastSendError`). Its own errors are logged and ignored.
   */
  onFailure?: (data: T, error: unknown, job: JobFailure) => Promise<void>;
}

export type JobOverrides = Partial<
  Pick<JobDefinition<object>, 'retryLimit' | 'retryDelaySeconds' | 'retryBackoff' | 'expireInSeconds'>
>;

export interface JobQueueOptions {
  /** How often an idle queue is polled for jobs sent by other instances and for retries. Default 2 s; pg-boss's minimum is 0.5. */
  pollingIntervalSeconds?: number;
  /** How often expired jobs are handed out again and old ones archived (one instance does it). Default 60 s. */
  maintenanceIntervalSeconds?: number;
  /** How long `stop()` lets running jobs finish before handing them back to the queue. Default 5000 ms. */
  stopTimeoutMs?: number;
  /** Per job name, replaces parts of its definition (tests shorten retry delays). */
  overrides?: Record<string, JobOverrides>;
  /** How often running jobs of vanished instances are looked for (see Leases above). Default 5 s. */
  leaseCheckSeconds?: number;
  /** Counts finished attempts (completed, failed) for /metrics. */
  counters?: JobCounters;
}

export interface SendOptions {
  singletonKey?: string;
  startAfterSeconds?: number;
}

interface Registered {
  name: string;
  concurrency: number;
  queue: PgBoss.Queue;
  /** Parses the stored payload (throws when it is invalid) and binds the handlers to it. */
  bind(data: unknown): BoundJob;
}

interface BoundJob {
  handle(job: JobContext): Promise<void>;
  failed(error: unknown, job: JobFailure): Promise<void>;
}

interface Running {
  name: string;
  controller: AbortController;
  /** Handed back to the queue by stop(): whatever the handler does now is not recorded. */
  abandoned: boolean;
}

type State = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

const DEFAULTS = { retryLimit: 3, retryDelaySeconds: 5, retryBackoff: true, expireInSeconds: 900 } as const;

export class JobQueue {
  private readonly pool: Pool;
  private readonly database: TrackedDatabase;
  private readonly boss: PgBoss;
  private readonly definitions = new Map<string, Registered>();
  private readonly schedules: Array<{ name: string; cron: string; data: object }> = [];
  private readonly loops: Array<Promise<void>> = [];
  private readonly running = new Map<string, Running>();
  private readonly sleepers = new Map<string, Set<() => void>>();
  private readonly woken = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly afterCommit = new WeakMap<QueryRunner, Set<string>>();
  private readonly subscriber: EntitySubscriberInterface;
  private readonly pollingMs: number;
  private readonly stopTimeoutMs: number;
  private state: State = 'new';
  private stopping: Promise<void> | undefined;
  private lease: Client | null = null;
  private leaseConnecting: Promise<Client | null> | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private reclaiming = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
    /** Jobs sent in one of its transactions are started as soon as it commits (else at the next poll). */
    private readonly db: DataSource | undefined,
    private readonly options: JobQueueOptions = {},
  ) {
    this.pollingMs = Math.max(0.5, options.pollingIntervalSeconds ?? 2) * 1000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
    this.pool = new Pool({ connectionString: databaseUrl, max: 4, application_name: 'tally-jobs' });
    // While stopping, a connection the database closes is expected (it may stop right after).
    this.pool.on('error', (error) =>
      this.state === 'stopping' || this.state === 'stopped'
        ? logger.debug({ err: error }, 'job queue connection closed while stopping')
        : logger.warn({ err: error }, 'idle job queue connection lost'),
    );
    this.database = new TrackedDatabase(this.pool);
    this.boss = new PgBoss({
      db: this.database,
      schema: JOB_SCHEMA,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
      // Payloads are not kept longer than needed: done jobs are archived after an hour, failed
      // ones after a week (to look into), and the archive is emptied after a day.
      archiveCompletedAfterSeconds: 60 * 60,
      archiveFailedAfterSeconds: 7 * 24 * 60 * 60,
      deleteAfterDays: 1,
    });
    this.boss.on('error', (error) => this.logger.warn({ err: error }, 'job queue error'));
    this.subscriber = {
      afterTransactionCommit: (event) => {
        if (event.queryRunner.isTransactionActive) return;
        const names = this.afterCommit.get(event.queryRunner);
        this.afterCommit.delete(event.queryRunner);
        for (const name of names ?? []) this.wake(name);
      },
      afterTransactionRollback: (event) => {
        if (!event.queryRunner.isTransactionActive) this.afterCommit.delete(event.queryRunner);
      },
    };
  }

  /** Registers a job and its handler; before start(). */
  define<T extends object>(definition: JobDefinition<T>): void {
    if (this.state !== 'new') throw new Error(`define(${definition.name}) must come before start()`);
    if (this.definitions.has(definition.name)) throw new Error(`job ${definition.name} is defined twice`);
    const d = { ...DEFAULTS, ...definition, ...this.options.overrides?.[definition.name] };
    const { parse, handler, onFailure } = definition;
    this.definitions.set(d.name, {
      name: d.name,
      concurrency: Math.max(1, d.concurrency ?? 1),
      queue: {
        name: d.name,
        policy: d.policy ?? 'standard',
        retryLimit: d.retryLimit,
        retryDelay: d.retryDelaySeconds,
        retryBackoff: d.retryBackoff,
        expireInSeconds: d.expireInSeconds,
      },
      bind: (stored) => {
        // Without `parse`, the payload is what send<T>() of this same code stored under this name.
        const data = parse ? parse(stored) : (stored as T);
        return {
          handle: (job) => handler(data, job),
          failed: async (error, job) => {
            if (onFailure) await onFailure(data, error, job);
          },
        };
      },
    });
  }

  /** Runs `name` on a cron schedule (UTC), e.g. '17 * * * *' hourly; one instance sends each run. */
  async schedule(name: string, cron: string, data: object = {}): Promise<void> {
    this.assertDefined(name);
    if (this.state === 'new' || this.state === 'starting') {
      this.schedules.push({ name, cron, data });
      return;
    }
    await this.boss.schedule(name, cron, data);
  }

  /** Installs or upgrades the `pgboss` schema, creates the queues and starts the workers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the job queue was already started');
    this.state = 'starting';
    await this.boss.start();
    for (const definition of this.definitions.values()) {
      await this.boss.createQueue(definition.name, definition.queue);
      // An existing queue takes the current definition's policy and retry settings.
      await this.boss.updateQueue(definition.name, definition.queue);
    }
    for (const s of this.schedules.splice(0)) await this.boss.schedule(s.name, s.cron, s.data);
    this.db?.subscribers.push(this.subscriber);
    this.state = 'started';
    for (const definition of this.definitions.values()) {
      for (let i = 0; i < definition.concurrency; i += 1) this.loops.push(this.work(definition));
    }
    void this.reclaim();
    this.leaseTimer = setInterval(() => void this.reclaim(), (this.options.leaseCheckSeconds ?? 5) * 1000);
    this.leaseTimer.unref();
  }

  /** Enqueues inside the caller's transaction: the job exists only if that transaction commits. */
  async sendInTransaction<T extends object>(
    manager: EntityManager,
    name: string,
    data: T,
    options: SendOptions = {},
  ): Promise<void> {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) {
      throw new Error(`sendInTransaction(${name}) needs the manager of an open transaction`);
    }
    this.assertCanSend(name);
    const db: PgBoss.Db = {
      executeSql: async (text, values) => {
        const rows: unknown = await manager.query(text, values);
        return { rows: Array.isArray(rows) ? rows : [] };
      },
    };
    await this.boss.send(name, data, { ...toPgBoss(options), db });
    const names = this.afterCommit.get(runner) ?? new Set<string>();
    names.add(name);
    this.afterCommit.set(runner, names);
  }

  /** Enqueues now (no transaction). */
  async send<T extends object>(name: string, data: T, options: SendOptions = {}): Promise<void> {
    this.assertCanSend(name);
    await this.boss.send(name, data, toPgBoss(options));
    if (!options.startAfterSeconds) this.wake(name);
  }

  /** The connections of the queue's own pool (for /metrics). */
  get poolUse(): { totalCount: number; idleCount: number; waitingCount: number } {
    return this.pool;
  }

  /**
   * Jobs waiting (`created`), due for a retry (`retry`) and running (`active`), for every
   * defined job (0 included): one grouped count over pgboss.job, when /metrics is scraped.
   */
  async depth(): Promise<Array<{ name: string; state: string; count: number }>> {
    const names = [...this.definitions.keys()];
    const { rows } = await this.pool.query<{ name: string; state: string; count: number }>(
      `SELECT name, state::text AS state, count(*)::int AS count FROM ${JOB_SCHEMA}.job
        WHERE name = ANY($1) AND state IN ('created', 'retry', 'active') GROUP BY name, state`,
      [names],
    );
    const counts = new Map(rows.map((row) => [`${row.name}\u0000${row.state}`, row.count]));
    return names.flatMap((name) =>
      (['created', 'retry', 'active'] as const).map((state) => ({
        name,
        state,
        count: counts.get(`${name}\u0000${state}`) ?? 0,
      })),
    );
  }

  /** Tests: resolves once no job of `name` is waiting, due for a retry or running. */
  async drain(name: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await this.pool.query<{ state: string; count: number }>(
        `SELECT state::text AS state, count(*)::int AS count FROM ${JOB_SCHEMA}.job
          WHERE name = $1 AND state IN ('created', 'retry', 'active') GROUP BY state`,
        [name],
      );
      if (rows.length === 0) return;
      if (Date.now() > until) {
        const left = rows.map((r) => `${r.count} ${r.state}`).join(', ');
        throw new Error(`jobs ${name} not done after ${timeoutMs} ms: ${left}`);
      }
      await delay(50);
    }
  }

  /**
   * Stops fetching, lets running jobs finish for `stopTimeoutMs`, hands the rest back to the
   * queue (they run again, here after a restart or on another instance), then closes.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const started = this.state === 'started';
    clearInterval(this.leaseTimer);
    this.state = 'stopping';
    if (started) {
      for (const timer of this.retryTimers) clearTimeout(timer);
      this.retryTimers.clear();
      for (const name of this.sleepers.keys()) this.wake(name);
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        Promise.all(this.loops).then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.stopTimeoutMs))),
      ]);
      clearTimeout(timer);
      if (!finished) await this.abandonRunning();
      const subscribers = this.db?.subscribers;
      const index = subscribers?.indexOf(this.subscriber) ?? -1;
      if (subscribers && index >= 0) subscribers.splice(index, 1);
    }
    await this.boss.stop({ graceful: true, wait: true, timeout: 1_000 }).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'job queue did not stop cleanly');
    });
    await this.database.close();
    await this.leaseConnecting;
    await this.lease?.end().catch(() => undefined);
    this.lease = null;
    this.state = 'stopped';
  }

  /** The lease connection, (re)connected on demand; null while the database cannot be reached. */
  private leaseClient(): Promise<Client | null> {
    if (this.lease) return Promise.resolve(this.lease);
    this.leaseConnecting ??= (async () => {
      const client = new Client({
        connectionString: this.databaseUrl,
        application_name: 'tally-job-leases',
        keepAlive: true,
        connectionTimeoutMillis: 10_000,
      });
      const lost = () => {
        if (this.lease === client) this.lease = null;
      };
      client.on('error', (error) => {
        if (this.state === 'started') this.logger.warn({ err: error }, 'job lease connection lost');
        lost();
      });
      client.on('end', lost);
      try {
        await client.connect();
        // The leases of jobs running here ended with the old connection: take them again.
        for (const id of this.running.keys()) await client.query(LEASE_SQL.take, [LEASE_LOCK_CLASS, id]);
        if (this.state === 'stopping' || this.state === 'stopped') {
          await client.end();
          return null;
        }
        this.lease = client;
        return client;
      } catch (error) {
        this.logger.warn({ err: error }, 'job lease connection failed');
        await client.end().catch(() => undefined);
        return null;
      } finally {
        this.leaseConnecting = undefined;
      }
    })();
    return this.leaseConnecting;
  }

  private async leaseQuery(sql: string, id: string): Promise<boolean> {
    try {
      const client = await this.leaseClient();
      const { rows } = client ? await client.query<{ ok: boolean }>(sql, [LEASE_LOCK_CLASS, id]) : { rows: [] };
      return rows[0]?.ok ?? false;
    } catch (error) {
      this.logger.warn({ err: error, jobId: id }, 'job lease query failed');
      return false;
    }
  }

  /** Hands out again, at once, running jobs whose instance is gone (nobody holds their lease). */
  private async reclaim(): Promise<void> {
    if (this.state !== 'started' || this.reclaiming) return;
    this.reclaiming = true;
    try {
      const { rows } = await this.pool.query<{ id: string; name: string }>(
        `SELECT id, name FROM ${JOB_SCHEMA}.job
          WHERE name = ANY($1) AND state = 'active' AND started_on < now() - make_interval(secs => $2)`,
        [[...this.definitions.keys()], LEASE_GRACE_SECONDS],
      );
      for (const job of rows) {
        if (this.running.has(job.id) || !(await this.leaseQuery(LEASE_SQL.take, job.id))) continue;
        try {
          const requeued = await this.pool.query(
            `UPDATE ${JOB_SCHEMA}.job SET state = 'retry', start_after = now()
              WHERE name = $1 AND id = $2 AND state = 'active'`,
            [job.name, job.id],
          );
          if (requeued.rowCount) {
            this.logger.warn({ job: job.name, jobId: job.id }, 'job of a vanished instance handed out again');
            this.wake(job.name);
          }
        } finally {
          await this.leaseQuery(LEASE_SQL.drop, job.id);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for jobs of vanished instances');
    } finally {
      this.reclaiming = false;
    }
  }

  private async abandonRunning(): Promise<void> {
    for (const [id, running] of this.running) {
      running.abandoned = true;
      running.controller.abort(new Error('Tally is stopping'));
      this.logger.warn({ job: running.name, jobId: id }, 'job still running at shutdown; it will run again');
      await this.boss
        .fail(running.name, id, { message: 'Tally stopped before the job finished' })
        .catch((error: unknown) => this.logger.warn({ err: error, job: running.name }, 'could not hand a job back'));
    }
  }

  private async work(definition: Registered): Promise<void> {
    while (this.state === 'started') {
      try {
        // pg-boss's fetch returns no job when the database cannot be reached: wait and try again.
        const [job] = await this.boss.fetch<object>(definition.name, { includeMetadata: true, batchSize: 1 });
        if (job) {
          await this.run(definition, job);
          continue;
        }
      } catch (error) {
        this.logger.warn({ job: definition.name, err: error }, 'job worker error');
      }
      await this.sleep(definition.name);
    }
  }

  private async run(definition: Registered, job: PgBoss.JobWithMetadata<object>): Promise<void> {
    const name = definition.name;
    let bound: BoundJob;
    try {
      bound = definition.bind(job.data);
    } catch (error) {
      this.logger.error({ job: name, jobId: job.id, err: error }, 'job payload is invalid; cancelled');
      this.options.counters?.failed(name, false);
      await this.boss.cancel(name, job.id).catch(() => undefined);
      return;
    }
    const running: Running = { name, controller: new AbortController(), abandoned: false };
    this.running.set(job.id, running);
    await this.leaseQuery(LEASE_SQL.take, job.id);
    const context: JobContext = { id: job.id, retryCount: job.retryCount, signal: running.controller.signal };
    const expireSeconds = Number(job.expireInSeconds);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        bound.handle(context),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const error = new Error(`job ran longer than ${expireSeconds} s`);
            running.controller.abort(error);
            reject(error);
          }, expireSeconds * 1000);
        }),
      ]);
      if (running.abandoned) return;
      await this.boss.complete(name, job.id);
      this.options.counters?.completed(name);
    } catch (error) {
      if (running.abandoned) {
        this.logger.debug({ job: name, jobId: job.id, err: error }, 'abandoned job ended');
        return;
      }
      await this.recordFailure(definition, bound, job, error);
    } finally {
      clearTimeout(timer);
      this.running.delete(job.id);
      await this.leaseQuery(LEASE_SQL.drop, job.id);
    }
  }

  private async recordFailure(
    definition: Registered,
    bound: BoundJob,
    job: PgBoss.JobWithMetadata<object>,
    error: unknown,
  ): Promise<void> {
    const willRetry = job.retryCount < job.retryLimit;
    // The job's data is never logged (it may hold an address or a link); the error is, through
    // the logger's serializer, which drops a driver error's SQL and parameters.
    const fields = { job: definition.name, jobId: job.id, attempt: job.retryCount + 1, willRetry, err: error };
    this.options.counters?.failed(definition.name, willRetry);
    if (willRetry) this.logger.warn(fields, 'job failed; it will be retried');
    else this.logger.error(fields, 'job failed for good after its last retry');
    try {
      await bound.failed(error, { id: job.id, retryCount: job.retryCount, willRetry });
    } catch (hookError) {
      this.logger.warn({ job: definition.name, jobId: job.id, err: hookError }, 'job failure hook failed');
    }
    try {
      // Only the message is stored with the job (pgboss.job.output), never a stack or a query.
      await this.boss.fail(definition.name, job.id, { message: messageOf(error) });
    } catch (failError) {
      // Left active, the job expires and is handed out again by maintenance.
      this.logger.warn({ job: definition.name, jobId: job.id, err: failError }, 'could not record a job failure');
      return;
    }
    // Without the wake-up, polling finds the retry a little later.
    if (willRetry) await this.wakeForRetry(definition.name, job.id).catch(() => undefined);
  }

  /** Wakes a worker when the retry is due, rather than at the first poll after it. */
  private async wakeForRetry(name: string, id: string): Promise<void> {
    const { rows } = await this.pool.query<{ ms: number }>(
      `SELECT greatest(0, extract(epoch FROM start_after - now()) * 1000)::int AS ms
         FROM ${JOB_SCHEMA}.job WHERE name = $1 AND id = $2 AND state = 'retry'`,
      [name, id],
    );
    const ms = rows[0]?.ms;
    if (ms === undefined || this.state !== 'started') return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.wake(name);
    }, ms + 20);
    this.retryTimers.add(timer);
  }

  private sleep(name: string): Promise<void> {
    if (this.woken.delete(name)) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.sleepers.get(name) ?? new Set<() => void>();
      this.sleepers.set(name, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.pollingMs);
      set.add(wake);
    });
  }

  /** A job of `name` is due now: a sleeping worker fetches at once (else the next loop does). */
  private wake(name: string): void {
    const set = this.sleepers.get(name);
    if (!set || set.size === 0) {
      if (this.state === 'started') this.woken.add(name);
      return;
    }
    for (const wake of [...set]) wake();
  }

  private assertDefined(name: string): void {
    if (!this.definitions.has(name)) throw new Error(`no job named ${name} is defined`);
  }

  private assertCanSend(name: string): void {
    this.assertDefined(name);
    if (this.state !== 'started' && this.state !== 'stopping') {
      throw new Error(`cannot send ${name}: the job queue is ${this.state}`);
    }
  }
}

const LEASE_SQL = {
  take: 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
  drop: 'SELECT pg_advisory_unlock($1, hashtext($2)) AS ok',
} as const;

function toPgBoss(options: SendOptions): PgBoss.SendOptions {
  const result: PgBoss.SendOptions = {};
  if (options.singletonKey !== undefined) result.singletonKey = options.singletonKey;
  if (options.startAfterSeconds) result.startAfter = options.startAfterSeconds;
  return result;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * pg-boss's database: Tally's own pool, counting the statements in flight so that `close()`
 * waits until pg-boss has gone quiet (a statement it starts while stopping must not meet a
 * closed pool: pg-boss does not await every one, and a rejection there ends the process).
 */
class TrackedDatabase implements PgBoss.Db {
  private inFlight = 0;
  private closed = false;
  private idle: (() => void) | undefined;

  constructor(private readonly pool: Pool) {}

  async executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    if (this.closed) throw new Error('the job queue is stopped');
    this.inFlight += 1;
    try {
      const result = await this.pool.query(text, values);
      // A multi-statement text (pg-boss's locked migrations) answers with one result per statement.
      return { rows: Array.isArray(result) ? [] : result.rows };
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  async close(): Promise<void> {
    // Quiet means nothing in flight after the microtasks and I/O callbacks that could start more.
    do {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } while (this.inFlight > 0);
    this.closed = true;
    await this.pool.end();
  }
}
