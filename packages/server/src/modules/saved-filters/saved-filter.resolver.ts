import { Scope } from '@tally/shared';
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import type { AccountsContext } from '../accounts/account-context';
import { principalOf } from '../../auth/principal';
import { User } from '../accounts/user.entity';
import { Workspace } from '../workspaces/workspace.entity';
import { SavedFilter, SavedFilterInput } from './saved-filter.entity';
import { SAVED_FILTERS_PER_WORKSPACE, type SavedFilterService } from './saved-filter.service';

@Resolver(() => SavedFilter)
export class SavedFilterResolver {
  constructor(private readonly filters: SavedFilterService) {}

  @Mutation(() => SavedFilter)
  @RequiresScopes(Scope.FILTERS_MANAGE)
  createSavedFilter(
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('input', () => SavedFilterInput) input: SavedFilterInput,
    @Ctx() ctx: AccountsContext,
  ): Promise<SavedFilter> {
    return this.filters.create(workspaceId, input, principalOf(ctx));
  }

  @Mutation(() => SavedFilter)
  @RequiresScopes(Scope.FILTERS_MANAGE)
  updateSavedFilter(
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('savedFilterId', () => ID) savedFilterId: string,
    @Arg('input', () => SavedFilterInput) input: SavedFilterInput,
    @Ctx() ctx: AccountsContext,
  ): Promise<SavedFilter> {
    return this.filters.update(workspaceId, savedFilterId, input, principalOf(ctx));
  }

  @Mutation(() => Boolean)
  @RequiresScopes(Scope.FILTERS_MANAGE)
  async deleteSavedFilter(
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('savedFilterId', () => ID) savedFilterId: string,
    @Ctx() ctx: AccountsContext,
  ): Promise<boolean> {
    await this.filters.delete(workspaceId, savedFilterId, principalOf(ctx));
    return true;
  }

  @FieldResolver(() => User, { nullable: true })
  createdBy(@Root() filter: SavedFilter, @Ctx() ctx: AccountsContext): Promise<User | null> | null {
    return filter.createdById ? ctx.loaders.users.load(filter.createdById) : null;
  }
}

@Resolver(() => Workspace)
export class WorkspaceSavedFiltersResolver {
  constructor(private readonly service: SavedFilterService) {}

  @FieldResolver(() => [SavedFilter], {
    complexity: ({ childComplexity }) => 1 + SAVED_FILTERS_PER_WORKSPACE * childComplexity,
  })
  @RequiresScopes(Scope.ANALYTICS_VIEW)
  savedFilters(@Root() workspace: Workspace): Promise<SavedFilter[]> {
    return this.service.list(workspace.id);
  }
}
