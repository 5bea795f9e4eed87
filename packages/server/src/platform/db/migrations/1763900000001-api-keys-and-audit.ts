import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys (secret stored only as a SHA-256 hash) and the audit log. */
export class ApiKeysAndAudit1763900000001 implements MigrationInterface {
  name = 'ApiKeysAndAudit1763900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        workspace_id uuid NOT NULL REFERENCES workspaces (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        description text,
        role text NOT NULL CHECK (role IN ('ADMIN', 'EDITOR', 'VIEWER')),
        prefix text NOT NULL,
        secret_hash bytea NOT NULL,
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        PRIMARY KEY (workspace_id, id)
      )`);
    await q.query(`CREATE INDEX api_keys_workspace_created_idx ON api_keys (workspace_id, created_at DESC)`);
    // Verification looks a key up by its public prefix (before any workspace is known, so this
    // one index cannot lead with workspace_id), then compares hashes in constant time.
    await q.query(`CREATE INDEX api_keys_prefix_idx ON api_keys (prefix)`);
    await q.query(`
      CREATE TABLE audit_entries (
        workspace_id uuid NOT NULL REFERENCES workspaces (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        action text NOT NULL,
        actor_user_id uuid REFERENCES users (id),
        actor_api_key_id uuid,
        target_type text,
        target_id text,
        details jsonb,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, id)
      )`);
    await q.query(`CREATE INDEX audit_entries_workspace_at_idx ON audit_entries (workspace_id, at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_entries`);
    await q.query(`DROP TABLE api_keys`);
  }
}
