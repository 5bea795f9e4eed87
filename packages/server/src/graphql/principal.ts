import { forbidden, unauthenticated } from '../platform/errors';
import type { Principal, RequestContext } from './context';

/** The caller of a field the auth checker has admitted: present for every declared rule but `public`. */
export function principalOf(ctx: RequestContext): Principal {
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
