import type { ApiKeyRole, MemberRole, Scope } from '@tally/shared';
import { forbidden, unauthenticated } from '../platform/errors';

/** Who is calling: a signed-in user, or an API key of one workspace. */
export type Principal =
  | {
      kind: 'user';
      userId: string;
      /** The login family of the access token (a password change keeps it and ends the others). */
      familyId?: string;
    }
  | {
      kind: 'apiKey';
      apiKeyId: string;
      workspaceId: string;
      role: ApiKeyRole;
      /** What the key holds in its workspace: no member role, its role's scopes. */
      access: WorkspaceAccess;
      /** The per-minute limits the key works under, read with the key (no lookup per request). */
      limits: KeyLimits;
    };

/** An API key's per-minute limits: events it may send, analytics queries it may run. */
export interface KeyLimits {
  readonly eventsPerMinute: number;
  readonly queriesPerMinute: number;
}

/** What the caller holds in one workspace. `role` is null for an API key. */
export interface WorkspaceAccess {
  role: MemberRole | null;
  scopes: ReadonlySet<Scope>;
}

/** The caller of a field the auth checker has admitted: present for every declared rule but `public`. */
export function principalOf(ctx: { readonly principal: Principal | null }): Principal {
  if (!ctx.principal) throw unauthenticated();
  return ctx.principal;
}

/**
 * The acting user's id. Operations on people (members, invitations) are declared with scopes
 * no API key holds; this keeps a key out even if a declaration were ever widened.
 */
export function userIdOf(actor: Principal, refusal: string): string {
  if (actor.kind !== 'user') throw forbidden(refusal);
  return actor.userId;
}
