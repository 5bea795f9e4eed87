import type { MemberRole } from '@tally/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Principal, WorkspaceAccess } from './principal';

/**
 * What every resolver's context carries about the caller: who it is and what it holds where.
 * The GraphQL layer's request context (graphql/context.ts) extends it with what the domains
 * add (loaders, the session cookie, the analytics limiter).
 */
export interface AuthContext {
  requestId: string;
  log: FastifyBaseLogger;
  /** The caller's address (behind a proxy only when TRUST_PROXY is set). */
  ip: string;
  principal: Principal | null;
  /**
   * The caller's access to a workspace: resolved once per request and workspace, then a map
   * lookup. Null when the caller has no role there (or the workspace does not exist).
   */
  access(workspaceId: string): Promise<WorkspaceAccess | null>;
  /** The same, when already known without waiting (undefined: not yet known). */
  accessNow(workspaceId: string): WorkspaceAccess | null | undefined;
  /** Seeds the per-request cache from a query that already read the caller's role. */
  primeAccess(workspaceId: string, role: MemberRole): void;
}
