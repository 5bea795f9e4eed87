import type { KeyLimits } from '../../auth/principal';

/** The server-wide settings a key's own limits are read against (config.ts). */
export interface KeyLimitSettings {
  /** What a key without a limit of its own gets (INGEST_EVENTS_PER_KEY_PER_MINUTE, ANALYTICS_QUERIES_PER_MINUTE). */
  defaults: KeyLimits;
  /** The highest a key's own limit may be (API_KEY_MAX_EVENTS_PER_MINUTE, API_KEY_MAX_QUERIES_PER_MINUTE). */
  maximums: KeyLimits;
}

/**
 * The limits a key works under: its own where it has one, else the server's default; never
 * above the maximum, also when the maximum was lowered after the key's limit was set.
 */
export function effectiveKeyLimits(
  stored: { eventsPerMinute: number | null; queriesPerMinute: number | null },
  settings: KeyLimitSettings,
): KeyLimits {
  return {
    eventsPerMinute: Math.min(
      stored.eventsPerMinute ?? settings.defaults.eventsPerMinute,
      settings.maximums.eventsPerMinute,
    ),
    queriesPerMinute: Math.min(
      stored.queriesPerMinute ?? settings.defaults.queriesPerMinute,
      settings.maximums.queriesPerMinute,
    ),
  };
}
