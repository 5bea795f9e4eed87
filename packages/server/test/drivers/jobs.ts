import { JOB_SCHEMA } from '../../src/platform/jobs/schema';
import type { Tally } from '../../src/server';
import { waitFor } from '../harness';

/** Resolves once no job of `name` is waiting, due for a retry or running; fails after `timeoutMs`. */
export async function drainJobs(tally: Tally, name: string, timeoutMs = 10_000): Promise<void> {
  let left: Array<{ state: string; count: number }> = [];
  try {
    await waitFor(
      async () => {
        left = await tally.db.query(
          `SELECT state::text AS state, count(*)::int AS count FROM ${JOB_SCHEMA}.job
            WHERE name = $1 AND state IN ('created', 'retry', 'active') GROUP BY state`,
          [name],
        );
        return left.length === 0;
      },
      timeoutMs,
      `jobs ${name} done`,
    );
  } catch (error) {
    const counts = left.map((row) => `${row.count} ${row.state}`).join(', ');
    throw new Error(`jobs ${name} not done after ${timeoutMs} ms: ${counts}`, { cause: error });
  }
}

/** Job names the web app's tests wait on (they reach the server only through @tally/server-test). */
export { PASSWORD_RESET_EMAIL_JOB } from '../../src/modules/accounts/password-reset.service';
