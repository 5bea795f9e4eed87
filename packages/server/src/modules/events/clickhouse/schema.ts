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
 * - `session_stats` and `session_names`: AggregatingMergeTree tables that materialized views keep
 *   from `events` in the same insert (a session's first and last event and counts; when it first
 *   used each name), ordered by session: what the ingest looks up before it moves the rollups.
 * - `session_updates`: what batches said of a session's user and attributes, in write order
 *   (`seq`); the latest user wins and attributes merge in order when read.
 * - `event_hours` (a view of `events`): per hour, name and type, counts, errors, the duration sum
 *   and the shared log-scale histogram — what Overview and Tools & Usage read for whole hours.
 * - `rollup_deltas`: what depends on a session's whole history (its start, its user, its first
 *   use of a name) cannot be a view of one insert, so the ingest writes it as deltas computed from
 *   the session's state (clickhouse/rollup-deltas.ts): sessions and durations per hour of start;
 *   each session at its exact start (the ragged ends of a range); first uses per hour and exactly;
 *   users' sessions per day of start, a row per user and month. Summed, they are exact; a query
 *   reads rows in proportion to hours and users, never to events.
 *
 * Version 1 had `name_sessions` ordered by name; version 2 replaces it with `session_names` and
 * computes the rollups of the events stored before it.
 *
 * The deduplication window on `events` and the views' tables lets a retried insert with the same
 * `insert_deduplication_token` be dropped whole, views included (clickhouse/ingest.ts).
 */
export interface ClickHouseMigration {
  version: number;
  name: string;
  statements(database: string): string[];
}

/** `event_hours` from rows of `events` (its view and its backfill). */
const EVENT_HOURS_SELECT = `workspace_id, toStartOfHour(ts) AS hour, name, type,
  count() AS events, countIf(status = 'error') AS errors,
  sumIf(toDecimal128(assumeNotNull(duration_ms), 12), duration_ms IS NOT NULL) AS duration_sum,
  count(duration_ms) AS duration_count,
  sumMapIf(map(assumeNotNull(duration_bucket), toUInt64(1)), duration_bucket IS NOT NULL) AS histogram`;

/**
 * The session rollups of events stored before version 2, computed from `events` and
 * `session_updates` as the ingest's deltas would have made them (ingest.ts). Each kind is filled
 * only while it has no row, so a start that died half-way through the migration runs it again.
 */
const ROLLUP_BACKFILL: ReadonlyArray<(db: string) => string> = [
  (db) => `INSERT INTO \`${db}\`.rollup_deltas (workspace_id, kind, at, sessions, duration_ms)
    SELECT workspace_id, 'session_hour', toStartOfHour(started), count(), sum(duration)
      FROM ${backfillSessions(db)}
     WHERE (SELECT count() FROM \`${db}\`.rollup_deltas WHERE kind = 'session_hour') = 0
     GROUP BY workspace_id, toStartOfHour(started)`,
  (db) => `INSERT INTO \`${db}\`.rollup_deltas (workspace_id, kind, at, session_id, user_id, sessions, duration_ms)
    SELECT workspace_id, 'session_start', started, session_id, user_id, 1, duration
      FROM ${backfillSessions(db)}
     WHERE (SELECT count() FROM \`${db}\`.rollup_deltas WHERE kind = 'session_start') = 0`,
  (db) => `INSERT INTO \`${db}\`.rollup_deltas (workspace_id, kind, at, user_id, days)
    SELECT workspace_id, 'user_month', toStartOfMonth(started), user_id,
           sumMap(map(toUInt8(toDayOfMonth(started)), toInt64(1)))
      FROM ${backfillSessions(db)}
     WHERE user_id != '' AND (SELECT count() FROM \`${db}\`.rollup_deltas WHERE kind = 'user_month') = 0
     GROUP BY workspace_id, toStartOfMonth(started), user_id`,
  (db) => `INSERT INTO \`${db}\`.rollup_deltas (workspace_id, kind, at, name, type, sessions)
    SELECT workspace_id, 'first_hour', toStartOfHour(first_at), name, type, count()
      FROM \`${db}\`.session_names FINAL
     WHERE (SELECT count() FROM \`${db}\`.rollup_deltas WHERE kind = 'first_hour') = 0
     GROUP BY workspace_id, toStartOfHour(first_at), name, type`,
  (db) => `INSERT INTO \`${db}\`.rollup_deltas (workspace_id, kind, at, name, type, session_id, sessions)
    SELECT workspace_id, 'first_at', first_at, name, type, session_id, 1
      FROM \`${db}\`.session_names FINAL
     WHERE (SELECT count() FROM \`${db}\`.rollup_deltas WHERE kind = 'first_at') = 0`,
];

