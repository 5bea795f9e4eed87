import { API_KEY_EXPIRY_WARNING_MS, type ApiKeyRole, type ApiKeyStatus, LIMITS, keyStatus } from '@tally/shared';
import { type DataSource, type EntityManager, In, IsNull } from 'typeorm';
import type { Clock } from '../../platform/clock';
import { badInput, conflict, isUuid, notFound } from '../../platform/errors';
import type { Principal } from '../../auth/principal';
import { AuditAction, type AuditService } from '../audit/audit.service';
import { type Change, announce } from '../../platform/change-feed/change-feed';
import { displayPrefix, generateSecret, hashSecret } from './api-key-secret';
import { normalizeAllowlist } from './ip-allowlist';
import { ApiKeyPolicy } from './api-key-policy.entity';
import { assertWithinPolicy, noPolicy } from './api-key-policy';
import { Workspace } from '../workspaces/workspace.entity';
import { ApiKey } from './api-key.entity';
import { type KeyLimitSettings, effectiveKeyLimits } from './api-key-limits';
import { type UsageDay, readEventsSince, readUsage, utcDay } from './api-key-usage';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A key's limits as `ApiKey.rateLimits` shows them. */
export interface ApiKeyRateLimitsView {
  eventsPerMinute: number;
  queriesPerMinute: number;
  /** Whether the key has a limit of its own (else the server's defaults apply). */
  custom: boolean;
  maxEventsPerMinute: number;
  maxQueriesPerMinute: number;
}

/**
 * The most keys `Workspace.apiKeys` returns: every key that is not revoked (at most
 * LIMITS.apiKeysPerWorkspace), then the most recently revoked ones. The cost estimator prices
 * the field as a list of this many.
 */
export const API_KEYS_LISTED = 2 * LIMITS.apiKeysPerWorkspace;

export interface CreateApiKeyData {
  name: string;
  description?: string | null;
  role: ApiKeyRole;
  expiresAt?: Date | null;
  allowedIps?: string[] | null;
}

