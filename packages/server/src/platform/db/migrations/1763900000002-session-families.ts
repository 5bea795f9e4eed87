import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revoked login families are found quickly by when they were revoked (every instance loads the
 * recent ones at start and after its change feed reconnects, to refuse their access tokens
 * without a database round trip), and expired refresh tokens by their expiry (the purge).
 */
export class SessionFamilies1763900000002 implements MigrationInterface {
  name = 'SessionFamilies1763900000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX refresh_tokens_revoked_idx ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL`,
    );
    await q.query(`CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX refresh_tokens_expires_idx`);
    await q.query(`DROP INDEX refresh_tokens_revoked_idx`);
  }
}
