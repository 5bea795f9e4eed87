import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Password reset links: the token is stored only as a SHA-256 hash; single use, one hour. */
export class PasswordResets1763900000004 implements MigrationInterface {
  name = 'PasswordResets1763900000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE password_resets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id),
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT password_resets_token_hash_uq UNIQUE (token_hash)
      )`);
    await q.query(`CREATE INDEX password_resets_user_idx ON password_resets (user_id)`);
    await q.query(`CREATE INDEX password_resets_expires_idx ON password_resets (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE password_resets`);
  }
}
