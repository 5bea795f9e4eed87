import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account page (issue 20): a pending change of email, confirmed by a link to the new address
 * (the token stored only as a SHA-256 hash, single use, 24 hours); a deleted account's tombstone
 * (`deleted_at`: the row stays, anonymised, because audit entries, keys and invitations still
 * name it); and the workspace each user used last, so that every browser opens it after log-in.
 */
export class AccountChanges1763900000020 implements MigrationInterface {
  name = 'AccountChanges1763900000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN deleted_at timestamptz, ADD COLUMN last_workspace_id uuid`);
    await q.query(`
      CREATE TABLE email_changes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id),
        new_email text NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT email_changes_token_hash_uq UNIQUE (token_hash)
      )`);
    await q.query(`CREATE INDEX email_changes_user_idx ON email_changes (user_id)`);
    await q.query(`CREATE INDEX email_changes_expires_idx ON email_changes (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_changes`);
    await q.query(`ALTER TABLE users DROP COLUMN deleted_at, DROP COLUMN last_workspace_id`);
  }
}
