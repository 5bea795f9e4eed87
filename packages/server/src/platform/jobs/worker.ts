import type PgBoss from 'pg-boss';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { JobCounters } from '../metrics/metrics';
import type { BoundJob, JobContext, Registered } from './definitions';
import type { LeaseHolder, Leases } from './leases';
import { JOB_SCHEMA } from './schema';

interface Running {
  name: string;
  controller: AbortController;
  /** Handed back to the queue by stop(): whatever the handler does now is not recorded. */
  abandoned: boolean;
}

export interface WorkersOptions {
  /** How often an idle worker polls for jobs sent by other instances and for retries. */
  pollingMs: number;
  /** Counts finished attempts (completed, failed) for /metrics. */
  counters?: JobCounters | undefined;
}

/**
 * The workers of one instance: per defined job, `concurrency` loops that fetch a job, run it
 * under its lease and await its outcome being recorded (done, failed for a retry, failed for
 * good) before fetching the next.
 *
 * Why not pg-boss's own `work()`: it does not await marking a job done or failed (a database blip
 * at that moment is an unhandled rejection, which ends the process), and it can still start a
 * job it fetched while stopping, after its `stop({ graceful: true })` has resolved —
 * test/pg-boss-work.test.ts shows both on pg-boss 10. On `stop()` these loops let running jobs
 * finish for a while, then hand them back to the queue.
 */
export class Workers implements LeaseHolder {
  private readonly loops: Array<Promise<void>> = [];
  private readonly running = new Map<string, Running>();
  private readonly sleepers = new Map<string, Set<() => void>>();
  private readonly woken = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private active = false;

  constructor(
    private readonly boss: PgBoss,
    /** The queue's pool, for reading when a retry is due. */
    private readonly pool: Pool,
    private readonly leases: Pick<Leases, 'take' | 'drop'>,
    private readonly logger: Logger,
    private readonly options: WorkersOptions,
  ) {}

  start(definitions: Iterable<Registered>): void {
    this.active = true;
    for (const definition of definitions) {
      for (let i = 0; i < definition.concurrency; i += 1) this.loops.push(this.work(definition));
    }
  }

  /**
   * Stops fetching, lets running jobs finish for `timeoutMs`, and hands the rest back to the
   * queue (they run again, here after a restart or on another instance).
   */
  async stop(timeoutMs: number): Promise<void> {
    this.active = false;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    for (const name of this.sleepers.keys()) this.wake(name);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all(this.loops).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!finished) await this.abandonRunning();
  }

  /** A job of `name` is due now: a sleeping worker fetches at once (else the next loop does). */
  wake(name: string): void {
    const set = this.sleepers.get(name);
    if (!set || set.size === 0) {
      if (this.active) this.woken.add(name);
      return;
    }
    for (const wake of [...set]) wake();
  }

  runningIds(): Iterable<string> {
    return this.running.keys();
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
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
    while (this.active) {
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
    await this.leases.take(job.id);
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
      await this.leases.drop(job.id);
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
    if (ms === undefined || !this.active) return;
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
      const timer = setTimeout(wake, this.options.pollingMs);
      set.add(wake);
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
