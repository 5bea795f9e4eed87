import { ApiKeyStatus, Scope } from '@tally/shared';
import DataLoader from 'dataloader';
import { Args, Ctx, FieldResolver, Mutation, Resolver, Root, registerEnumType } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import type { AuthContext } from '../../auth/context';
import type { AccountsContext } from '../accounts/account-context';
import { User } from '../accounts/user.entity';
import { AuditEntry } from '../audit/audit-entry.entity';
import { Workspace } from '../workspaces/workspace.entity';
import { ApiKey } from './api-key.entity';
import {
  CreateApiKeyArgs,
  CreatedApiKey,
  RevokeApiKeyArgs,
  RollApiKeyArgs,
  SetApiKeyAllowedIpsArgs,
  SetApiKeyPolicyArgs,
} from './api-key.inputs';
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

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  private readonly keys: KeyLoaders;

  constructor(private readonly apiKeys: ApiKeyService) {
    this.keys = new KeyLoaders(apiKeys);
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
