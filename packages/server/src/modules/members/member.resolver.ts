import { MemberRole, Scope } from '@tally/shared';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { RequiresScopes, UsersOnly } from '../../auth/declarations';
import type { AccountsContext } from '../accounts/account-context';
import { principalOf } from '../../auth/principal';
import { User } from '../accounts/user.entity';
import { Workspace } from '../workspaces/workspace.entity';
import { Membership } from '../workspaces/member.entity';
import type { MembershipService } from './membership.service';

@ArgsType()
class ChangeMemberRoleArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => ID)
  userId!: string;

  @Field(() => MemberRole)
  role!: MemberRole;
}

@ArgsType()
class RemoveMemberArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => ID)
  userId!: string;
}

@Resolver(() => Membership)
export class MemberResolver {
  constructor(private readonly members: MembershipService) {}

  @Mutation(() => Membership)
  @RequiresScopes(Scope.MEMBERS_MANAGE)
  changeMemberRole(
    @Args(() => ChangeMemberRoleArgs) args: ChangeMemberRoleArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<Membership> {
    return this.members.changeRole(args.workspaceId, args.userId, args.role, principalOf(ctx));
  }

  @Mutation(() => Boolean)
  @RequiresScopes(Scope.MEMBERS_MANAGE)
  async removeMember(
    @Args(() => RemoveMemberArgs) args: RemoveMemberArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<boolean> {
    await this.members.remove(args.workspaceId, args.userId, principalOf(ctx));
    return true;
  }

  @Mutation(() => Boolean)
  @UsersOnly()
  async leaveTeam(@Arg('workspaceId', () => ID) workspaceId: string, @Ctx() ctx: AccountsContext): Promise<boolean> {
    await this.members.leave(workspaceId, principalOf(ctx));
    return true;
  }

  @FieldResolver(() => User)
  async user(@Root() member: Membership, @Ctx() ctx: AccountsContext): Promise<User> {
    const user = await ctx.loaders.users.load(member.userId);
    if (!user) throw new Error(`member ${member.userId} has no user`);
    return user;
  }
}

@Resolver(() => Workspace)
export class WorkspaceMembersResolver {
  constructor(private readonly service: MembershipService) {}

  // A team's members are few; priced as a list of up to 100.
  @FieldResolver(() => [Membership], { complexity: ({ childComplexity }) => 1 + 100 * childComplexity })
  @RequiresScopes(Scope.MEMBERS_READ)
  members(@Root() workspace: Workspace): Promise<Membership[]> {
    return this.service.list(workspace.id);
  }
}
