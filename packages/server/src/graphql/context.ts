import type { ApiKeyRole, MemberRole, Scope } from '@tally/shared';
import type DataLoader from 'dataloader';
import type { FastifyBaseLogger } from 'fastify';
import type { User } from '../modules/accounts/user.entity';
import type { AnalyticsReads } from '../modules/analytics/analytics-reads';

export type Principal =
  | { kind: 'user'; userId: string }
  | {
      kind: 'apiKey';
      apiKeyId: string;
      workspaceId: string;
      role: ApiKeyRole;
      /** What the key holds in its workspace: no member role, its role's scopes. */
      access: WorkspaceAccess;
    };

/** What the caller holds in one workspace. `role` is null for an API key. */
export interface WorkspaceAccess {
  role: MemberRole | null;
  scopes: ReadonlySet<Scope>;
}

/** The refresh-token cookie of the dashboard, read and written through the HTTP layer. */
export interface SessionCookie {
  read(): string | undefined;
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface RequestContext {
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
  sessionCookie: SessionCookie;
  /** Per-request batching loaders, created on first use. */
  loaders: Loaders;
  /** This request's analytics limiter and per-caller query count, created on first use. */
  analyticsReads: AnalyticsReads;
}

export interface Loaders {
  readonly users: DataLoader<string, User | null>;
}
