import { Client, type Pool } from 'pg';
import type { Logger } from 'pino';
import { JOB_SCHEMA } from './schema';

/** The advisory lock namespace of job leases; the second key is hashtext(job id). */
const LEASE_LOCK_CLASS = 0x7461_6c79;
/** A job running for less than this may not have taken its lease yet. */
const LEASE_GRACE_SECONDS = 2;

const LEASE_SQL = {
  take: 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
  drop: 'SELECT pg_advisory_unlock($1, hashtext($2)) AS ok',
} as const;

/** What the leases need to know of the workers of this instance. */
export interface LeaseHolder {
  /** Ids of the jobs running here (their leases are taken again after a reconnection). */
  runningIds(): Iterable<string>;
  isRunning(id: string): boolean;
  /** A job of `name` was handed out again: fetch it now. */
  wake(name: string): void;
}

type Phase = 'new' | 'started' | 'stopping' | 'stopped';

/**
 * Leases of running jobs. A killed instance (SIGKILL, a crash, a lost machine) cannot hand its
 * jobs back, and pg-boss would only notice at their expiry (15 minutes for an email, an hour for
 * a purge). So while a job runs, its instance holds a session advisory lock named after the job
 * on a connection of its own; PostgreSQL drops it the moment that connection ends. Every
 * `checkSeconds`, and at start, each instance looks for running jobs whose lock nobody holds and
 * hands them out again at once. Should an instance lose only its lease connection (a network
 * cut), its jobs may run twice at the same time: handlers are idempotent anyway.
 */
export class Leases {
  private client: Client | null = null;
  private connecting: Promise<Client | null> | undefined;
  /** The lease statements asked for, run one after another (see `query`). */
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private reclaiming = false;
  private phase: Phase = 'new';
  private names: string[] = [];

  constructor(
    private readonly databaseUrl: string,
    /** The queue's pool, for reading and requeueing jobs (the lease connection is separate). */
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly holder: LeaseHolder,
    private readonly checkSeconds: number,
  ) {}

  /** Looks for jobs of vanished instances now and every `checkSeconds`, among `names`. */
  start(names: string[]): void {
    this.phase = 'started';
    this.names = names;
    void this.reclaim();
    this.timer = setInterval(() => void this.reclaim(), this.checkSeconds * 1000);
    this.timer.unref();
  }

  /** Takes the lease of a job starting here; false when it could not (the job runs anyway). */
  take(id: string): Promise<boolean> {
    return this.query(LEASE_SQL.take, id);
  }

  drop(id: string): Promise<boolean> {
    return this.query(LEASE_SQL.drop, id);
  }

  /** No more looking for vanished instances; leases of jobs still finishing keep working. */
  stopping(): void {
    clearInterval(this.timer);
    this.phase = 'stopping';
  }

  /** Ends the lease connection (and with it every lease this instance still holds). */
  async close(): Promise<void> {
    this.stopping();
    await this.connecting;
    await this.client?.end().catch(() => undefined);
    this.client = null;
    this.phase = 'stopped';
  }

  /** The lease connection, (re)connected on demand; null while the database cannot be reached. */
  private connection(): Promise<Client | null> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new Client({
        connectionString: this.databaseUrl,
        application_name: 'tally-job-leases',
        keepAlive: true,
        connectionTimeoutMillis: 10_000,
      });
      const lost = () => {
        if (this.client === client) this.client = null;
      };
      client.on('error', (error) => {
        if (this.phase === 'started') this.logger.warn({ err: error }, 'job lease connection lost');
        lost();
      });
      client.on('end', lost);
      try {
        await client.connect();
        // The leases of jobs running here ended with the old connection: take them again.
        for (const id of this.holder.runningIds()) await client.query(LEASE_SQL.take, [LEASE_LOCK_CLASS, id]);
        if (this.phase === 'stopping' || this.phase === 'stopped') {
          await client.end();
          return null;
        }
        this.client = client;
        return client;
      } catch (error) {
        this.logger.warn({ err: error }, 'job lease connection failed');
        await client.end().catch(() => undefined);
        return null;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /**
   * One lease statement. Jobs start and end on several workers at once and their locks belong to
   * one connection's session, so their statements wait their turn here, in the order asked:
   * node-pg queueing a query sent while another runs is deprecated (gone in pg 9).
   */
  private query(sql: string, id: string): Promise<boolean> {
    const result = this.queue.then(() => this.runQuery(sql, id));
    this.queue = result;
    return result;
  }

  /** Never rejects: a lease that could not be taken or dropped is logged, and the job goes on. */
  private async runQuery(sql: string, id: string): Promise<boolean> {
    try {
      const client = await this.connection();
      const { rows } = client ? await client.query<{ ok: boolean }>(sql, [LEASE_LOCK_CLASS, id]) : { rows: [] };
      return rows[0]?.ok ?? false;
    } catch (error) {
      this.logger.warn({ err: error, jobId: id }, 'job lease query failed');
      return false;
    }
  }

  /** Hands out again, at once, running jobs whose instance is gone (nobody holds their lease). */
  private async reclaim(): Promise<void> {
    if (this.phase !== 'started' || this.reclaiming) return;
    this.reclaiming = true;
    try {
      const { rows } = await this.pool.query<{ id: string; name: string }>(
        `SELECT id, name FROM ${JOB_SCHEMA}.job
          WHERE name = ANY($1) AND state = 'active' AND started_on < now() - make_interval(secs => $2)`,
        [this.names, LEASE_GRACE_SECONDS],
      );
      for (const job of rows) {
        if (this.holder.isRunning(job.id) || !(await this.take(job.id))) continue;
        try {
          const requeued = await this.pool.query(
            `UPDATE ${JOB_SCHEMA}.job SET state = 'retry', start_after = now()
              WHERE name = $1 AND id = $2 AND state = 'active'`,
            [job.name, job.id],
          );
          if (requeued.rowCount) {
            this.logger.warn({ job: job.name, jobId: job.id }, 'job of a vanished instance handed out again');
            this.holder.wake(job.name);
          }
        } finally {
          await this.drop(job.id);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for jobs of vanished instances');
    } finally {
      this.reclaiming = false;
    }
  }
}
