import type { MemberRole } from '@tally/shared';
import DataLoader from 'dataloader';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, WorkspaceAccess } from '../auth/principal';
import { type RoleSource, memberAccess } from '../auth/workspace-access';
import type { Loaders, SessionCookie } from '../modules/accounts/account-context';
import type { User } from '../modules/accounts/user.entity';
import type { AnalyticsReads } from '../modules/analytics/analytics-reads';
import type { RequestContext } from './context';

export interface ContextDeps {
  /** A user's role in a workspace (the members module's MembershipService). */
  memberships: RoleSource;
  /** Builds the refresh cookie jar of a reply. */
  sessionCookie(request: FastifyRequest, reply: FastifyReply): SessionCookie;
  /** Users by id, in the order asked, null where none exists. */
  loadUsers(ids: readonly string[]): Promise<Array<User | null>>;
  /** A request's analytics limiter and query count (modules/analytics/analytics-reads.ts). */
  analyticsReads(principal: Principal | null): AnalyticsReads;
}

class RequestLoaders implements Loaders {
  readonly users: DataLoader<string, User | null>;

  constructor(deps: ContextDeps) {
    this.users = new DataLoader((ids: readonly string[]) => deps.loadUsers(ids));
  }
}

/**
 * The per-request context. A class, so that the one allocation per request carries no
 * closures; loaders and the cookie jar are made only by the fields that use them.
 */
export class TallyContext implements RequestContext {
  // Set by the request plugin as Apollo runs the request (observability.ts).
  graphqlStartedAt = 0;
  operationResolved = false;
  // Made on first use: most key requests never need either.
  private pendingAccess: Map<string, Promise<WorkspaceAccess | null>> | undefined;
  private knownAccess: Map<string, WorkspaceAccess | null> | undefined;
  private requestLoaders: RequestLoaders | undefined;
  private requestAnalyticsReads: AnalyticsReads | undefined;

  constructor(
    private readonly deps: ContextDeps,
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    readonly principal: Principal | null,
  ) {}

  get requestId(): string {
    return this.request.id;
  }

  get log(): FastifyBaseLogger {
    return this.request.log;
  }

  get ip(): string {
    return this.request.ip;
  }

  get sessionCookie(): SessionCookie {
    return this.deps.sessionCookie(this.request, this.reply);
  }

  get loaders(): Loaders {
    this.requestLoaders ??= new RequestLoaders(this.deps);
    return this.requestLoaders;
  }

  get analyticsReads(): AnalyticsReads {
    this.requestAnalyticsReads ??= this.deps.analyticsReads(this.principal);
    return this.requestAnalyticsReads;
  }

  accessNow(workspaceId: string): WorkspaceAccess | null | undefined {
    const principal = this.principal;
    if (!principal) return null;
    if (principal.kind === 'apiKey') {
      return workspaceId === principal.workspaceId ? principal.access : null;
    }
    return this.knownAccess?.get(workspaceId);
  }

  access(workspaceId: string): Promise<WorkspaceAccess | null> {
    const known = this.accessNow(workspaceId);
    if (known !== undefined) return Promise.resolve(known);
    this.pendingAccess ??= new Map();
    let pending = this.pendingAccess.get(workspaceId);
    if (!pending) {
      pending = this.lookUpRole(workspaceId);
      this.pendingAccess.set(workspaceId, pending);
    }
    return pending;
  }

  primeAccess(workspaceId: string, role: MemberRole): void {
    if (this.principal?.kind !== 'user') return;
    this.knownAccess ??= new Map();
    if (!this.knownAccess.has(workspaceId)) this.knownAccess.set(workspaceId, memberAccess(role));
  }

  /** A user's role, read from the database once per request and workspace. */
  private async lookUpRole(workspaceId: string): Promise<WorkspaceAccess | null> {
    if (this.principal?.kind !== 'user') return null;
    const role = await this.deps.memberships.roleOf(this.principal.userId, workspaceId);
    const access = role ? memberAccess(role) : null;
    this.knownAccess ??= new Map();
    this.knownAccess.set(workspaceId, access);
    return access;
  }
}
