import type { AuthCheckerFn } from 'type-graphql';
import { AppError, notFound, unauthenticated } from '../errors';
import { Workspace } from '../modules/workspaces/workspace.entity';
import type { RequestContext } from './context';
import { ErrorCode, isScope } from '@tally/shared';

/**
 * The one auth checker. Empty `required` means "authenticated"; otherwise the caller must hold
 * every listed scope in the field's workspace, which comes from the parent Workspace or from
 * the `workspaceId` argument. Scopes are resolved once per request and workspace by the
 * context, so this is a map lookup for every row after the first.
 */
export const authChecker: AuthCheckerFn<RequestContext> = async ({ root, args, context }, required) => {
  if (!context.principal) throw unauthenticated();
  if (required.length === 0) return true;

  const workspaceId =
    root instanceof Workspace ? root.id : typeof args['workspaceId'] === 'string' ? args['workspaceId'] : undefined;
  if (workspaceId === undefined) {
    // A declaration error in the code, not the caller's fault: never grant by accident.
    throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'This field declares scopes but has no workspace.');
  }

  const access = await context.access(workspaceId);
  if (!access) throw notFound('Workspace');
  for (const scope of required) {
    if (!isScope(scope) || !access.scopes.has(scope)) {
      throw new AppError(ErrorCode.FORBIDDEN, `This needs the ${scope} scope in this workspace.`, {
        requiredScopes: required,
      });
    }
  }
  return true;
};
