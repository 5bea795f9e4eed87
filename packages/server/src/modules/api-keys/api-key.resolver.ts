import { ApiKeyStatus, LIMITS, Scope } from '@tally/shared';
import DataLoader from 'dataloader';
import { Arg, Args, Ctx, FieldResolver, Float, ID, Mutation, Resolver, Root, registerEnumType } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import { isUuid, notFound } from '../../platform/errors';
import type { AuthContext } from '../../auth/context';
import type { AccountsContext } from '../accounts/account-context';
import { User } from '../accounts/user.entity';
import { AuditEntry } from '../audit/audit-entry.entity';
import { Workspace } from '../workspaces/workspace.entity';
import { ApiKey } from './api-key.entity';
import {
  ApiKeyRateLimits,
  ApiKeyUsageArgs,
  ApiKeyUsageDay,
  CreateApiKeyArgs,
  CreatedApiKey,
  RevokeApiKeyArgs,
  RollApiKeyArgs,
  SetApiKeyAllowedIpsArgs,
  SetApiKeyPolicyArgs,
  SetApiKeyRateLimitsArgs,
} from './api-key.inputs';
import type { UsageDay } from './api-key-usage';
import { ApiKeyPolicy, ApiKeyPolicyViolation } from './api-key-policy.entity';
import { policyViolations } from './api-key-policy';
import { API_KEYS_LISTED, type ApiKeyService } from './api-key.service';

registerEnumType(ApiKeyPolicyViolation, {
  name: 'ApiKeyPolicyViolation',
  description: "Why a key is outside its workspace's key policy.",
  valuesConfig: {
    LIFETIME: { description: 'It expires later than the policy allows, or never.' },
    ROLE: { description: 'Its role is above the highest the policy allows.' },
    NO_ALLOWLIST: { description: 'The policy requires an IP allowlist and it has none.' },
  },
});

/** The key policies of the workspaces a request reads keys of: one query per request. */
const policyLoaders = new WeakMap<AuthContext, DataLoader<string, ApiKeyPolicy>>();
function policyOf(ctx: AuthContext, service: ApiKeyService, workspaceId: string): Promise<ApiKeyPolicy> {
  let loader = policyLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader((ids: readonly string[]) => service.policies(ids));
    policyLoaders.set(ctx, loader);
  }
  return loader.load(workspaceId);
}

/**
 * Keys of one workspace by id, read together: one loader per request and workspace, so a page of
 * keys or audit entries naming other keys costs one query.
 */
class KeyLoaders {
  private readonly loaders = new WeakMap<AuthContext, Map<string, DataLoader<string, ApiKey | null>>>();

  constructor(private readonly service: ApiKeyService) {}

  load(ctx: AuthContext, workspaceId: string, id: string): Promise<ApiKey | null> {
    let byWorkspace = this.loaders.get(ctx);
    if (!byWorkspace) {
      byWorkspace = new Map();
      this.loaders.set(ctx, byWorkspace);
    }
    let loader = byWorkspace.get(workspaceId);
    if (!loader) {
      loader = new DataLoader((ids: readonly string[]) => this.service.findInWorkspace(workspaceId, ids));
      byWorkspace.set(workspaceId, loader);
    }
    return loader.load(id);
  }
}

/**
 * Loaders per request, workspace and (for usage) range: the keys of a list asking for the same
 * figures are read in one grouped statement, not one per key.
 */
class UsageLoaders {
  private readonly loaders = new WeakMap<AuthContext, Map<string, DataLoader<string, unknown>>>();

  constructor(private readonly service: ApiKeyService) {}

  eventsLast7Days(ctx: AuthContext, workspaceId: string, id: string): Promise<number> {
    const loader = this.loader(ctx, `events7|${workspaceId}`, (ids) => this.service.eventsLast7Days(workspaceId, ids));
    return loader.load(id) as Promise<number>;
  }

  usage(ctx: AuthContext, workspaceId: string, id: string, args: ApiKeyUsageArgs): Promise<UsageDay[]> {
    const range = this.service.usageRange(args.from, args.to);
    const loader = this.loader(ctx, `usage|${workspaceId}|${range.from}|${range.to}`, (ids) =>
      this.service.usage(workspaceId, ids, range),
    );
    return loader.load(id) as Promise<UsageDay[]>;
  }

  private loader(
    ctx: AuthContext,
    name: string,
    batch: (ids: readonly string[]) => Promise<unknown[]>,
  ): DataLoader<string, unknown> {
    let byName = this.loaders.get(ctx);
    if (!byName) {
      byName = new Map();
      this.loaders.set(ctx, byName);
    }
    let loader = byName.get(name);
    if (!loader) {
      loader = new DataLoader(batch);
      byName.set(name, loader);
    }
    return loader;
  }
}

