import { Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Authenticated, PublicToPeople } from '../../graphql/auth';
import { CredentialMutation } from '../../graphql/credential-rule';
import type { RequestContext } from '../../graphql/context';
import type { AccountService, Session } from './account.service';
import { AuthPayload, LogInArgs, SignUpArgs } from './account.types';
import { User } from './user.entity';

function toPayload(ctx: RequestContext, session: Session): AuthPayload {
  ctx.sessionCookie.set(session.refreshToken, session.refreshExpiresAt);
  return { accessToken: session.accessToken, user: session.user };
}

@Resolver()
export class AccountResolver {
  constructor(private readonly accounts: AccountService) {}

  @Query(() => User, { nullable: true })
  @Authenticated()
  me(@Ctx() ctx: RequestContext): Promise<User | null> | null {
    return ctx.principal?.kind === 'user' ? this.accounts.findUser(ctx.principal.userId) : null;
  }

  @Mutation(() => AuthPayload)
  @PublicToPeople('creates an account; rate limited per address')
  @CredentialMutation()
  async signUp(@Args(() => SignUpArgs) args: SignUpArgs, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return toPayload(ctx, await this.accounts.signUp(args, ctx.ip));
  }

  @Mutation(() => AuthPayload)
  @PublicToPeople('exchanges a password for a session; rate limited')
  @CredentialMutation()
  async logIn(@Args(() => LogInArgs) args: LogInArgs, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return toPayload(ctx, await this.accounts.logIn(args, ctx.ip));
  }

  @Mutation(() => AuthPayload)
  @PublicToPeople('authenticated by the httpOnly refresh cookie instead of a bearer token')
  @CredentialMutation()
  async refreshSession(@Ctx() ctx: RequestContext): Promise<AuthPayload> {
    try {
      return toPayload(ctx, await this.accounts.refresh(ctx.sessionCookie.read()));
    } catch (error) {
      ctx.sessionCookie.clear();
      throw error;
    }
  }

  @Mutation(() => Boolean)
  @PublicToPeople('ends the session of the refresh cookie, if any')
  async logOut(@Ctx() ctx: RequestContext): Promise<boolean> {
    await this.accounts.logOut(ctx.sessionCookie.read());
    ctx.sessionCookie.clear();
    return true;
  }
}
