import { ApiKeyStatus, Scope } from '@tally/shared';
import DataLoader from 'dataloader';
import { Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import type { AuthContext } from '../../auth/context';
import type { AccountsContext } from '../accounts/account-context';
import { User } from '../accounts/user.entity';
import { AuditEntry } from '../audit/audit-entry.entity';
import { Workspace } from '../workspaces/workspace.entity';
import { ApiKey } from './api-key.entity';
import { CreateApiKeyArgs, CreatedApiKey, RevokeApiKeyArgs } from './api-key.inputs';
import { API_KEYS_LISTED, type ApiKeyService } from './api-key.service';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  constructor(private readonly apiKeys: ApiKeyService) {}

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
}

/**
 * AuditEntry.actorApiKey: the acting key of an entry, from the entry's workspace. The keys of a
 * page of entries are read in one query (a loader per request and workspace).
 */
@Resolver(() => AuditEntry)
export class AuditEntryApiKeyResolver {
  private readonly loaders = new WeakMap<AuthContext, Map<string, DataLoader<string, ApiKey | null>>>();

  constructor(private readonly service: ApiKeyService) {}

  @FieldResolver(() => ApiKey, { nullable: true, description: 'An API key acting, when no user did.' })
  actorApiKey(@Root() entry: AuditEntry, @Ctx() ctx: AuthContext): Promise<ApiKey | null> | null {
    return entry.actorApiKeyId ? this.loaderFor(ctx, entry.workspaceId).load(entry.actorApiKeyId) : null;
  }

  private loaderFor(ctx: AuthContext, workspaceId: string): DataLoader<string, ApiKey | null> {
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
    return loader;
  }
}
