import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-key usage and limits (API keys issue, part 2):
 * - `api_key_usage`: what each key did per UTC day (events accepted, batches refused by reason,
 *   requests refused by the key's IP allowlist, GraphQL requests, exports). Counted in memory and
 *   added in batches (modules/api-keys/api-key-usage.ts); kept 90 days (its purge job). No
 *   foreign key: a flush must never fail because a key or its team went meanwhile.
 * - `api_keys.events_per_minute` / `queries_per_minute`: a key's own limits; null is the
 *   server's default (INGEST_EVENTS_PER_KEY_PER_MINUTE, ANALYTICS_QUERIES_PER_MINUTE).
 */
export class ApiKeyUsage1763900000021 implements MigrationInterface {
  name = 'ApiKeyUsage1763900000021';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_key_usage (
        workspace_id uuid NOT NULL,
        api_key_id uuid NOT NULL,
        day date NOT NULL,
        events_accepted bigint NOT NULL DEFAULT 0,
        refused_rate_limit integer NOT NULL DEFAULT 0,
        refused_invalid integer NOT NULL DEFAULT 0,
        refused_address integer NOT NULL DEFAULT 0,
        graphql_requests integer NOT NULL DEFAULT 0,
        exports integer NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, api_key_id, day)
      )`);
    // The purge deletes by day across workspaces.
    await q.query(`CREATE INDEX api_key_usage_day_idx ON api_key_usage (day)`);
    await q.query(`
      ALTER TABLE api_keys
        ADD COLUMN events_per_minute integer CHECK (events_per_minute > 0),
        ADD COLUMN queries_per_minute integer CHECK (queries_per_minute > 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN events_per_minute, DROP COLUMN queries_per_minute`);
    await q.query(`DROP TABLE api_key_usage`);
  }
}
