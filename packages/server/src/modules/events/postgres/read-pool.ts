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
}

/** A count or sum as PostgreSQL returns it (bigint and numeric come as text). */
export function toNumber(value: string | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}
