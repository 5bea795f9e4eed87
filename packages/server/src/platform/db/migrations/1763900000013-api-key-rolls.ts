import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rolling a key (issue 22): the new key names the key it replaces (`rolled_from_id`), the old one
 * the key that replaced it (`replaced_by_id`), both in the transaction of the roll. A key is
 * rolled at most once: the unique index refuses a second replacement even when two rolls race.
 * The old key's grace period is its `expires_at` (the earlier of its own and the grace's end).
 */
export class ApiKeyRolls1763900000013 implements MigrationInterface {
  name = 'ApiKeyRolls1763900000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN rolled_from_id uuid, ADD COLUMN replaced_by_id uuid`);
    await q.query(
      `CREATE UNIQUE INDEX api_keys_rolled_from_idx ON api_keys (workspace_id, rolled_from_id) WHERE rolled_from_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX api_keys_rolled_from_idx`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN rolled_from_id, DROP COLUMN replaced_by_id`);
  }
}
