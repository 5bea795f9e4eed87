import { ApiKeyStatus, Scope } from '@tally/shared';
import { Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../graphql/auth';
import type { RequestContext } from '../../graphql/context';
import { User } from '../accounts/user.entity';
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
    @Ctx() ctx: RequestContext,
  ): Promise<CreatedApiKey> {
    return this.apiKeys.create(args.workspaceId, ctx.principal, args.input);
  }

  @Mutation(() => ApiKey)
  @RequiresScopes(Scope.KEYS_MANAGE)
  revokeApiKey(@Args(() => RevokeApiKeyArgs) args: RevokeApiKeyArgs, @Ctx() ctx: RequestContext): Promise<ApiKey> {
    return this.apiKeys.revoke(args.workspaceId, args.apiKeyId, ctx.principal);
  }

  @FieldResolver(() => ApiKeyStatus)
  status(@Root() key: ApiKey): ApiKeyStatus {
    return this.apiKeys.statusOf(key);
  }

  @FieldResolver(() => User, { nullable: true })
  createdBy(@Root() key: ApiKey, @Ctx() ctx: RequestContext): Promise<User | null> | null {
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
