import PgBoss from 'pg-boss';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { JobCounters } from '../metrics/metrics';
import { BossDatabase } from './boss-database';
import { type JobDefinition, type JobOverrides, type Registered, register } from './definitions';
import { Leases } from './leases';
import { JOB_SCHEMA } from './schema';
import { JobStats } from './stats';
import { Workers } from './worker';

export type { JobContext, JobDefinition, JobFailure, JobOverrides, QueuePolicy } from './definitions';
export { JOB_SCHEMA } from './schema';

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
 * The parts: `worker.ts` runs jobs (and says why not pg-boss's `work()`), `leases.ts` hands out
 * again at once the jobs of a killed instance, `stats.ts` is what /metrics reads,
 * `boss-database.ts` is pg-boss's view of the pool.
 */
export class JobQueue {
  /** Depth and connections, for /metrics. */
  readonly stats: JobStats;
  private readonly pool: Pool;
  private readonly database: BossDatabase;
  private readonly boss: PgBoss;
  private readonly leases: Leases;
  private readonly workers: Workers;
  private readonly definitions = new Map<string, Registered>();
  private readonly schedules: Array<{ name: string; cron: string; data: object }> = [];
  private readonly afterCommit = new WeakMap<QueryRunner, Set<string>>();
  private readonly subscriber: EntitySubscriberInterface;
  private state: 'new' | 'starting' | 'started' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;

  constructor(
    databaseUrl: string,
    private readonly logger: Logger,
    /** Jobs sent in one of its transactions are started as soon as it commits (else at the next poll). */
    private readonly db: DataSource | undefined,
    private readonly options: JobQueueOptions = {},
  ) {
    this.pool = new Pool({ connectionString: databaseUrl, max: 4, application_name: 'tally-jobs' });
    // While stopping, a connection the database closes is expected (it may stop right after).
    this.pool.on('error', (error) =>
      this.state === 'stopping' || this.state === 'stopped'
        ? logger.debug({ err: error }, 'job queue connection closed while stopping')
        : logger.warn({ err: error }, 'idle job queue connection lost'),
    );
    this.database = new BossDatabase(this.pool);
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
    this.stats = new JobStats(this.pool, () => [...this.definitions.keys()]);
    this.leases = new Leases(
      databaseUrl,
      this.pool,
      logger,
      {
        runningIds: () => this.workers.runningIds(),
        isRunning: (id) => this.workers.isRunning(id),
        wake: (name) => this.workers.wake(name),
      },
      options.leaseCheckSeconds ?? 5,
    );
    this.workers = new Workers(this.boss, this.pool, this.leases, logger, {
      pollingMs: Math.max(0.5, options.pollingIntervalSeconds ?? 2) * 1000,
      counters: options.counters,
    });
    this.subscriber = {
      afterTransactionCommit: (event) => {
        if (event.queryRunner.isTransactionActive) return;
        const names = this.afterCommit.get(event.queryRunner);
        this.afterCommit.delete(event.queryRunner);
        for (const name of names ?? []) this.workers.wake(name);
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
    this.definitions.set(definition.name, register(definition, this.options.overrides?.[definition.name]));
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
    this.workers.start(this.definitions.values());
    this.leases.start([...this.definitions.keys()]);
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
    if (!options.startAfterSeconds) this.workers.wake(name);
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
    this.leases.stopping();
    this.state = 'stopping';
    if (started) {
      await this.workers.stop(this.options.stopTimeoutMs ?? 5_000);
      const subscribers = this.db?.subscribers;
      const index = subscribers?.indexOf(this.subscriber) ?? -1;
      if (subscribers && index >= 0) subscribers.splice(index, 1);
    }
    await this.boss.stop({ graceful: true, wait: true, timeout: 1_000 }).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'job queue did not stop cleanly');
    });
    await this.database.close();
    await this.leases.close();
    this.state = 'stopped';
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

export interface JobQueueOptions {
  /** How often an idle queue is polled for jobs sent by other instances and for retries. Default 2 s; pg-boss's minimum is 0.5. */
  pollingIntervalSeconds?: number;
  /** How often expired jobs are handed out again and old ones archived (one instance does it). Default 60 s. */
  maintenanceIntervalSeconds?: number;
  /** How long `stop()` lets running jobs finish before handing them back to the queue. Default 5000 ms. */
  stopTimeoutMs?: number;
  /** Per job name, replaces parts of its definition (tests shorten retry delays). */
  overrides?: Record<string, JobOverrides>;
  /** How often running jobs of vanished instances are looked for (see leases.ts). Default 5 s. */
  leaseCheckSeconds?: number;
  /** Counts finished attempts (completed, failed) for /metrics. */
  counters?: JobCounters;
}

export interface SendOptions {
  singletonKey?: string;
  startAfterSeconds?: number;
}

function toPgBoss(options: SendOptions): PgBoss.SendOptions {
  const result: PgBoss.SendOptions = {};
  if (options.singletonKey !== undefined) result.singletonKey = options.singletonKey;
  if (options.startAfterSeconds) result.startAfter = options.startAfterSeconds;
  return result;
}
