import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Expiry warnings (issue 22, part 5): one row per key and threshold warned about (`SEVEN_DAYS`,
 * `ONE_DAY`, `EXPIRED`), written in the same transaction that enqueues the warning emails, so a
 * crash or a restart never sends a warning twice nor loses one (the primary key refuses a second
 * row even when two instances race). The partial index is what the scheduled check scans: the
 * keys that can still be warned about, by expiry. Like `api_keys_prefix_idx` it cannot lead with
 * `workspace_id`, because the check looks across workspaces. A purged team's keys take their
 * notices with them (ON DELETE CASCADE), so the purge's list of tables needs no new entry.
 */
export class ApiKeyExpiryNotices1763900000022 implements MigrationInterface {
  name = 'ApiKeyExpiryNotices1763900000022';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_key_expiry_notices (
        workspace_id uuid NOT NULL,
        api_key_id uuid NOT NULL,
        threshold text NOT NULL CHECK (threshold IN ('SEVEN_DAYS', 'ONE_DAY', 'EXPIRED')),
        key_expires_at timestamptz NOT NULL,
        recipients integer NOT NULL,
        noticed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, api_key_id, threshold),
        FOREIGN KEY (workspace_id, api_key_id) REFERENCES api_keys (workspace_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX api_keys_expiring_idx ON api_keys (expires_at)
        WHERE expires_at IS NOT NULL AND revoked_at IS NULL AND replaced_by_id IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX api_keys_expiring_idx`);
    await q.query(`DROP TABLE api_key_expiry_notices`);
  }
}
