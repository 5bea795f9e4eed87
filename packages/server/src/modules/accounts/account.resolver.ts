import { Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Authenticated, PublicToPeople } from '../../auth/declarations';
import { CredentialMutation } from '../../auth/credential-mutation';
import type { AccountsContext } from './account-context';
import type { AccountService, Session } from './account.service';
import { AuthPayload, LogInArgs, SignUpArgs } from './account.types';
import { User } from './user.entity';

function toPayload(ctx: AccountsContext, session: Session): AuthPayload {
  ctx.sessionCookie.set(session.refreshToken, session.refreshExpiresAt);
  return { accessToken: session.accessToken, user: session.user };
}

@Resolver()
export class AccountResolver {
  constructor(private readonly accounts: AccountService) {}

  @Query(() => User, { nullable: true })
  @Authenticated()
  me(@Ctx() ctx: AccountsContext): Promise<User | null> | null {
    return ctx.principal?.kind === 'user' ? this.accounts.findUser(ctx.principal.userId) : null;
  }

  @Mutation(() => AuthPayload)
  @PublicToPeople('creates an account; rate limited per address')
  @CredentialMutation()
  async signUp(@Args(() => SignUpArgs) args: SignUpArgs, @Ctx() ctx: AccountsContext): Promise<AuthPayload> {
    return toPayload(ctx, await this.accounts.signUp(args, ctx.ip));
  }

  @Mutation(() => AuthPayload)
  @PublicToPeople('exchanges a password for a session; rate limited')
  @CredentialMutation()
  async logIn(@Args(() => LogInArgs) args: LogInArgs, @Ctx() ctx: AccountsContext): Promise<AuthPayload> {
    return toPayload(ctx, await this.accounts.logIn(args, ctx.ip));
  }

  @Mutation(() => AuthPayload)
  @PublicToPeople('authenticated by the httpOnly refresh cookie instead of a bearer token')
  @CredentialMutation()
  async refreshSession(@Ctx() ctx: AccountsContext): Promise<AuthPayload> {
    try {
      return toPayload(ctx, await this.accounts.refresh(ctx.sessionCookie.read()));
    } catch (error) {
      ctx.sessionCookie.clear();
      throw error;
    }
  }

  @Mutation(() => Boolean)
  @PublicToPeople('ends the session of the refresh cookie, if any')
  async logOut(@Ctx() ctx: AccountsContext): Promise<boolean> {
    await this.accounts.logOut(ctx.sessionCookie.read());
    ctx.sessionCookie.clear();
    return true;
  }
}
