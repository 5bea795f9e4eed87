/** The tables of event storage in PostgreSQL, children first: what a workspace purge deletes. */
export const EVENT_TABLES = [
  'events',
  'event_ids',
  'event_name_sessions',
  'sessions',
  'user_days_monthly',
  'event_rollup_deltas',
  'session_rollup_deltas',
  'event_rollups_hourly',
  'event_rollups_daily',
  'event_rollup_blocks',
  'session_rollups_hourly',
] as const;
