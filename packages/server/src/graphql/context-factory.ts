import { scopesForMemberRole, type MemberRole, type Scope } from '@tally/shared';
import DataLoader from 'dataloader';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../modules/accounts/user.entity';
import type { MembershipService } from '../modules/members/membership.service';
import type { Loaders, Principal, RequestContext, SessionCookie, WorkspaceAccess } from './context';

export interface ContextDeps {
  memberships: MembershipService;
  /** Builds the refresh cookie jar of a reply. */
  sessionCookie(request: FastifyRequest, reply: FastifyReply): SessionCookie;
  /** Users by id, in the order asked, null where none exists. */
  loadUsers(ids: readonly string[]): Promise<Array<User | null>>;
}

function createLoaders(deps: ContextDeps): Loaders {
  let users: DataLoader<string, User | null> | undefined;
  return {
    get users() {
      users ??= new DataLoader((ids: readonly string[]) => deps.loadUsers(ids));
      return users;
    },
  };
}

/** One map of scope sets per member role, built once: access checks share these sets. */
const MEMBER_SCOPE_SETS = new Map<MemberRole, ReadonlySet<Scope>>();
function memberAccess(role: MemberRole): WorkspaceAccess {
  let scopes = MEMBER_SCOPE_SETS.get(role);
  if (!scopes) {
    scopes = new Set<Scope>(scopesForMemberRole(role));
    MEMBER_SCOPE_SETS.set(role, scopes);
  }
  return { role, scopes };
}

export function createRequestContext(
  deps: ContextDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  principal: Principal | null,
): RequestContext {
  const cache = new Map<string, Promise<WorkspaceAccess | null>>();

  const resolve = async (workspaceId: string): Promise<WorkspaceAccess | null> => {
    if (!principal) return null;
    if (principal.kind === 'apiKey') {
      return workspaceId === principal.workspaceId ? { role: null, scopes: principal.scopes } : null;
    }
    const role = await deps.memberships.roleOf(principal.userId, workspaceId);
    return role ? memberAccess(role) : null;
  };

  return {
    requestId: request.id,
    log: request.log,
    ip: request.ip,
    principal,
    access(workspaceId) {
      let pending = cache.get(workspaceId);
      if (!pending) {
        pending = resolve(workspaceId);
        cache.set(workspaceId, pending);
      }
      return pending;
    },
    primeAccess(workspaceId, role) {
      if (principal?.kind === 'user' && !cache.has(workspaceId)) {
        cache.set(workspaceId, Promise.resolve(memberAccess(role)));
      }
    },
    sessionCookie: deps.sessionCookie(request, reply),
    loaders: createLoaders(deps),
  };
}
