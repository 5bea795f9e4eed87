import { ErrorCode, type Scope } from '@tally/shared';
import { type GraphQLFieldResolver, type GraphQLSchema, defaultFieldResolver, isObjectType } from 'graphql';
import { AppError, forbidden, notFound, unauthenticated } from '../platform/errors';
import type { AuthContext } from './context';
import { AUTH_EXTENSION, type AuthDeclaration } from './declarations';
import type { WorkspaceAccess } from './principal';

const KEYS_REFUSED = 'API keys cannot do this: it is for signed-in people only.';

/**
 * The workspace a parent object belongs to, when it is one (the workspaces module answers for
 * its Workspace type); undefined otherwise. Auth knows no domain type.
 */
export type WorkspaceOfRoot = (root: unknown) => string | undefined;

function assertScopes(access: WorkspaceAccess | null, required: readonly Scope[]): void {
  if (!access) throw notFound('Workspace');
  for (const scope of required) {
    if (!access.scopes.has(scope)) {
      throw new AppError(ErrorCode.FORBIDDEN, `This needs the ${scope} scope in this workspace.`, {
        requiredScopes: required,
      });
    }
  }
}

/**
 * The one auth checker. `authenticated` needs any principal; `user` a signed-in person (an API
 * key is FORBIDDEN), as does a `public` field marked for people; `scopes` needs every listed scope
 * in the field's workspace, which comes from the parent Workspace or from the `workspaceId`
 * argument. It answers synchronously whenever the caller's access there is already known (an
 * API key always; a user after the first lookup of the request), so a guarded field costs a
 * set lookup, not a promise.
 */
export function checkAccess(
  declaration: AuthDeclaration,
  root: unknown,
  args: Record<string, unknown>,
  context: AuthContext,
  workspaceOfRoot: WorkspaceOfRoot,
): void | Promise<void> {
  if (declaration.kind === 'public') {
    if (declaration.people && context.principal?.kind === 'apiKey') throw forbidden(KEYS_REFUSED);
    return;
  }
  if (!context.principal) throw unauthenticated();
  if (declaration.kind === 'authenticated') return;
  if (declaration.kind === 'user') {
    if (context.principal.kind !== 'user') throw forbidden(KEYS_REFUSED);
    return;
  }

  const workspaceId =
    workspaceOfRoot(root) ?? (typeof args['workspaceId'] === 'string' ? args['workspaceId'] : undefined);
  if (workspaceId === undefined) {
    // A declaration error in the code, not the caller's fault: never grant by accident.
    throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'This field declares scopes but has no workspace.');
  }
  const known = context.accessNow(workspaceId);
  if (known !== undefined) return assertScopes(known, declaration.scopes);
  return context.access(workspaceId).then((access) => assertScopes(access, declaration.scopes));
}

/**
 * Puts the checker in front of every field that declares `@RequiresScopes` or
 * `@Authenticated`, once, when the schema is built.
 */
export function enforceDeclarations(schema: GraphQLSchema, workspaceOfRoot: WorkspaceOfRoot): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const declaration = field.extensions[AUTH_EXTENSION] as AuthDeclaration | undefined;
      if (!declaration || (declaration.kind === 'public' && !declaration.people)) continue;
      const resolve: GraphQLFieldResolver<unknown, AuthContext> = field.resolve ?? defaultFieldResolver;
      field.resolve = (root, args: Record<string, unknown>, context: AuthContext, info) => {
        const pending = checkAccess(declaration, root, args, context, workspaceOfRoot);
        return pending ? pending.then(() => resolve(root, args, context, info)) : resolve(root, args, context, info);
      };
    }
  }
  return schema;
}
