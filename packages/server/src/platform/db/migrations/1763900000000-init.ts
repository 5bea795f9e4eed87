import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts, workspaces, memberships, refresh tokens and shared rate-limit counters. */
export class Init1763900000000 implements MigrationInterface {
  name = 'Init1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_uq UNIQUE (email),
        CONSTRAINT users_email_lower_ck CHECK (email = lower(btrim(email)))
      )`);
    await q.query(`
      CREATE TABLE workspaces (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('PERSONAL', 'TEAM')),
        name text NOT NULL,
        personal_owner_id uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        CONSTRAINT workspaces_personal_owner_ck CHECK ((kind = 'PERSONAL') = (personal_owner_id IS NOT NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX workspaces_personal_owner_uq ON workspaces (personal_owner_id) WHERE personal_owner_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE members (
        workspace_id uuid NOT NULL REFERENCES workspaces (id),
        user_id uuid NOT NULL REFERENCES users (id),
        role text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'EDITOR', 'VIEWER')),
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, user_id)
      )`);
    await q.query(`CREATE INDEX members_user_idx ON members (user_id)`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id),
        family_id uuid NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        rotated_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)`);
    // The table rate-limiter-flexible's PostgreSQL store uses (created here, not at run time).
    await q.query(`
      CREATE TABLE rate_limits (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limits`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE members`);
    await q.query(`DROP TABLE workspaces`);
    await q.query(`DROP TABLE users`);
  }
}
