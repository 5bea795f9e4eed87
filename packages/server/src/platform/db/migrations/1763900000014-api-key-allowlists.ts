import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key's IP allowlist (issue 22): normalized CIDR ranges (modules/api-keys/ip-allowlist.ts), or
 * NULL for any address. Read with the key by the verifier, so checking it costs no query.
 */
export class ApiKeyAllowlists1763900000014 implements MigrationInterface {
  name = 'ApiKeyAllowlists1763900000014';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN allowed_ips text[]`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN allowed_ips`);
  }
}