/** Every session's start, duration and user (as rollup-deltas.ts `userKey` writes it: '' for none). */
function backfillSessions(db: string): string {
  return `(SELECT s.workspace_id AS workspace_id, s.session_id AS session_id, s.started AS started,
                  toUnixTimestamp64Milli(s.ended) - toUnixTimestamp64Milli(s.started) AS duration,
                  if(u.named > 0, concat('=', assumeNotNull(u.latest_user)), '') AS user_id
             FROM (SELECT workspace_id, session_id, min(ts) AS started, max(ts) AS ended
                     FROM \`${db}\`.events GROUP BY workspace_id, session_id) AS s
             LEFT JOIN (SELECT workspace_id, session_id, argMaxIf(user_id, seq, user_id IS NOT NULL) AS latest_user,
                               countIf(user_id IS NOT NULL) AS named
                          FROM \`${db}\`.session_updates GROUP BY workspace_id, session_id) AS u
               ON u.workspace_id = s.workspace_id AND u.session_id = s.session_id)`;
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
  {
    version: 2,
    name: "hourly rollups and the ingest's session deltas",
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS \`${db}\`.event_hours (
        workspace_id UUID,
        hour DateTime('UTC'),
        name String,
        type LowCardinality(String),
        events SimpleAggregateFunction(sum, UInt64),
        errors SimpleAggregateFunction(sum, UInt64),
        duration_sum SimpleAggregateFunction(sum, Decimal128(12)),
        duration_count SimpleAggregateFunction(sum, UInt64),
        histogram SimpleAggregateFunction(sumMap, Map(UInt8, UInt64))
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(hour)
      ORDER BY (workspace_id, hour, name, type)
      SETTINGS non_replicated_deduplication_window = 100000`,
      // Created before its backfill, which is safe only because migrations run before ingest starts.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.event_hours_mv TO \`${db}\`.event_hours AS
        SELECT ${EVENT_HOURS_SELECT} FROM \`${db}\`.events GROUP BY workspace_id, hour, name, type`,
      `INSERT INTO \`${db}\`.event_hours SELECT ${EVENT_HOURS_SELECT} FROM \`${db}\`.events
        WHERE (SELECT count() FROM \`${db}\`.event_hours) = 0 GROUP BY workspace_id, hour, name, type`,
      `CREATE TABLE IF NOT EXISTS \`${db}\`.session_names (
        workspace_id UUID,
        session_id String,
        name String,
        type LowCardinality(String),
        first_at SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
      ) ENGINE = AggregatingMergeTree
      ORDER BY (workspace_id, session_id, name, type)
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.session_names_mv TO \`${db}\`.session_names AS
        SELECT workspace_id, session_id, name, type, min(ts) AS first_at
          FROM \`${db}\`.events GROUP BY workspace_id, session_id, name, type`,
      `INSERT INTO \`${db}\`.session_names SELECT workspace_id, session_id, name, type, min(ts) AS first_at
         FROM \`${db}\`.events WHERE (SELECT count() FROM \`${db}\`.session_names) = 0
        GROUP BY workspace_id, session_id, name, type`,
      `DROP VIEW IF EXISTS \`${db}\`.name_sessions_mv`,
      `DROP TABLE IF EXISTS \`${db}\`.name_sessions`,
      `CREATE TABLE IF NOT EXISTS \`${db}\`.rollup_deltas (
        workspace_id UUID,
        kind Enum8('session_hour' = 1, 'session_start' = 2, 'first_hour' = 3, 'first_at' = 4, 'user_month' = 5),
        at DateTime64(3, 'UTC'),
        name String,
        type LowCardinality(String),
        session_id String,
        user_id String,
        sessions SimpleAggregateFunction(sum, Int64),
        duration_ms SimpleAggregateFunction(sum, Int64),
        days SimpleAggregateFunction(sumMap, Map(UInt8, Int64))
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(at)
      ORDER BY (workspace_id, kind, at, name, type, session_id, user_id)
      SETTINGS non_replicated_deduplication_window = 100000`,
      ...ROLLUP_BACKFILL.map((sql) => sql(db)),
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
