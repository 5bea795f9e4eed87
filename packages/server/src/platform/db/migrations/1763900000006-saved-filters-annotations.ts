import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Saved filters (names unique per workspace, case-insensitively) and annotations on the timeline. */
export class SavedFiltersAnnotations1763900000006 implements MigrationInterface {
  name = 'SavedFiltersAnnotations1763900000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saved_filters (
        workspace_id uuid NOT NULL REFERENCES workspaces (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        filter jsonb NOT NULL,
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, id)
      )`);
    await q.query(`CREATE UNIQUE INDEX saved_filters_name_uq ON saved_filters (workspace_id, lower(name))`);
    await q.query(`
      CREATE TABLE annotations (
        workspace_id uuid NOT NULL REFERENCES workspaces (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        at timestamptz NOT NULL,
        text text NOT NULL,
        created_by uuid REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, id)
      )`);
    await q.query(`CREATE INDEX annotations_workspace_at_idx ON annotations (workspace_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE annotations`);
    await q.query(`DROP TABLE saved_filters`);
  }
}
