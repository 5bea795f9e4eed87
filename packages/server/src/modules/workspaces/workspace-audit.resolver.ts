import { Scope } from '@tally/shared';
import { Arg, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../auth/declarations';
import { AuditEntryConnection } from '../audit/audit-entry.entity';
import { AUDIT_PAGE, type AuditService } from '../audit/audit.service';
import { Workspace } from './workspace.entity';

/** Workspace.auditLog: the audit module records and pages; the workspace shows its log. */
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
