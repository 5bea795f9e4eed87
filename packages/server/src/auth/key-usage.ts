/**
 * What an API key did, counted per key and day (modules/api-keys/api-key-usage.ts keeps the
 * counts). Declared here so that the ways in (ingest, export, GraphQL, the key verifier) count
 * without knowing the api-keys domain.
 */
export type KeyUse =
  /** Events stored from an accepted batch. */
  | 'eventsAccepted'
  /** Batches refused by the key's rate limit (429). */
  | 'refusedRateLimit'
  /** Batches refused as invalid (400). */
  | 'refusedInvalid'
  /** Requests refused by the key's IP allowlist (401). */
  | 'refusedAddress'
  /** GraphQL requests made with the key. */
  | 'graphqlRequests'
  /** Exports started with the key. */
  | 'exports';

export interface KeyUsageCounter {
  /** Counts in memory: never a database write on the caller's path. */
  count(workspaceId: string, apiKeyId: string, use: KeyUse, n?: number): void;
}

/** For callers built without usage counting (tests, tools). */
export const USAGE_NOT_COUNTED: KeyUsageCounter = { count() {} };
