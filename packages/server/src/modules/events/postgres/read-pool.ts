import type { Pool, QueryResult, QueryResultRow } from 'pg';
import type { ReadGate } from '../event-store';
import { tooSlow } from '../read-refusals';
import { isStatementTimeout } from './statement-timeout';

/** The analytics reads' own pool (its connections start with a `statement_timeout`). */
export interface AnalyticsReadPool {
  pool: Pool;
  /** The pool's statement_timeout, for the message of a statement it stopped. */
  statementTimeoutMs: number;
}

/**
 * Runs the analytics statements: on the read pool, each through the request's gate when there is
 * one. A statement the pool's `statement_timeout` stopped is the caller's too-wide question, not
 * a fault: BAD_USER_INPUT saying what to narrow.
 */
export class AnalyticsSql {
  constructor(
    private readonly pool: Pool,
    private readonly statementTimeoutMs: number | null,
  ) {}

  read<R extends QueryResultRow>(gate: ReadGate | undefined, text: string, values: unknown[]): Promise<QueryResult<R>> {
    const run = () =>
      this.pool.query<R>(text, values).catch((error: unknown) => {
        throw isStatementTimeout(error) ? tooSlow(this.statementTimeoutMs) : error;
      });
    return gate ? gate(run) : run();
  }

  /**
   * `read`, with sequential scans ruled out for the statement (`SET LOCAL` in its own read-only
   * transaction: two more round trips). For the statements that read raw events only in the
   * ragged hours at the ends of a range: an hour of one workspace is always an index range, but
   * the planner cannot know it at the newest end of a partition — the range past its histogram,
   * where every workspace's latest events land — and there it chose a parallel scan of the whole
   * partition (0.4 s at 10 M events, on every dashboard request). Bitmap and index scans stay
   * open to it. Nor parallel workers: these statements read bounded index ranges, and on fresh
   * statistics the planner gave Tools & Usage's unions of rollup blocks two workers, whose start
   * took 9 ms of the statement's 12 (0.3 ms of reading).
   */
  readByIndex<R extends QueryResultRow>(
    gate: ReadGate | undefined,
    text: string,
    values: unknown[],
  ): Promise<QueryResult<R>> {
    const run = async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query(
          'BEGIN READ ONLY; SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0',
        );
        const result = await client.query<R>(text, values);
        await client.query('COMMIT');
        return result;
      } catch (error: unknown) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw isStatementTimeout(error) ? tooSlow(this.statementTimeoutMs) : error;
      } finally {
        // A connection that could not even roll back is not given to the next statement.
        client.release(broken);
      }
    };
    return gate ? gate(run) : run();
  }
}

/** A count or sum as PostgreSQL returns it (bigint and numeric come as text). */
export function toNumber(value: string | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}
