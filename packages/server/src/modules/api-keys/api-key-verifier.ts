import { timingSafeEqual } from 'node:crypto';
import { API_KEY_ROLE_SCOPES, type ApiKeyRole, type Scope } from '@tally/shared';
import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import { type Clock, systemClock } from '../../platform/clock';
import type { Principal, WorkspaceAccess } from '../../auth/principal';
import { type KeyUsageCounter, USAGE_NOT_COUNTED } from '../../auth/key-usage';
import type { ApiKeyCheck, ApiKeyRefusal, ApiKeyVerifier as Verifier } from '../../auth/authenticate';
import { BACKSTOP_TTL_MS, InvalidatedCache } from '../../platform/change-feed/invalidated-cache';
import type { KeyCacheCounters } from '../../platform/metrics/metrics';
import type { RateLimit } from '../../platform/rate-limits/rate-limit';
import { SECRET_LENGTH, displayPrefix, hashSecretBase64, isWellFormedSecret } from './api-key-secret';
import { allowlistMatcher } from './ip-allowlist';
import { type KeyLimitSettings, effectiveKeyLimits } from './api-key-limits';

type KeyPrincipal = Extract<Principal, { kind: 'apiKey' }>;

interface CachedKey {
  principal: KeyPrincipal;
  /** The answer for this key while it has not expired: made once, returned on every hit. */
  accepted: ApiKeyCheck;
  expiresAtMs: number | null;
  /** The key's IP allowlist as a matcher, or null when any address may use it. */
  allows: ((ip: string) => boolean) | null;
}

/** What a database lookup of an unknown or revoked key remembers. */
type Refused = 'unknown' | 'revoked';

interface KeyRow {
  id: string;
  workspace_id: string;
  role: ApiKeyRole;
  secret_hash: Buffer;
  expires_at: Date | null;
  revoked_at: Date | null;
  allowed_ips: string[] | null;
  events_per_minute: number | null;
  queries_per_minute: number | null;
}

/** One scope set per key role, shared by every principal of that role. */
function keyAccess(role: ApiKeyRole): WorkspaceAccess {
  return { role: null, scopes: new Set<Scope>(API_KEY_ROLE_SCOPES[role]) };
}
const KEY_ACCESS: Readonly<Record<ApiKeyRole, WorkspaceAccess>> = {
  ADMIN: keyAccess('ADMIN'),
  EDITOR: keyAccess('EDITOR'),
  VIEWER: keyAccess('VIEWER'),
};

const NOT_COUNTED: KeyCacheCounters = {
  hit: { inc() {} },
  miss: { inc() {} },
  negativeHit: { inc() {} },
  malformed: { inc() {} },
};

// The refusals that carry nothing but their reason, made once (no allocation per request).
const MALFORMED: ApiKeyRefusal = { ok: false, reason: 'malformed' };
const REFUSED: Readonly<Record<Refused | 'expired' | 'address', ApiKeyRefusal>> = {
  unknown: { ok: false, reason: 'unknown' },
  revoked: { ok: false, reason: 'revoked' },
  expired: { ok: false, reason: 'expired' },
  address: { ok: false, reason: 'address' },
};

export interface VerifierOptions {
  /** How long a verified key is trusted without the database (changes arrive by NOTIFY). */
  positiveTtlMs?: number;
  /** How long an unknown key is remembered as unknown. */
  negativeTtlMs?: number;
  /** At most one `last_used_at` write per key per this interval, per instance. */
  lastUsedIntervalMs?: number;
  /** Decides expiry and how long the caches remember (tests move it instead of sleeping). */
  clock?: Clock;
  /** Where a request refused by a key's IP allowlist is counted (the key's usage). */
  usage?: KeyUsageCounter;
  /** What a key's own rate limits are read against (its principal carries the effective ones). */
  limits: KeyLimitSettings;
}

