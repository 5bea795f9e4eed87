import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { AccountsContext } from '../accounts/account-context';
import { User } from '../accounts/user.entity';
import { AuditEntry } from './audit-entry.entity';

@Resolver(() => AuditEntry)
export class AuditEntryResolver {
  @FieldResolver(() => User, { nullable: true })
  actor(@Root() entry: AuditEntry, @Ctx() ctx: AccountsContext): Promise<User | null> | null {
    return entry.actorUserId ? ctx.loaders.users.load(entry.actorUserId) : null;
  }
}
