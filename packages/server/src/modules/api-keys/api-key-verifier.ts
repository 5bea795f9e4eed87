import { timingSafeEqual } from 'node:crypto';
import { API_KEY_ROLE_SCOPES, type ApiKeyRole, type Scope } from '@tally/shared';
import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import { unauthenticated } from '../../errors';
import type { Principal } from '../../graphql/context';
import type { ApiKeyVerifier as Verifier } from '../../http/authenticate';
import type { ApiKeyChange } from './api-key-events';
import { displayPrefix, hashSecret, isWellFormedSecret } from './api-key-secret';

type KeyPrincipal = Extract<Principal, { kind: 'apiKey' }>;

interface CachedKey {
  principal: KeyPrincipal;
  expiresAtMs: number | null;
}

interface KeyRow {
  id: string;
  workspace_id: string;
  role: ApiKeyRole;
  secret_hash: Buffer;
  expires_at: Date | null;
  revoked_at: Date | null;
}

/** One frozen scope set per key role, shared by every principal of that role. */
const KEY_SCOPES: Readonly<Record<ApiKeyRole, ReadonlySet<Scope>>> = {
  ADMIN: new Set(API_KEY_ROLE_SCOPES.ADMIN),
  EDITOR: new Set(API_KEY_ROLE_SCOPES.EDITOR),
  VIEWER: new Set(API_KEY_ROLE_SCOPES.VIEWER),
};

const INVALID = 'This API key is not valid.';
const REVOKED = 'This API key has been revoked.';

export interface VerifierOptions {
  /** How long a verified key is trusted without the database (changes arrive by NOTIFY). */
  positiveTtlMs?: number;
  /** How long an unknown key is remembered as unknown. */
  negativeTtlMs?: number;
  /** At most one `last_used_at` write per key per this interval, per instance. */
  lastUsedIntervalMs?: number;
}

/**
 * The hot path: every key-authenticated request passes here. A malformed secret or a wrong
 * checksum is refused with no database call; a known key is answered from memory; an unknown
 * one is remembered briefly so a flood of bad keys cannot flood the database. Revocations
 * arrive from every instance through `invalidate` (LISTEN/NOTIFY); expiry is checked on
 * every call from the cached expiry time.
 */
export class ApiKeyVerifier implements Verifier {
  private readonly positive: LRUCache<string, CachedKey>;
  /** Unknown or revoked secrets (by hash) → the message to refuse them with. */
  private readonly negative: LRUCache<string, string>;
  private readonly recentlyTouched: LRUCache<string, true>;
  /** Bumped by every change, so a lookup that raced a revocation is not cached. */
  private generation = 0;
  /** False while the change subscription is down: then nothing positive is cached. */
  private trusted = false;
  /** How many `last_used_at` writes this instance issued (for tests and metrics). */
  lastUsedWrites = 0;

  constructor(
    private readonly db: DataSource,
    private readonly log: FastifyBaseLogger,
    options: VerifierOptions = {},
  ) {
    this.positive = new LRUCache({ max: 20_000, ttl: options.positiveTtlMs ?? 10 * 60_000 });
    this.negative = new LRUCache({ max: 50_000, ttl: options.negativeTtlMs ?? 60_000 });
    this.recentlyTouched = new LRUCache({ max: 50_000, ttl: options.lastUsedIntervalMs ?? 60_000 });
  }

  async verify(secret: string): Promise<Principal> {
    if (!isWellFormedSecret(secret)) throw unauthenticated(INVALID);
    const hash = hashSecret(secret);
    const cacheKey = hash.toString('base64');

    let entry = this.trusted ? this.positive.get(cacheKey) : undefined;
    if (!entry) {
      const refused = this.negative.get(cacheKey);
      if (refused) throw unauthenticated(refused);
      const generation = this.generation;
      const row = await this.load(displayPrefix(secret), hash);
      if (!row) {
        this.negative.set(cacheKey, INVALID);
        throw unauthenticated(INVALID);
      }
      if (row.revoked_at) {
        // Revocation is final, so remembering it can never be wrong.
        this.negative.set(cacheKey, REVOKED);
        throw unauthenticated(REVOKED);
      }
      entry = {
        principal: {
          kind: 'apiKey',
          apiKeyId: row.id,
          workspaceId: row.workspace_id,
          role: row.role,
          scopes: KEY_SCOPES[row.role],
        },
        expiresAtMs: row.expires_at ? row.expires_at.getTime() : null,
      };
      if (this.trusted && generation === this.generation) this.positive.set(cacheKey, entry);
    }

    if (entry.expiresAtMs !== null && entry.expiresAtMs <= Date.now()) {
      throw unauthenticated('This API key has expired.');
    }
    this.touch(entry.principal);
    return entry.principal;
  }

  /** A key or a whole workspace's keys changed somewhere: forget them here. */
  invalidate(change: ApiKeyChange): void {
    this.generation += 1;
    for (const [cacheKey, entry] of this.positive.entries()) {
      const match =
        change.kind === 'key' ? entry.principal.apiKeyId === change.id : entry.principal.workspaceId === change.id;
      if (match) this.positive.delete(cacheKey);
    }
  }

  /** The change subscription (re)started: whatever was cached may be stale. */
  reset(): void {
    this.generation += 1;
    this.positive.clear();
    this.trusted = true;
  }

  /** The change subscription is down: verify against the database until it is back. */
  distrust(): void {
    this.generation += 1;
    this.trusted = false;
    this.positive.clear();
  }

  private async load(prefix: string, hash: Buffer): Promise<KeyRow | null> {
    const rows: KeyRow[] = await this.db.query(
      `SELECT k.id, k.workspace_id, k.role, k.secret_hash, k.expires_at, k.revoked_at
         FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id AND w.deleted_at IS NULL
        WHERE k.prefix = $1`,
      [prefix],
    );
    // Compare every candidate, in constant time, without stopping at the first match.
    let found: KeyRow | null = null;
    for (const row of rows) {
      if (row.secret_hash.length === hash.length && timingSafeEqual(row.secret_hash, hash)) found = row;
    }
    return found;
  }

  /** `last_used_at` follows real use, with at most one write per key per interval. */
  private touch(principal: KeyPrincipal): void {
    if (this.recentlyTouched.has(principal.apiKeyId)) return;
    this.recentlyTouched.set(principal.apiKeyId, true);
    this.lastUsedWrites += 1;
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