/**
 * The hot path: every key-authenticated request passes here. It answers with what it found
 * (`ApiKeyCheck`: the principal, or why the key is refused), never by throwing; the edge
 * (http/authenticate.ts) turns a refusal into UNAUTHENTICATED or RATE_LIMITED. A malformed secret or a wrong
 * checksum is refused with no database call; a known key is answered from memory; an unknown
 * one is remembered briefly so a flood of bad keys cannot flood the database. Revocations
 * arrive from every instance through `invalidate` (LISTEN/NOTIFY); expiry is checked on
 * every call from the cached expiry time.
 *
 * Well-formed unknown keys are cheap to mint (the checksum is public), so every database
 * lookup takes a point from the caller's address first (`failures`, consume first); a key that
 * turns out to exist gives it back, so only failed checks count. Over the limit the address
 * gets RATE_LIMITED (429) for keys this instance does not already know, decided from memory
 * once it has been refused here. A cached key costs no extra work at all.
 */
export class ApiKeyVerifier implements Verifier {
  /** Verified keys by secret hash; subscribe it to the change feed. */
  readonly cache: InvalidatedCache<CachedKey>;
  /** Unknown or revoked secrets (by hash) → why they are refused. */
  private readonly negative: LRUCache<string, Refused>;
  private readonly recentlyTouched: LRUCache<string, true>;
  private readonly now: Clock;
  private readonly usage: KeyUsageCounter;
  private readonly limits: KeyLimitSettings;

  constructor(
    private readonly db: DataSource,
    private readonly log: FastifyBaseLogger,
    /** Failed key checks per client address (see the class comment). */
    private readonly failures: RateLimit,
    options: VerifierOptions,
    /** Cache hits and misses, for /metrics: one increment per call. */
    private readonly counters: KeyCacheCounters = NOT_COUNTED,
  ) {
    this.now = options.clock ?? systemClock;
    this.usage = options.usage ?? USAGE_NOT_COUNTED;
    this.limits = options.limits;
    // The caches keep lru-cache's own monotonic clock unless a test brings a clock of its own.
    const perf = options.clock && options.clock !== systemClock ? { now: options.clock } : undefined;
    this.cache = new InvalidatedCache<CachedKey>({
      max: 20_000,
      ttlMs: options.positiveTtlMs ?? BACKSTOP_TTL_MS,
      perf,
      isStale: (change, _hash, entry) =>
        (change.kind === 'api_key' && change.id === entry.principal.apiKeyId) ||
        (change.kind === 'workspace_keys' && change.id === entry.principal.workspaceId),
    });
    this.negative = new LRUCache({ max: 50_000, ttl: options.negativeTtlMs ?? 60_000, perf });
    this.recentlyTouched = new LRUCache({ max: 50_000, ttl: options.lastUsedIntervalMs ?? 60_000, perf });
  }

  /**
   * `ip` is the caller's address, charged for lookups of keys this instance does not know. A
   * promise only when the database is asked: a known key, a malformed one and a remembered
   * refusal are answered at once (no promise, no await on every request's path).
   */
  verify(secret: string, ip: string): ApiKeyCheck | Promise<ApiKeyCheck> {
    if (secret.length !== SECRET_LENGTH) {
      this.counters.malformed.inc();
      return MALFORMED;
    }
    const cacheKey = hashSecretBase64(secret);

    // A cached key is a known, well-formed secret; only a miss pays for the shape and
    // checksum check, which then stands between a typo and the database.
    const entry = this.cache.get(cacheKey);
    if (entry) {
      this.counters.hit.inc();
      return this.accept(entry, ip);
    }
    if (!isWellFormedSecret(secret)) {
      this.counters.malformed.inc();
      return MALFORMED;
    }
    const refused = this.negative.get(cacheKey);
    if (refused) {
      this.counters.negativeHit.inc();
      return REFUSED[refused];
    }
    this.counters.miss.inc();
    return this.lookUp(secret, cacheKey, ip);
  }

