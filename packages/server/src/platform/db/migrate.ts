import type { DataSource } from 'typeorm';

const MIGRATION_LOCK = 7_364_922_101; // any constant; shared by every Tally instance

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so that several instances
 * starting at once apply each migration exactly once.
 */
export async function migrate(db: DataSource): Promise<string[]> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await db.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
