import { ALL_SCOPES, MemberRole, Scope } from '@tally/shared';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { Authenticated, Public, RequiresScopes } from '../../graphql/auth';
import type { RequestContext } from '../../graphql/context';
import { badInput, notFound } from '../../errors';
import { Workspace } from './workspace.entity';
import type { WorkspaceService } from './workspace.service';

@ArgsType()
class RenameWorkspaceArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => String)
  @MaxLength(500)
  name!: string;
}

@Resolver(() => Workspace)
export class WorkspaceResolver {
  constructor(private readonly service: WorkspaceService) {}

  @Query(() => [Workspace], { description: "A user's personal workspace and teams; an API key's own workspace." })
  @Authenticated()
  async workspaces(@Ctx() ctx: RequestContext): Promise<Workspace[]> {
    const principal = ctx.principal;
    if (!principal) return [];
    if (principal.kind === 'apiKey') {
      const own = await this.service.findLive(principal.workspaceId);
      return own ? [own] : [];
    }
    const rows = await this.service.listForUser(principal.userId);
    for (const row of rows) ctx.primeAccess(row.workspace.id, row.role);
    return rows.map((row) => row.workspace);
  }

  @Query(() => Workspace, {
    nullable: true,
    description: 'An API key may leave id out: it reaches only its own workspace.',
  })
  @Authenticated()
  async workspace(
    @Arg('id', () => ID, { nullable: true }) id: string | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Workspace> {
    const principal = ctx.principal;
    if (!principal) throw notFound('Workspace');
    if (principal.kind === 'apiKey') {
      if (id != null && id !== principal.workspaceId) throw notFound('Workspace');
      const own = await this.service.findLive(principal.workspaceId);
      if (!own) throw notFound('Workspace');
      return own;
    }
    if (id == null) throw badInput('Pass the id of the workspace.', { field: 'id' });
    const found = await this.service.findForUser(principal.userId, id);
    if (!found) throw notFound('Workspace');
    ctx.primeAccess(found.workspace.id, found.role);
    return found.workspace;
  }

  @Mutation(() => Workspace)
  @RequiresScopes(Scope.WORKSPACE_MANAGE)
  renameWorkspace(
    @Args(() => RenameWorkspaceArgs) args: RenameWorkspaceArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<Workspace> {
    return this.service.rename(args.workspaceId, args.name, ctx.principal);
  }

  @FieldResolver(() => MemberRole, {
    nullable: true,
    description: "The caller's role here; null when the caller is an API key.",
  })
  @Public('describes the caller, reachable only through a workspace the caller may see')
  async viewerRole(@Root() workspace: Workspace, @Ctx() ctx: RequestContext): Promise<MemberRole | null> {
    return (await ctx.access(workspace.id))?.role ?? null;
  }

  @FieldResolver(() => [String], { description: 'Every scope the caller holds in this workspace.' })
  @Public('describes the caller, reachable only through a workspace the caller may see')
  async viewerScopes(@Root() workspace: Workspace, @Ctx() ctx: RequestContext): Promise<string[]> {
    const held = (await ctx.access(workspace.id))?.scopes;
    return held ? ALL_SCOPES.filter((scope) => held.has(scope)) : [];
  }
}
