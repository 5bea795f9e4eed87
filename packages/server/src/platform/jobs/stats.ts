import type { Pool } from 'pg';
import { JOB_SCHEMA } from './schema';

const COUNTED_STATES = ['created', 'retry', 'active'] as const;

/** What /metrics reports about the job queue. */
export class JobStats {
  constructor(
    private readonly pool: Pool,
    /** The defined job names (every one is reported, 0 included). */
    private readonly names: () => string[],
  ) {}

  /** The connections of the queue's own pool. */
  get poolUse(): { totalCount: number; idleCount: number; waitingCount: number } {
    return this.pool;
  }

  /**
   * Jobs waiting (`created`), due for a retry (`retry`) and running (`active`), for every
   * defined job (0 included): one grouped count over pgboss.job, when /metrics is scraped.
   */
  async depth(): Promise<Array<{ name: string; state: string; count: number }>> {
    const names = this.names();
    const { rows } = await this.pool.query<{ name: string; state: string; count: number }>(
      `SELECT name, state::text AS state, count(*)::int AS count FROM ${JOB_SCHEMA}.job
        WHERE name = ANY($1) AND state IN ('created', 'retry', 'active') GROUP BY name, state`,
      [names],
    );
    const counts = new Map(rows.map((row) => [`${row.name}\u0000${row.state}`, row.count]));
    return names.flatMap((name) =>
      COUNTED_STATES.map((state) => ({ name, state, count: counts.get(`${name}\u0000${state}`) ?? 0 })),
    );
  }
}
