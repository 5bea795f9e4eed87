import { ALL_SCOPES, MemberRole, Scope } from '@tally/shared';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { Authenticated, Public, RequiresScopes, UsersOnly } from '../../auth/declarations';
import type { WorkspaceAccess } from '../../auth/principal';
import type { AuthContext } from '../../auth/context';
import { principalOf } from '../../auth/principal';
import { badInput, notFound } from '../../platform/errors';
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

/** Held scopes in the shared table's order. */
function scopeList(access: WorkspaceAccess | null): string[] {
  return access ? ALL_SCOPES.filter((scope) => access.scopes.has(scope)) : [];
}

@Resolver(() => Workspace)
export class WorkspaceResolver {
  constructor(private readonly service: WorkspaceService) {}

  @Query(() => [Workspace], { description: "A user's personal workspace and teams; an API key's own workspace." })
  @Authenticated()
  async workspaces(@Ctx() ctx: AuthContext): Promise<Workspace[]> {
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
  workspace(
    @Arg('id', () => ID, { nullable: true }) id: string | undefined,
    @Ctx() ctx: AuthContext,
  ): Workspace | Promise<Workspace> {
    const principal = ctx.principal;
    if (!principal) throw notFound('Workspace');
    if (principal.kind === 'apiKey') {
      if (id != null && id !== principal.workspaceId) throw notFound('Workspace');
      // The hot path of every key request: answered from the cache without a promise when it can be.
      return this.service.peekLive(principal.workspaceId) ?? this.liveOrNotFound(principal.workspaceId);
    }
    if (id == null) throw badInput('Pass the id of the workspace.', { field: 'id' });
    return this.forUser(principal.userId, id, ctx);
  }

  private async liveOrNotFound(workspaceId: string): Promise<Workspace> {
    const workspace = await this.service.findLive(workspaceId);
    if (!workspace) throw notFound('Workspace');
    return workspace;
  }

  private async forUser(userId: string, workspaceId: string, ctx: AuthContext): Promise<Workspace> {
    const found = await this.service.findForUser(userId, workspaceId);
    if (!found) throw notFound('Workspace');
    ctx.primeAccess(found.workspace.id, found.role);
    return found.workspace;
  }

  @Mutation(() => Workspace)
  @UsersOnly()
  async createTeam(@Arg('name', () => String) name: string, @Ctx() ctx: AuthContext): Promise<Workspace> {
    const team = await this.service.createTeam(name, principalOf(ctx));
    ctx.primeAccess(team.id, MemberRole.OWNER);
    return team;
  }

  @Mutation(() => Boolean)
  @RequiresScopes(Scope.WORKSPACE_DELETE)
  async deleteTeam(
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('confirmName', () => String) confirmName: string,
    @Ctx() ctx: AuthContext,
  ): Promise<boolean> {
    await this.service.deleteTeam(workspaceId, confirmName, principalOf(ctx));
    return true;
  }

  @Mutation(() => Workspace)
  @RequiresScopes(Scope.WORKSPACE_MANAGE)
  renameWorkspace(
    @Args(() => RenameWorkspaceArgs) args: RenameWorkspaceArgs,
    @Ctx() ctx: AuthContext,
  ): Promise<Workspace> {
    return this.service.rename(args.workspaceId, args.name, ctx.principal);
  }

  @FieldResolver(() => MemberRole, {
    nullable: true,
    description: "The caller's role here; null when the caller is an API key.",
  })
  @Public('describes the caller, reachable only through a workspace the caller may see')
  viewerRole(@Root() workspace: Workspace, @Ctx() ctx: AuthContext): MemberRole | null | Promise<MemberRole | null> {
    const known = ctx.accessNow(workspace.id);
    if (known !== undefined) return known?.role ?? null;
    return ctx.access(workspace.id).then((access) => access?.role ?? null);
  }

  @FieldResolver(() => [String], { description: 'Every scope the caller holds in this workspace.' })
  @Public('describes the caller, reachable only through a workspace the caller may see')
  viewerScopes(@Root() workspace: Workspace, @Ctx() ctx: AuthContext): string[] | Promise<string[]> {
    const known = ctx.accessNow(workspace.id);
    if (known !== undefined) return scopeList(known);
    return ctx.access(workspace.id).then(scopeList);
  }
}
