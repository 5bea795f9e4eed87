import { Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Authenticated, Public } from '../../graphql/auth';
import { CredentialMutation } from '../../graphql/credential-rule';
import type { RequestContext } from '../../graphql/context';
import { forbidden } from '../../errors';
import type { AccountService, Session } from './account.service';
import { AuthPayload, LogInArgs, SignUpArgs } from './account.types';
import { User } from './user.entity';

/** Account mutations are for people in a browser; an API key is refused them. */
function refuseApiKeys(ctx: RequestContext): void {
  if (ctx.principal?.kind === 'apiKey') throw forbidden('API keys cannot use account operations.');
}

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
  @Public('creates an account; rate limited per address')
  @CredentialMutation()
  async signUp(@Args(() => SignUpArgs) args: SignUpArgs, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    refuseApiKeys(ctx);
    return toPayload(ctx, await this.accounts.signUp(args, ctx.ip));
  }

  @Mutation(() => AuthPayload)
  @Public('exchanges a password for a session; rate limited')
  @CredentialMutation()
  async logIn(@Args(() => LogInArgs) args: LogInArgs, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    refuseApiKeys(ctx);
    return toPayload(ctx, await this.accounts.logIn(args, ctx.ip));
  }

  @Mutation(() => AuthPayload)
  @Public('authenticated by the httpOnly refresh cookie instead of a bearer token')
  @CredentialMutation()
  async refreshSession(@Ctx() ctx: RequestContext): Promise<AuthPayload> {
    refuseApiKeys(ctx);
    try {
      return toPayload(ctx, await this.accounts.refresh(ctx.sessionCookie.read()));
    } catch (error) {
      ctx.sessionCookie.clear();
      throw error;
    }
  }

  @Mutation(() => Boolean)
  @Public('ends the session of the refresh cookie, if any')
  async logOut(@Ctx() ctx: RequestContext): Promise<boolean> {
    refuseApiKeys(ctx);
    await this.accounts.logOut(ctx.sessionCookie.read());
    ctx.sessionCookie.clear();
    return true;
  }
}