export class ApiKeyService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    /** Told after a commit that changed keys, so this instance forgets them at once. */
    private readonly changes: { applyLocally(change: Change): void },
    /** What expiry is decided by: `create`'s "in the future" and every key's `status`. */
    private readonly clock: Clock,
    /** The server's default and highest per-key limits (config.ts). */
    private readonly limits: KeyLimitSettings,
  ) {}

  /** The limits a key works under, and how far an ADMIN may raise them. */
  rateLimitsOf(key: Pick<ApiKey, 'eventsPerMinute' | 'queriesPerMinute'>): ApiKeyRateLimitsView {
    return {
      ...effectiveKeyLimits(key, this.limits),
      custom: key.eventsPerMinute !== null || key.queriesPerMinute !== null,
      maxEventsPerMinute: this.limits.maximums.eventsPerMinute,
      maxQueriesPerMinute: this.limits.maximums.queriesPerMinute,
    };
  }

  /**
   * Sets a key's own limits (null: the server's default again), each 1 to the server's maximum.
   * Takes effect on every instance at once (announced like a revocation: the verifier reads the
   * key again, with its new limits, on its next request). Audited with both versions; the same
   * limits again record nothing.
   */
  async setRateLimits(
    workspaceId: string,
    apiKeyId: string,
    actor: Principal | null,
    limits: { eventsPerMinute?: number | null; queriesPerMinute?: number | null },
  ): Promise<ApiKey> {
    if (!isUuid(apiKeyId)) throw notFound('API key');
    const eventsPerMinute = this.checkedLimit(
      limits.eventsPerMinute,
      this.limits.maximums.eventsPerMinute,
      'eventsPerMinute',
      'events',
    );
    const queriesPerMinute = this.checkedLimit(
      limits.queriesPerMinute,
      this.limits.maximums.queriesPerMinute,
      'queriesPerMinute',
      'queries',
    );
    const changed = await this.db.transaction(async (manager) => {
      const key = await this.lockKey(manager, workspaceId, apiKeyId);
      if (key.revokedAt) throw conflict('This key is revoked: its limits can no longer change.');
      if (key.eventsPerMinute === eventsPerMinute && key.queriesPerMinute === queriesPerMinute) return false;
      await manager.update(ApiKey, { workspaceId, id: apiKeyId }, { eventsPerMinute, queriesPerMinute });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.API_KEY_RATE_LIMITS_CHANGED,
        actor,
        targetType: 'api_key',
        targetId: apiKeyId,
        details: {
          name: key.name,
          prefix: key.prefix,
          before: { eventsPerMinute: key.eventsPerMinute, queriesPerMinute: key.queriesPerMinute },
          after: { eventsPerMinute, queriesPerMinute },
        },
      });
      await announce(manager, { kind: 'api_key', id: apiKeyId });
      return true;
    });
    if (changed) this.changes.applyLocally({ kind: 'api_key', id: apiKeyId });
    return this.reload(workspaceId, apiKeyId);
  }

  private checkedLimit(value: number | null | undefined, max: number, field: string, what: string): number | null {
    if (value === null || value === undefined) return null;
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw badInput(`A key's limit is 1 to ${max.toLocaleString('en-US')} ${what} a minute on this server.`, {
        field,
        max,
      });
    }
    return value;
  }

  /** Events each key accepted in the last 7 days (today and the 6 before, UTC): one statement. */
  async eventsLast7Days(workspaceId: string, apiKeyIds: readonly string[]): Promise<number[]> {
    const since = utcDay(this.clock() - 6 * DAY_MS);
    const events = await readEventsSince(this.db, workspaceId, apiKeyIds, since);
    return apiKeyIds.map((id) => events.get(id) ?? 0);
  }

  /**
   * Keys' usage per UTC day from `from`'s day to `to`'s (default: the 30 days up to today), every
   * day present (zeros where nothing happened), at most LIMITS.apiKeyUsageMaxDays days.
   */
  usageRange(from: Date | null | undefined, to: Date | null | undefined): { from: string; to: string; days: string[] } {
    const end = to ?? new Date(this.clock());
    const start = from ?? new Date(end.getTime() - 29 * DAY_MS);
    const first = Date.parse(utcDay(start.getTime()));
    const last = Date.parse(utcDay(end.getTime()));
    if (Number.isNaN(first) || Number.isNaN(last) || first > last) {
      throw badInput('The usage range must end on or after the day it starts.', { field: 'from' });
    }
    const count = (last - first) / DAY_MS + 1;
    if (count > LIMITS.apiKeyUsageMaxDays) {
      throw badInput(`A usage range spans at most ${LIMITS.apiKeyUsageMaxDays} days.`, {
        field: 'from',
        maxDays: LIMITS.apiKeyUsageMaxDays,
      });
    }
    const days = Array.from({ length: count }, (_, i) => utcDay(first + i * DAY_MS));
    return { from: utcDay(first), to: utcDay(last), days };
  }

  /** Keys' usage over one checked range (`usageRange`), every day of it, in the order asked. */
  async usage(
    workspaceId: string,
    apiKeyIds: readonly string[],
    range: { from: string; to: string; days: string[] },
  ): Promise<UsageDay[][]> {
    const stored = await readUsage(this.db, workspaceId, apiKeyIds, range.from, range.to);
    return apiKeyIds.map((id) => {
      const byDay = new Map((stored.get(id) ?? []).map((row) => [row.day, row]));
      return range.days.map(
        (day) =>
          byDay.get(day) ?? {
            day,
            counts: {
              eventsAccepted: 0,
              refusedRateLimit: 0,
              refusedInvalid: 0,
              refusedAddress: 0,
              graphqlRequests: 0,
              exports: 0,
            },
          },
      );
    });
  }

  /** ACTIVE, EXPIRED or REVOKED, now (derived on every read, never stored). */
  statusOf(key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>): ApiKeyStatus {
    return keyStatus(key.revokedAt, key.expiresAt, this.clock());
  }

  /**
   * The workspace's keys, newest first; metadata only. Bounded: all keys that are not revoked,
   * then the most recently revoked, API_KEYS_LISTED in all (revoked keys pile up for good).
   */
  list(workspaceId: string): Promise<ApiKey[]> {
    return this.db
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.workspaceId = :workspaceId', { workspaceId })
      .andWhere(
        `k.id IN (SELECT l.id FROM api_keys l WHERE l.workspace_id = :workspaceId
          ORDER BY l.revoked_at DESC NULLS FIRST, l.created_at DESC LIMIT :listed)`,
        { listed: API_KEYS_LISTED },
      )
      .orderBy('k.createdAt', 'DESC')
      .addOrderBy('k.id', 'ASC')
      .getMany();
  }

  /**
   * The API Keys banner: active keys that expire within seven days, soonest first. Rolled keys are
   * left out (the end of a roll's grace was chosen), as the expiry emails leave them out.
   */
  expiringSoon(workspaceId: string): Promise<ApiKey[]> {
    const now = this.clock();
    return this.db
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.workspaceId = :workspaceId', { workspaceId })
      .andWhere('k.revokedAt IS NULL AND k.replacedById IS NULL')
      .andWhere('k.expiresAt > :now AND k.expiresAt <= :horizon', {
        now: new Date(now),
        horizon: new Date(now + API_KEY_EXPIRY_WARNING_MS),
      })
      .orderBy('k.expiresAt', 'ASC')
      .addOrderBy('k.id', 'ASC')
      .getMany();
  }

  /** Creates a key and returns its secret, the only time it is ever available. */
  async create(
    workspaceId: string,
    actor: Principal | null,
    data: CreateApiKeyData,
  ): Promise<{ apiKey: ApiKey; secret: string }> {
    const name = data.name.trim();
    if (name.length === 0 || name.length > LIMITS.apiKeyNameMaxLength) {
      throw badInput(`A key name must be 1 to ${LIMITS.apiKeyNameMaxLength} characters.`, { field: 'name' });
    }
    const description = data.description?.trim() || null;
    if (description && description.length > LIMITS.apiKeyDescriptionMaxLength) {
      throw badInput(`A description can be at most ${LIMITS.apiKeyDescriptionMaxLength} characters.`, {
        field: 'description',
      });
    }
    const expiresAt = data.expiresAt ?? null;
    if (expiresAt && expiresAt.getTime() <= this.clock()) {
      throw badInput('The expiry date must lie in the future.', { field: 'expiresAt' });
    }
    const allowedIps = normalizeAllowlist(data.allowedIps);

    const secret = generateSecret();
    const apiKey = await this.db.transaction(async (manager) => {
      // One creation at a time per workspace, so two racing requests cannot both take the last
      // place; a team deleted meanwhile (its deletion holds the row until it commits) gets no new key.
      await this.lockWorkspace(manager, workspaceId);
      assertWithinPolicy(await this.policyIn(manager, workspaceId), {
        role: data.role,
        createdAt: new Date(this.clock()),
        expiresAt,
        allowedIps,
      });
      const held = await manager.count(ApiKey, { where: { workspaceId, revokedAt: IsNull() } });
      if (held >= LIMITS.apiKeysPerWorkspace) {
        throw badInput(
          `A workspace can hold at most ${LIMITS.apiKeysPerWorkspace} API keys that are not revoked. Revoke keys you no longer use, then create this one.`,
          { limit: LIMITS.apiKeysPerWorkspace },
        );
      }
      const created = await manager.save(
        manager.create(ApiKey, {
          workspaceId,
          name,
          description,
          role: data.role,
          prefix: displayPrefix(secret),
          secretHash: hashSecret(secret),
          createdById: actor?.kind === 'user' ? actor.userId : null,
          expiresAt,
          allowedIps,
        }),
      );
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.API_KEY_CREATED,
        actor,
        targetType: 'api_key',
        targetId: created.id,
        details: {
          name,
          role: data.role,
          prefix: created.prefix,
          expiresAt: expiresAt?.toISOString() ?? null,
          ...(allowedIps ? { allowedIps } : {}),
        },
      });
      return created;
    });
    return { apiKey: await this.reload(workspaceId, apiKey.id), secret };
  }

  /**
   * Rolls a key: a new key (its secret returned, shown once) with the old one's name, role,
   * description and expiry policy (a key that expired N days after its creation gets a new one
   * that expires N days from now), while the old key keeps working until `graceUntil` (default
   * 24 hours from now, at most 7 days; now or earlier ends it at once) and is refused as EXPIRED
   * from then on, on every instance. A key is rolled once: rolling one already rolled, revoked or
   * expired is a CONFLICT that changes nothing.
   */
  async roll(
    workspaceId: string,
    apiKeyId: string,
    actor: Principal | null,
    graceUntil?: Date | null,
  ): Promise<{ apiKey: ApiKey; secret: string }> {
    if (!isUuid(apiKeyId)) throw notFound('API key');
    const now = this.clock();
    const graceEnd = graceUntil ? Math.max(graceUntil.getTime(), now) : now + LIMITS.apiKeyRollGraceDefaultMs;
    if (graceEnd > now + LIMITS.apiKeyRollGraceMaxMs) {
      throw badInput('The old key can keep working for at most 7 days after a roll.', {
        field: 'graceUntil',
        maxMs: LIMITS.apiKeyRollGraceMaxMs,
      });
    }
    const secret = generateSecret();
    const created = await this.db.transaction(async (manager) => {
      const old = await this.lockKey(manager, workspaceId, apiKeyId);
      if (old.revokedAt) throw conflict('This key is revoked: create a new key instead of rolling it.');
      if (old.replacedById) throw conflict('This key was already rolled: roll the key that replaced it.');
      if (old.expiresAt && old.expiresAt.getTime() <= now) {
        throw conflict('This key has expired: create a new key instead of rolling it.');
      }
      const held = await manager.count(ApiKey, { where: { workspaceId, revokedAt: IsNull() } });
      if (held >= LIMITS.apiKeysPerWorkspace) {
        throw badInput(
          `A workspace can hold at most ${LIMITS.apiKeysPerWorkspace} API keys that are not revoked. Revoke keys you no longer use, then roll this one.`,
          { limit: LIMITS.apiKeysPerWorkspace },
        );
      }
      const policy = await this.policyIn(manager, workspaceId);
      // The old key's lifetime, brought within the policy's (a roll is how keys come into it).
      const maxLifetime = policy.maxLifetimeDays === null ? null : policy.maxLifetimeDays * 24 * 60 * 60 * 1000;
      const ownLifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null;
      const lifetime =
        maxLifetime === null ? ownLifetime : ownLifetime === null ? maxLifetime : Math.min(ownLifetime, maxLifetime);
      try {
        assertWithinPolicy(policy, {
          role: old.role,
          createdAt: new Date(now),
          expiresAt: lifetime === null ? null : new Date(now + lifetime),
          allowedIps: old.allowedIps,
        });
      } catch (error: unknown) {
        throw conflict(
          `${error instanceof Error ? error.message : String(error)} This key is outside the policy: create a new key within it instead of rolling this one.`,
        );
      }
      const replacement = await manager.save(
        manager.create(ApiKey, {
          workspaceId,
          name: old.name,
          description: old.description,
          role: old.role,
          prefix: displayPrefix(secret),
          secretHash: hashSecret(secret),
          createdById: actor?.kind === 'user' ? actor.userId : null,
          expiresAt: lifetime === null ? null : new Date(now + lifetime),
          rolledFromId: old.id,
          allowedIps: old.allowedIps,
        }),
      );
      const oldEnds = new Date(Math.min(graceEnd, old.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY));
      await manager.update(ApiKey, { workspaceId, id: old.id }, { replacedById: replacement.id, expiresAt: oldEnds });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.API_KEY_ROLLED,
        actor,
        targetType: 'api_key',
        targetId: old.id,
        details: {
          name: old.name,
          prefix: old.prefix,
          newKeyId: replacement.id,
          newPrefix: replacement.prefix,
          graceUntil: oldEnds.toISOString(),
        },
      });
      // Every instance forgets the old key's cached expiry when this commits.
      await announce(manager, { kind: 'api_key', id: old.id });
      return replacement;
    });
    this.changes.applyLocally({ kind: 'api_key', id: apiKeyId });
    return { apiKey: await this.reload(workspaceId, created.id), secret };
  }

  /**
   * Replaces a key's IP allowlist (null or empty: any address). Takes effect on every instance
   * at once (the change feed); audited with the lists before and after. Setting the same list
   * again changes nothing and records nothing. A revoked key's list cannot change.
   */
  async setAllowedIps(
    workspaceId: string,
    apiKeyId: string,
    actor: Principal | null,
    entries: string[] | null | undefined,
  ): Promise<ApiKey> {
    if (!isUuid(apiKeyId)) throw notFound('API key');
    const allowedIps = normalizeAllowlist(entries);
    const changed = await this.db.transaction(async (manager) => {
      const key = await this.lockKey(manager, workspaceId, apiKeyId);
      if (key.revokedAt) throw conflict('This key is revoked: its allowlist can no longer change.');
      if (!allowedIps && (await this.policyIn(manager, workspaceId)).requireAllowlist) {
        throw badInput("This workspace's keys need an IP allowlist.", {
          field: 'allowedIps',
          policy: 'requireAllowlist',
        });
      }
      if (JSON.stringify(key.allowedIps) === JSON.stringify(allowedIps)) return false;
      await manager.update(ApiKey, { workspaceId, id: apiKeyId }, { allowedIps });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.API_KEY_ALLOWLIST_CHANGED,
        actor,
        targetType: 'api_key',
        targetId: apiKeyId,
        details: { name: key.name, prefix: key.prefix, before: key.allowedIps, after: allowedIps },
      });
      await announce(manager, { kind: 'api_key', id: apiKeyId });
      return true;
    });
    if (changed) this.changes.applyLocally({ kind: 'api_key', id: apiKeyId });
    return this.reload(workspaceId, apiKeyId);
  }

  /** Immediate and final; revoking a revoked key changes nothing and records nothing. */
  async revoke(workspaceId: string, apiKeyId: string, actor: Principal | null): Promise<ApiKey> {
    if (!isUuid(apiKeyId)) throw notFound('API key');
    const changed = await this.db.transaction(async (manager) => {
      const key = await this.lockKey(manager, workspaceId, apiKeyId);
      if (key.revokedAt) return false;
      await manager.update(ApiKey, { workspaceId, id: apiKeyId }, { revokedAt: () => 'now()' });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.API_KEY_REVOKED,
        actor,
        targetType: 'api_key',
        targetId: apiKeyId,
        details: { name: key.name, prefix: key.prefix },
      });
      // Delivered to every instance when this transaction commits.
      await announce(manager, { kind: 'api_key', id: apiKeyId });
      return true;
    });
    if (changed) this.changes.applyLocally({ kind: 'api_key', id: apiKeyId });
    return this.reload(workspaceId, apiKeyId);
  }

  /** The workspace's key policy (every rule off when it has none). */
  async policy(workspaceId: string): Promise<ApiKeyPolicy> {
    return this.policyIn(this.db.manager, workspaceId);
  }

  /** Key policies of several workspaces at once, in the order asked. */
  async policies(workspaceIds: readonly string[]): Promise<ApiKeyPolicy[]> {
    const rows = await this.db.getRepository(ApiKeyPolicy).find({ where: { workspaceId: In([...workspaceIds]) } });
    const byId = new Map(rows.map((row) => [row.workspaceId, row]));
    return workspaceIds.map((id) => byId.get(id) ?? noPolicy(id));
  }

  /**
   * Sets the workspace's key policy as a whole. Keys that exist stay as they are (flagged by
   * `ApiKey.policyViolations`); new and rolled keys must respect it. Audited with both versions;
   * the same policy again records nothing.
   */
  async setPolicy(
    workspaceId: string,
    actor: Principal | null,
    input: { maxLifetimeDays?: number | null; maxRole?: ApiKeyRole | null; requireAllowlist?: boolean | null },
  ): Promise<ApiKeyPolicy> {
    const maxLifetimeDays = input.maxLifetimeDays ?? null;
    if (
      maxLifetimeDays !== null &&
      (!Number.isInteger(maxLifetimeDays) ||
        maxLifetimeDays < 1 ||
        maxLifetimeDays > LIMITS.apiKeyPolicyMaxLifetimeDays)
    ) {
      throw badInput(`A maximum key lifetime is 1 to ${LIMITS.apiKeyPolicyMaxLifetimeDays} days.`, {
        field: 'maxLifetimeDays',
      });
    }
    const next: ApiKeyPolicy = {
      workspaceId,
      maxLifetimeDays,
      maxRole: input.maxRole ?? null,
      requireAllowlist: input.requireAllowlist ?? false,
    };
    return this.db.transaction(async (manager) => {
      await this.lockWorkspace(manager, workspaceId);
      const before = await this.policyIn(manager, workspaceId);
      const same =
        before.maxLifetimeDays === next.maxLifetimeDays &&
        before.maxRole === next.maxRole &&
        before.requireAllowlist === next.requireAllowlist;
      if (same) return before;
      await manager.upsert(ApiKeyPolicy, next, ['workspaceId']);
      const rules = (p: ApiKeyPolicy) => ({
        maxLifetimeDays: p.maxLifetimeDays,
        maxRole: p.maxRole,
        requireAllowlist: p.requireAllowlist,
      });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.API_KEY_POLICY_CHANGED,
        actor,
        targetType: 'workspace',
        targetId: workspaceId,
        details: { before: rules(before), after: rules(next) },
      });
      return next;
    });
  }

  /**
   * Locks a live workspace's row for the rest of the transaction (NOT_FOUND when it is gone or
   * deleted). Every change to a workspace's keys takes it first, as a team's deletion (which
   * revokes every key) does: the other way round, a revoke racing the deletion deadlocks with it
   * (found by races.test.ts). FOR NO KEY UPDATE does not block inserts that merely reference it.
   */
  private async lockWorkspace(manager: EntityManager, workspaceId: string): Promise<void> {
    const workspace = await manager.findOne(Workspace, {
      where: { id: workspaceId, deletedAt: IsNull() },
      lock: { mode: 'for_no_key_update' },
    });
    if (!workspace) throw notFound('Workspace');
  }

  /** The workspace's row, then the key's, locked for the transaction (NOT_FOUND for either). */
  private async lockKey(manager: EntityManager, workspaceId: string, apiKeyId: string): Promise<ApiKey> {
    await this.lockWorkspace(manager, workspaceId);
    const key = await manager.findOne(ApiKey, {
      where: { workspaceId, id: apiKeyId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!key) throw notFound('API key');
    return key;
  }

  private async policyIn(manager: EntityManager, workspaceId: string): Promise<ApiKeyPolicy> {
    return (await manager.findOne(ApiKeyPolicy, { where: { workspaceId } })) ?? noPolicy(workspaceId);
  }

  /** Keys of one workspace by id, in the order asked; null where the workspace has none. */
  async findInWorkspace(workspaceId: string, ids: readonly string[]): Promise<Array<ApiKey | null>> {
    const keys = await this.db.getRepository(ApiKey).find({ where: { workspaceId, id: In([...ids]) } });
    const byId = new Map(keys.map((key) => [key.id, key]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  private async reload(workspaceId: string, id: string): Promise<ApiKey> {
    const key = await this.db.getRepository(ApiKey).findOne({ where: { workspaceId, id } });
    if (!key) throw notFound('API key');
    return key;
  }
}
