import { LIMITS } from '@tally/shared';
import { MaxLength } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Mutation, Resolver } from 'type-graphql';
import { PublicToPeople, UsersOnly } from '../../auth/declarations';
import { CredentialMutation } from '../../auth/credential-mutation';
import { principalOf, userIdOf } from '../../auth/principal';
import type { AccountsContext } from './account-context';
import type { AccountChangeService } from './account-changes.service';
import { User } from './user.entity';

// Edge guards only (oversized input is refused before any work); the rules and their messages
// live in AccountChangeService.
@ArgsType()
class UpdateProfileArgs {
  @Field(() => String)
  @MaxLength(LIMITS.userNameMaxLength + 64)
  name!: string;
}

@ArgsType()
class ChangePasswordArgs {
  @Field(() => String)
  @MaxLength(LIMITS.passwordMaxLength)
  currentPassword!: string;

  @Field(() => String)
  @MaxLength(LIMITS.passwordMaxLength)
  newPassword!: string;
}

@ArgsType()
class RequestEmailChangeArgs {
  @Field(() => String)
  @MaxLength(LIMITS.emailMaxLength + 64)
  newEmail!: string;

  @Field(() => String)
  @MaxLength(LIMITS.passwordMaxLength)
  currentPassword!: string;
}

@ArgsType()
class ConfirmEmailChangeArgs {
  @Field(() => String)
  @MaxLength(100)
  token!: string;
}

@ArgsType()
class DeleteAccountArgs {
  @Field(() => String)
  @MaxLength(LIMITS.passwordMaxLength)
  password!: string;
}

const PEOPLE_ONLY = 'API keys have no account to change.';

/** The account page's mutations: a person changing their own account. */
@Resolver()
export class AccountChangesResolver {
  constructor(private readonly changes: AccountChangeService) {}

  @Mutation(() => User, { description: "Changes the signed-in user's name." })
  @UsersOnly()
  updateProfile(@Args(() => UpdateProfileArgs) args: UpdateProfileArgs, @Ctx() ctx: AccountsContext): Promise<User> {
    return this.changes.updateName(userIdOf(principalOf(ctx), PEOPLE_ONLY), args.name);
  }

  @Mutation(() => Boolean, {
    description: 'Sets a new password when the current one is right; every other session of the account ends.',
  })
  @UsersOnly()
  @CredentialMutation()
  async changePassword(
    @Args(() => ChangePasswordArgs) args: ChangePasswordArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<boolean> {
    await this.changes.changePassword(principalOf(ctx), ctx.ip, args.currentPassword, args.newPassword);
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      'Emails a confirmation link to the new address (the current password required); the email changes only when the link is opened.',
  })
  @UsersOnly()
  @CredentialMutation()
  async requestEmailChange(
    @Args(() => RequestEmailChangeArgs) args: RequestEmailChangeArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<boolean> {
    await this.changes.requestEmailChange(principalOf(ctx), ctx.ip, args.newEmail, args.currentPassword);
    return true;
  }

  @Mutation(() => Boolean, { description: "Sets the new email of an email change with the link's token." })
  @PublicToPeople('the emailed token is the credential: 256 random bits, single use, 24 hours')
  @CredentialMutation()
  async confirmEmailChange(@Args(() => ConfirmEmailChangeArgs) args: ConfirmEmailChangeArgs): Promise<boolean> {
    await this.changes.confirmEmailChange(args.token);
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      'Deletes the signed-in account (its password required). LAST_OWNER, naming the teams, while it is the last owner of a team.',
  })
  @UsersOnly()
  @CredentialMutation()
  async deleteAccount(
    @Args(() => DeleteAccountArgs) args: DeleteAccountArgs,
    @Ctx() ctx: AccountsContext,
  ): Promise<boolean> {
    await this.changes.deleteAccount(principalOf(ctx), ctx.ip, args.password);
    ctx.sessionCookie.clear();
    return true;
  }
}
