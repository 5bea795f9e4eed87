import type PgBoss from 'pg-boss';
import type { Pool } from 'pg';

/**
 * pg-boss's database: Tally's own pool, counting the statements in flight so that `close()`
 * waits until pg-boss has gone quiet (a statement it starts while stopping must not meet a
 * closed pool: pg-boss does not await every one, and a rejection there ends the process).
 */
export class BossDatabase implements PgBoss.Db {
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
