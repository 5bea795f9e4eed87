import type { Pool } from 'pg';
import type { ClickHouse } from './connection';

/**
 * The ClickHouse store's schema, versioned like PostgreSQL's migrations: each version's
 * statements run once, in order, recorded in `tally_migrations`, under a PostgreSQL advisory lock
 * so that instances starting together never run one twice.
 *
 * - `events`: the raw events, partitioned by month and ordered by (workspace_id, ts, id): a
 *   workspace's range is one contiguous read, in the order activity pages and exports want.
 *   Beside the JSON of `properties` (jsonb's text, so exports match PostgreSQL's byte for byte),
 *   `prop_keys` (every key) and `prop_text` (each non-null value's `->>` text) answer property
 *   filters exactly as PostgreSQL does. Bloom filters on `id` and `session_id` let the ingest's
 *   dedupe and a session's timeline skip most granules.
 * - `session_stats` and `name_sessions`: AggregatingMergeTree tables that materialized views
 *   keep from `events` in the same insert (a session's first and last event, counts; when a
 *   session first used each name). Everything else (counts per hour or name, errors, durations)
 *   is plain aggregation over `events`, which ClickHouse answers fast enough (measured in
 *   `pnpm bench analytics --store clickhouse`).
 * - `session_updates`: what batches said of a session's user and attributes, in write order
 *   (`seq`); the latest user wins and attributes merge in order when read.
 *
 * The deduplication window on `events` and the views' tables lets a retried insert with the same
 * `insert_deduplication_token` be dropped whole, views included (clickhouse/ingest.ts).
 */
export interface ClickHouseMigration {
  version: number;
  name: string;
  statements(database: string): string[];
}

export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    version: 1,
    name: 'events, sessions and per-name first uses',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS \`${db}\`.events (
        workspace_id UUID,
        ts DateTime64(3, 'UTC'),
        id String,
        session_id String,
        name String,
        type LowCardinality(String),
        user_id Nullable(String),
        duration_ms Nullable(Float64),
        duration_bucket Nullable(UInt8),
        status LowCardinality(Nullable(String)),
        properties Nullable(String),
        prop_keys Array(String),
        prop_text Map(String, String),
        INDEX id_bloom id TYPE bloom_filter(0.01) GRANULARITY 2,
        INDEX session_bloom session_id TYPE bloom_filter(0.01) GRANULARITY 2
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (workspace_id, ts, id)
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE TABLE IF NOT EXISTS \`${db}\`.session_stats (
        workspace_id UUID,
        session_id String,
        started_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
        ended_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
        event_count SimpleAggregateFunction(sum, UInt64),
        error_count SimpleAggregateFunction(sum, UInt64)
      ) ENGINE = AggregatingMergeTree
      ORDER BY (workspace_id, session_id)
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.session_stats_mv TO \`${db}\`.session_stats AS
        SELECT workspace_id, session_id, min(ts) AS started_at, max(ts) AS ended_at,
               count() AS event_count, countIf(status = 'error') AS error_count
          FROM \`${db}\`.events GROUP BY workspace_id, session_id`,
      `CREATE TABLE IF NOT EXISTS \`${db}\`.name_sessions (
        workspace_id UUID,
        name String,
        type LowCardinality(String),
        session_id String,
        first_at SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
      ) ENGINE = AggregatingMergeTree
      ORDER BY (workspace_id, name, type, session_id)
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.name_sessions_mv TO \`${db}\`.name_sessions AS
        SELECT workspace_id, name, type, session_id, min(ts) AS first_at
          FROM \`${db}\`.events GROUP BY workspace_id, name, type, session_id`,
      `CREATE TABLE IF NOT EXISTS \`${db}\`.session_updates (
        workspace_id UUID,
        session_id String,
        seq UInt64,
        user_id Nullable(String),
        attributes Nullable(String)
      ) ENGINE = MergeTree
      ORDER BY (workspace_id, session_id, seq)`,
    ],
  },
];

/** The advisory lock the migrations run under (any 64-bit number no other lock of Tally uses). */
const MIGRATION_LOCK = 7_316_512_018;

/** Applies the versions not applied yet; returns their names. */
export async function migrateClickHouse(ch: ClickHouse, pg: Pool): Promise<string[]> {
  const db = ch.database;
  const lock = await pg.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await ch.client.command({
      query: `CREATE TABLE IF NOT EXISTS \`${db}\`.tally_migrations (
        version UInt32, name String, applied_at DateTime('UTC') DEFAULT now()
      ) ENGINE = MergeTree ORDER BY version`,
    });
    const result = await ch.client.query({
      query: `SELECT version FROM \`${db}\`.tally_migrations`,
      format: 'JSONEachRow',
    });
    const done = new Set((await result.json<{ version: number }>()).map((row) => Number(row.version)));
    const applied: string[] = [];
    for (const migration of CLICKHOUSE_MIGRATIONS) {
      if (done.has(migration.version)) continue;
      // Each statement is idempotent (IF NOT EXISTS): a start that died half-way just runs it again.
      for (const statement of migration.statements(db)) await ch.client.command({ query: statement });
      await ch.client.insert({
        table: `\`${db}\`.tally_migrations`,
        values: [{ version: migration.version, name: migration.name }],
        format: 'JSONEachRow',
      });
      applied.push(`${migration.version} ${migration.name}`);
    }
    return applied;
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    lock.release();
  }
}
