import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A workspace's key policy (issue 22): the longest lifetime a new key may have, the highest role,
 * and whether a key needs an IP allowlist. No row: no policy. Enforced when keys are created and
 * rolled (modules/api-keys/api-key-policy.ts); existing keys outside it are shown as such.
 */
export class ApiKeyPolicies1763900000015 implements MigrationInterface {
  name = 'ApiKeyPolicies1763900000015';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_key_policies (
        workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        max_lifetime_days integer CHECK (max_lifetime_days > 0),
        max_role text CHECK (max_role IN ('ADMIN', 'EDITOR', 'VIEWER')),
        require_allowlist boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_key_policies`);
  }
}