  /** A key not in memory: from the database, once however many requests ask at the same time. */
  private async lookUp(secret: string, cacheKey: string, ip: string): Promise<ApiKeyCheck> {
    let refusal: ApiKeyRefusal = REFUSED.unknown;
    const entry = await this.cache.getOrLoad(cacheKey, async () => {
      const loaded = await this.load(secret, Buffer.from(cacheKey, 'base64'), cacheKey, ip);
      if ('ok' in loaded) {
        refusal = loaded;
        return null;
      }
      return loaded;
    });
    return entry ? this.accept(entry, ip) : refusal;
  }

  private accept(entry: CachedKey, ip: string): ApiKeyCheck {
    if (entry.expiresAtMs !== null && entry.expiresAtMs <= this.now()) return REFUSED.expired;
    if (entry.allows && !entry.allows(ip)) {
      // A refused use of a real key: shown in its usage (part 3 of the API keys issue).
      this.usage.count(entry.principal.workspaceId, entry.principal.apiKeyId, 'refusedAddress');
      return REFUSED.address;
    }
    this.touch(entry.principal);
    return entry.accepted;
  }

  /** The key from the database, or why it is refused (unknown and revoked are remembered). */
  private async load(secret: string, hash: Buffer, cacheKey: string, ip: string): Promise<CachedKey | ApiKeyRefusal> {
    const refused = this.negative.get(cacheKey);
    if (refused) return REFUSED[refused];
    const retryAfterMs = await this.failures.take(ip);
    if (retryAfterMs !== 0) return { ok: false, reason: 'rate-limited', retryAfterMs };
    const rows: KeyRow[] = await this.db.query(
      `SELECT k.id, k.workspace_id, k.role, k.secret_hash, k.expires_at, k.revoked_at, k.allowed_ips,
              k.events_per_minute, k.queries_per_minute
         FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id AND w.deleted_at IS NULL
        WHERE k.prefix = $1`,
      [displayPrefix(secret)],
    );
    // Compare every candidate, in constant time, without stopping at the first match.
    let row: KeyRow | null = null;
    for (const candidate of rows) {
      if (candidate.secret_hash.length === hash.length && timingSafeEqual(candidate.secret_hash, hash)) row = candidate;
    }
    if (!row) {
      this.negative.set(cacheKey, 'unknown');
      return REFUSED.unknown;
    }
    if (row.revoked_at) {
      // Revocation is final, so remembering it can never be wrong.
      this.negative.set(cacheKey, 'revoked');
      return REFUSED.revoked;
    }
    // A real key: its lookup was no failure. Given back off the request's path.
    this.failures.refund(ip).catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not give back an API key check');
    });
    const principal: KeyPrincipal = {
      kind: 'apiKey',
      apiKeyId: row.id,
      workspaceId: row.workspace_id,
      role: row.role,
      access: KEY_ACCESS[row.role],
      // Carried with the key, so its limits cost no lookup per request; a change to them is
      // announced like a revocation, and the next request reads the key again.
      limits: effectiveKeyLimits(
        { eventsPerMinute: row.events_per_minute, queriesPerMinute: row.queries_per_minute },
        this.limits,
      ),
    };
    return {
      principal,
      accepted: { ok: true, principal },
      expiresAtMs: row.expires_at ? row.expires_at.getTime() : null,
      allows: row.allowed_ips?.length ? allowlistMatcher(row.allowed_ips) : null,
    };
  }

  /** `last_used_at` follows real use, with at most one write per key per interval. */
  private touch(principal: KeyPrincipal): void {
    if (this.recentlyTouched.has(principal.apiKeyId)) return;
    this.recentlyTouched.set(principal.apiKeyId, true);
    this.db
      .query(`UPDATE api_keys SET last_used_at = now() WHERE workspace_id = $1 AND id = $2`, [
        principal.workspaceId,
        principal.apiKeyId,
      ])
      .catch((error: unknown) => {
        this.recentlyTouched.delete(principal.apiKeyId);
        this.log.warn({ err: error, apiKeyId: principal.apiKeyId }, 'could not record API key use');
      });
  }
}
