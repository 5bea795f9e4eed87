import { MaxLength } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Mutation, Resolver } from 'type-graphql';
import { PublicToPeople } from '../../auth/declarations';
import type { AuthContext } from '../../auth/context';
import { CredentialMutation } from '../../auth/credential-mutation';
import type { PasswordResetService } from './password-reset.service';

@ArgsType()
class RequestPasswordResetArgs {
  @Field(() => String)
  @MaxLength(320)
  email!: string;
}

@ArgsType()
class ResetPasswordArgs {
  @Field(() => String)
  @MaxLength(100)
  token!: string;

  @Field(() => String)
  @MaxLength(1024)
  password!: string;
}

@Resolver()
export class PasswordResetResolver {
  constructor(private readonly resets: PasswordResetService) {}

  @Mutation(() => Boolean, {
    description: 'Emails a reset link when the email has an account; the answer is the same either way.',
  })
  @PublicToPeople('for people who cannot log in; the same answer for every email, rate limited')
  @CredentialMutation()
  async requestPasswordReset(
    @Args(() => RequestPasswordResetArgs) args: RequestPasswordResetArgs,
    @Ctx() ctx: AuthContext,
  ): Promise<boolean> {
    await this.resets.request(args.email, ctx.ip);
    return true;
  }

  @Mutation(() => Boolean, {
    description: 'Sets a new password with the emailed token and ends every session of the account.',
  })
  @PublicToPeople('the emailed token is the credential: 256 random bits, single use, one hour')
  @CredentialMutation()
  async resetPassword(@Args(() => ResetPasswordArgs) args: ResetPasswordArgs): Promise<boolean> {
    await this.resets.reset(args.token, args.password);
    return true;
  }
}