function usageDayOf(row: UsageDay): ApiKeyUsageDay {
  return {
    day: new Date(`${row.day}T00:00:00.000Z`),
    eventsAccepted: row.counts.eventsAccepted,
    batchesRefusedRateLimit: row.counts.refusedRateLimit,
    batchesRefusedInvalid: row.counts.refusedInvalid,
    requestsRefusedAddress: row.counts.refusedAddress,
    graphqlRequests: row.counts.graphqlRequests,
    exports: row.counts.exports,
  };
}

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  private readonly keys: KeyLoaders;
  private readonly usageLoaders: UsageLoaders;

  constructor(private readonly apiKeys: ApiKeyService) {
    this.keys = new KeyLoaders(apiKeys);
    this.usageLoaders = new UsageLoaders(apiKeys);
  }

  @Mutation(() => ApiKey, {
    description:
      "Sets a key's own per-minute limits (each 1 to the server's maximum; null: the server's default); effective at once.",
  })
  @RequiresScopes(Scope.KEYS_MANAGE)
  setApiKeyRateLimits(
    @Args(() => SetApiKeyRateLimitsArgs) args: SetApiKeyRateLimitsArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<ApiKey> {
    return this.apiKeys.setRateLimits(args.workspaceId, args.apiKeyId, ctx.principal, {
      eventsPerMinute: args.eventsPerMinute ?? null,
      queriesPerMinute: args.queriesPerMinute ?? null,
    });
  }

  @FieldResolver(() => ApiKeyRateLimits, { description: 'The per-minute limits this key works under.' })
  @RequiresScopes(Scope.KEYS_READ)
  rateLimits(@Root() key: ApiKey): ApiKeyRateLimits {
    return this.apiKeys.rateLimitsOf(key);
  }

  // Free in a list's price: the keys of a list are read together, in one grouped statement.
  @FieldResolver(() => Float, {
    description: 'Events this key sent that were accepted in the last 7 days (UTC).',
    complexity: 0,
  })
  @RequiresScopes(Scope.KEYS_READ)
  eventsLast7Days(@Root() key: ApiKey, @Ctx() ctx: AuthContext): Promise<number> {
    return this.usageLoaders.eventsLast7Days(ctx, key.workspaceId, key.id);
  }

  // Priced as the longest range it can return.
  @FieldResolver(() => [ApiKeyUsageDay], {
    description: `What this key did per UTC day, every day of the range (at most ${LIMITS.apiKeyUsageMaxDays}); kept ${LIMITS.apiKeyUsageMaxDays} days.`,
    complexity: ({ childComplexity }) => 1 + LIMITS.apiKeyUsageMaxDays * childComplexity,
  })
  @RequiresScopes(Scope.KEYS_READ)
  async usage(
    @Root() key: ApiKey,
    @Args(() => ApiKeyUsageArgs) args: ApiKeyUsageArgs,
    @Ctx() ctx: AuthContext,
  ): Promise<ApiKeyUsageDay[]> {
    return (await this.usageLoaders.usage(ctx, key.workspaceId, key.id, args)).map(usageDayOf);
  }

  @Mutation(() => CreatedApiKey)
  @RequiresScopes(Scope.KEYS_MANAGE)
  createApiKey(
    @Args(() => CreateApiKeyArgs) args: CreateApiKeyArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<CreatedApiKey> {
    return this.apiKeys.create(args.workspaceId, ctx.principal, args.input);
  }

  @Mutation(() => ApiKey)
  @RequiresScopes(Scope.KEYS_MANAGE)
  revokeApiKey(@Args(() => RevokeApiKeyArgs) args: RevokeApiKeyArgs, @Ctx() ctx: AccountsContext): Promise<ApiKey> {
    return this.apiKeys.revoke(args.workspaceId, args.apiKeyId, ctx.principal);
  }

  @Mutation(() => CreatedApiKey, {
    description:
      'A new key (its secret shown once) in place of this one, with its name, role, description and expiry policy; the old key keeps working until graceUntil.',
  })
  @RequiresScopes(Scope.KEYS_MANAGE)
  rollApiKey(@Args(() => RollApiKeyArgs) args: RollApiKeyArgs, @Ctx() ctx: AccountsContext): Promise<CreatedApiKey> {
    return this.apiKeys.roll(args.workspaceId, args.apiKeyId, ctx.principal, args.graceUntil);
  }

  @Mutation(() => ApiKey, {
    description:
      'Replaces the addresses and CIDR ranges the key is accepted from (null or empty: any address); effective at once.',
  })
  @RequiresScopes(Scope.KEYS_MANAGE)
  setApiKeyAllowedIps(
    @Args(() => SetApiKeyAllowedIpsArgs) args: SetApiKeyAllowedIpsArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<ApiKey> {
    return this.apiKeys.setAllowedIps(args.workspaceId, args.apiKeyId, ctx.principal, args.allowedIps);
  }

  @FieldResolver(() => ApiKey, {
    nullable: true,
    description: 'The key this one replaced, when it was made by a roll.',
  })
  rolledFrom(@Root() key: ApiKey, @Ctx() ctx: AuthContext): Promise<ApiKey | null> | null {
    return key.rolledFromId ? this.keys.load(ctx, key.workspaceId, key.rolledFromId) : null;
  }

  @FieldResolver(() => ApiKey, {
    nullable: true,
    description: 'The key made by rolling this one; this one stops working when its grace period ends (expiresAt).',
  })
  replacedBy(@Root() key: ApiKey, @Ctx() ctx: AuthContext): Promise<ApiKey | null> | null {
    return key.replacedById ? this.keys.load(ctx, key.workspaceId, key.replacedById) : null;
  }

  @Mutation(() => ApiKeyPolicy, {
    description:
      "Sets the workspace's key policy as a whole: new and rolled keys must respect it; existing keys are flagged (ApiKey.policyViolations).",
  })
  @RequiresScopes(Scope.WORKSPACE_MANAGE)
  setApiKeyPolicy(
    @Args(() => SetApiKeyPolicyArgs) args: SetApiKeyPolicyArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<ApiKeyPolicy> {
    return this.apiKeys.setPolicy(args.workspaceId, ctx.principal, args.input);
  }

  @FieldResolver(() => [ApiKeyPolicyViolation], {
    description:
      "What of the workspace's key policy this key breaks (empty: none); it keeps working until it is rolled or revoked.",
  })
  async policyViolations(@Root() key: ApiKey, @Ctx() ctx: AuthContext): Promise<ApiKeyPolicyViolation[]> {
    return policyViolations(await policyOf(ctx, this.apiKeys, key.workspaceId), key);
  }

  @FieldResolver(() => ApiKeyStatus)
  status(@Root() key: ApiKey): ApiKeyStatus {
    return this.apiKeys.statusOf(key);
  }

  @FieldResolver(() => User, { nullable: true })
  createdBy(@Root() key: ApiKey, @Ctx() ctx: AccountsContext): Promise<User | null> | null {
    return key.createdById ? ctx.loaders.users.load(key.createdById) : null;
  }
}

@Resolver(() => Workspace)
export class WorkspaceApiKeysResolver {
  constructor(private readonly service: ApiKeyService) {}

  // Priced as the longest list it can return, like any list field.
  @FieldResolver(() => [ApiKey], { complexity: ({ childComplexity }) => 1 + API_KEYS_LISTED * childComplexity })
  @RequiresScopes(Scope.KEYS_READ)
  apiKeys(@Root() workspace: Workspace): Promise<ApiKey[]> {
    return this.service.list(workspace.id);
  }

  @FieldResolver(() => ApiKey, { description: 'One key of the workspace (NOT_FOUND when it has none by that id).' })
  @RequiresScopes(Scope.KEYS_READ)
  async apiKey(@Root() workspace: Workspace, @Arg('id', () => ID) id: string): Promise<ApiKey> {
    const [key] = isUuid(id) ? await this.service.findInWorkspace(workspace.id, [id]) : [];
    if (!key) throw notFound('API key');
    return key;
  }

  @FieldResolver(() => ApiKeyPolicy, {
    description: "The workspace's key policy: what a new key must respect (shown before one is made).",
  })
  @RequiresScopes(Scope.KEYS_READ)
  apiKeyPolicy(@Root() workspace: Workspace, @Ctx() ctx: AuthContext): Promise<ApiKeyPolicy> {
    return policyOf(ctx, this.service, workspace.id);
  }
}

/**
 * AuditEntry.actorApiKey: the acting key of an entry, from the entry's workspace. The keys of a
 * page of entries are read in one query (a loader per request and workspace).
 */
@Resolver(() => AuditEntry)
export class AuditEntryApiKeyResolver {
  private readonly keys: KeyLoaders;

  constructor(service: ApiKeyService) {
    this.keys = new KeyLoaders(service);
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'An API key acting, when no user did.' })
  actorApiKey(@Root() entry: AuditEntry, @Ctx() ctx: AuthContext): Promise<ApiKey | null> | null {
    return entry.actorApiKeyId ? this.keys.load(ctx, entry.workspaceId, entry.actorApiKeyId) : null;
  }
}
