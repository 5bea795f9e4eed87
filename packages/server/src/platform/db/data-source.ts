import { DataSource, type DataSourceOptions } from 'typeorm';
import { Init1763900000000 } from './migrations/1763900000000-init';
import { ApiKeysAndAudit1763900000001 } from './migrations/1763900000001-api-keys-and-audit';
import { SessionFamilies1763900000002 } from './migrations/1763900000002-session-families';
import { Teams1763900000003 } from './migrations/1763900000003-teams';
import { PasswordResets1763900000004 } from './migrations/1763900000004-password-resets';
import { Analytics1763900000005 } from './migrations/1763900000005-analytics';
import { SavedFiltersAnnotations1763900000006 } from './migrations/1763900000006-saved-filters-annotations';
import { RollupDeltas1763900000007 } from './migrations/1763900000007-rollup-deltas';
import { EventClaimsWithTime1763900000008 } from './migrations/1763900000008-event-claims-with-time';
import { HourTotals1763900000009 } from './migrations/1763900000009-hour-totals';
import { HistogramBlocks1763900000010 } from './migrations/1763900000010-histogram-blocks';
import { RollupBlocks1763900000011 } from './migrations/1763900000011-rollup-blocks';
import { ApiKeyRolls1763900000013 } from './migrations/1763900000013-api-key-rolls';
import { ApiKeyAllowlists1763900000014 } from './migrations/1763900000014-api-key-allowlists';
import { ApiKeyPolicies1763900000015 } from './migrations/1763900000015-api-key-policies';
import { AccountChanges1763900000020 } from './migrations/1763900000020-account-changes';
import { ApiKeyUsage1763900000021 } from './migrations/1763900000021-api-key-usage';
import { ApiKeyExpiryNotices1763900000022 } from './migrations/1763900000022-api-key-expiry-notices';
import { HistogramText1763900000023 } from './migrations/1763900000023-histogram-text';

export const MIGRATIONS = [
  Init1763900000000,
  ApiKeysAndAudit1763900000001,
  SessionFamilies1763900000002,
  Teams1763900000003,
  PasswordResets1763900000004,
  Analytics1763900000005,
  SavedFiltersAnnotations1763900000006,
  RollupDeltas1763900000007,
  EventClaimsWithTime1763900000008,
  HourTotals1763900000009,
  HistogramBlocks1763900000010,
  RollupBlocks1763900000011,
  ApiKeyRolls1763900000013,
  ApiKeyAllowlists1763900000014,
  ApiKeyPolicies1763900000015,
  AccountChanges1763900000020,
  ApiKeyUsage1763900000021,
  ApiKeyExpiryNotices1763900000022,
  HistogramText1763900000023,
];

/**
 * `connectTimeoutMs`: how long a query waits for a connection (new or pooled) before it fails.
 * `entities`: the domains' tables (src/entities.ts); the platform knows none of them, and
 * running migrations needs none.
 */
export function createDataSource(
  url: string,
  poolSize = 10,
  connectTimeoutMs?: number,
  entities: DataSourceOptions['entities'] = [],
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto',
    logging: false,
    extra: { max: poolSize, ...(connectTimeoutMs ? { connectionTimeoutMillis: connectTimeoutMs } : {}) },
  });
}
