import { InvitationStatus, MemberRole, Scope } from '@tally/shared';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { Public, RequiresScopes, UsersOnly } from '../../auth/declarations';
import type { AccountsContext } from '../accounts/account-context';
import { principalOf } from '../../auth/principal';
import { CredentialMutation } from '../../auth/credential-mutation';
import { User } from '../accounts/user.entity';
import { Workspace } from '../workspaces/workspace.entity';
import { Invitation, InvitationPreview } from './invitation.entity';
import { INVITATIONS_LISTED, type InvitationService } from './invitation.service';

@ArgsType()
class InviteMemberArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => String)
  @MaxLength(320)
  email!: string;

  @Field(() => MemberRole)
  role!: MemberRole;
}

@ArgsType()
class InvitationArgs {
  @Field(() => ID)
  workspaceId!: string;

  @Field(() => ID)
  invitationId!: string;
}

@Resolver(() => Invitation)
export class InvitationResolver {
  constructor(private readonly invitations: InvitationService) {}

  @Mutation(() => Invitation)
  @RequiresScopes(Scope.MEMBERS_MANAGE)
  inviteMember(@Args(() => InviteMemberArgs) args: InviteMemberArgs, @Ctx() ctx: AccountsContext): Promise<Invitation> {
    return this.invitations.invite(args.workspaceId, args.email, args.role, principalOf(ctx));
  }

  @Mutation(() => Invitation)
  @RequiresScopes(Scope.MEMBERS_MANAGE)
  resendInvitation(@Args(() => InvitationArgs) args: InvitationArgs, @Ctx() ctx: AccountsContext): Promise<Invitation> {
    return this.invitations.resend(args.workspaceId, args.invitationId, principalOf(ctx));
  }

  @Mutation(() => Invitation)
  @RequiresScopes(Scope.MEMBERS_MANAGE)
  revokeInvitation(@Args(() => InvitationArgs) args: InvitationArgs, @Ctx() ctx: AccountsContext): Promise<Invitation> {
    return this.invitations.revoke(args.workspaceId, args.invitationId, principalOf(ctx));
  }

  @Mutation(() => Workspace)
  @UsersOnly()
  @CredentialMutation()
  async acceptInvitation(@Arg('token', () => String) token: string, @Ctx() ctx: AccountsContext): Promise<Workspace> {
    const joined = await this.invitations.accept(token, principalOf(ctx));
    ctx.primeAccess(joined.workspace.id, joined.role);
    return joined.workspace;
  }

  @Query(() => InvitationPreview, { nullable: true })
  @Public('an invitation link is its own credential: 256 random bits; shows only what the landing page needs')
  invitationPreview(
    @Arg('token', () => String) token: string,
    @Ctx() ctx: AccountsContext,
  ): Promise<InvitationPreview | null> {
    return this.invitations.preview(token, ctx.principal);
  }

  @FieldResolver(() => User, { nullable: true })
  invitedBy(@Root() invitation: Invitation, @Ctx() ctx: AccountsContext): Promise<User | null> | null {
    return invitation.invitedById ? ctx.loaders.users.load(invitation.invitedById) : null;
  }
}

@Resolver(() => Workspace)
export class WorkspaceInvitationsResolver {
  constructor(private readonly service: InvitationService) {}

  @FieldResolver(() => [Invitation], { complexity: ({ childComplexity }) => 1 + INVITATIONS_LISTED * childComplexity })
  @RequiresScopes(Scope.MEMBERS_MANAGE)
  invitations(
    @Root() workspace: Workspace,
    @Arg('status', () => InvitationStatus, { nullable: true }) status: InvitationStatus | undefined,
  ): Promise<Invitation[]> {
    return this.service.list(workspace.id, status);
  }
}
