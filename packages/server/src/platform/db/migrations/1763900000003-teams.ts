import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Teams: invitations (token stored only as a SHA-256 hash; at most one open invitation per
 * email and team), the actor's display name kept on audit entries (it outlives a removed
 * member or a revoked key), and when a deleted team's rows were purged.
 */
export class Teams1763900000003 implements MigrationInterface {
  name = 'Teams1763900000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE invitations (
        workspace_id uuid NOT NULL REFERENCES workspaces (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(btrim(email))),
        role text NOT NULL CHECK (role IN ('ADMIN', 'EDITOR', 'VIEWER')),
        token_hash bytea NOT NULL,
        invited_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_sent_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_by uuid REFERENCES users (id),
        revoked_at timestamptz,
        delivered_at timestamptz,
        send_attempts integer NOT NULL DEFAULT 0,
        last_send_error text,
        PRIMARY KEY (workspace_id, id),
        CONSTRAINT invitations_token_hash_uq UNIQUE (token_hash)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX invitations_open_email_uq ON invitations (workspace_id, email)
        WHERE accepted_at IS NULL AND revoked_at IS NULL`,
    );
    await q.query(`CREATE INDEX invitations_workspace_created_idx ON invitations (workspace_id, created_at DESC)`);
    await q.query(`ALTER TABLE audit_entries ADD COLUMN actor_name text`);
    await q.query(`ALTER TABLE workspaces ADD COLUMN purged_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workspaces DROP COLUMN purged_at`);
    await q.query(`ALTER TABLE audit_entries DROP COLUMN actor_name`);
    await q.query(`DROP TABLE invitations`);
  }
}
