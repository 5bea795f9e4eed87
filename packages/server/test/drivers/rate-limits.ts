import type { Tally } from '../../src/server';

/**
 * Points `key` has taken from the limit named `name` (0 when none), read from `rate_limits`, where
 * every instance's counters live: the limits keep no counter for tests.
 */
export async function pointsTaken(tally: Tally, name: string, key: string): Promise<number> {
  const rows: Array<{ points: number }> = await tally.db.query(`SELECT points FROM rate_limits WHERE key = $1`, [
    `${name}:${key}`,
  ]);
  return rows[0]?.points ?? 0;
}
