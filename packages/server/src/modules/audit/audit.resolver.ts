import { Scope } from '@tally/shared';
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import type { AccountsContext } from '../accounts/account-context';
import { ApiKey } from '../api-keys/api-key.entity';
import { User } from '../accounts/user.entity';
import { Workspace } from '../workspaces/workspace.entity';
import { AuditEntry, AuditEntryConnection } from './audit-entry.entity';
import { AUDIT_PAGE, type AuditService } from './audit.service';

@Resolver(() => Workspace)
export class WorkspaceAuditResolver {
  constructor(private readonly audit: AuditService) {}

  @FieldResolver(() => AuditEntryConnection, {
    description: 'Newest first; `first` defaults to 20 and is capped at 100.',
    complexity: ({ args, childComplexity }) =>
      1 + Math.min(Number(args['first'] ?? AUDIT_PAGE.default) || AUDIT_PAGE.default, AUDIT_PAGE.max) * childComplexity,
  })
  @RequiresScopes(Scope.AUDIT_READ)
  auditLog(
    @Root() workspace: Workspace,
    @Arg('first', () => Int, { nullable: true }) first: number | undefined,
    @Arg('after', () => String, { nullable: true }) after: string | undefined,
  ): Promise<AuditEntryConnection> {
    return this.audit.page(workspace.id, first, after);
  }
}

@Resolver(() => AuditEntry)
export class AuditEntryResolver {
  @FieldResolver(() => User, { nullable: true })
  actor(@Root() entry: AuditEntry, @Ctx() ctx: AccountsContext): Promise<User | null> | null {
    return entry.actorUserId ? ctx.loaders.users.load(entry.actorUserId) : null;
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'An API key acting, when no user did.' })
  actorApiKey(@Root() entry: AuditEntry): ApiKey | null {
    return entry.actorApiKey ?? null;
  }
}
