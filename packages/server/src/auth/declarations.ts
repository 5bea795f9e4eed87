import type { Scope } from '@tally/shared';
import { Directive, Extensions } from 'type-graphql';

/**
 * Declaring what a field needs, once. Each helper writes the matching directive into the SDL
 * (`@requiresScopes`, `@authenticated`) and keeps the same declaration in the field's
 * extensions, from which `enforceDeclarations` (auth-checker.ts) wraps the field's resolver
 * with the one auth checker. So the enforced rule and the published rule cannot differ, and
 * the deny-by-default test reads the same declarations.
 */

export type AuthDeclaration =
  | { kind: 'scopes'; scopes: readonly Scope[] }
  | { kind: 'authenticated' }
  /** A signed-in person: an API key is FORBIDDEN (a leaked key cannot join or leave teams). */
  | { kind: 'user' }
  /** Open to anyone; `people` refuses API keys (account operations are for people). */
  | { kind: 'public'; reason: string; people?: true };

export const AUTH_EXTENSION = 'tallyAuth';

type MemberDecorator = (prototype: object, propertyKey: string | symbol, descriptor?: PropertyDescriptor) => void;
type TypeGraphqlMemberDecorator = PropertyDecorator & MethodDecorator;

function combine(...decorators: TypeGraphqlMemberDecorator[]): MemberDecorator {
  return (prototype, propertyKey, descriptor) => {
    for (const decorate of decorators) {
      if (descriptor) decorate(prototype, propertyKey, descriptor);
      else decorate(prototype, propertyKey);
    }
  };
}

function declare(declaration: AuthDeclaration): TypeGraphqlMemberDecorator {
  return Extensions({ [AUTH_EXTENSION]: declaration });
}

/** The caller must hold every scope in the field's workspace (from the parent or `workspaceId`). */
export function RequiresScopes(...scopes: [Scope, ...Scope[]]): MemberDecorator {
  return combine(
    Directive(`@requiresScopes(scopes: [${JSON.stringify(scopes)}])`),
    declare({ kind: 'scopes', scopes }),
  );
}

/** Any valid credential: a signed-in user or an API key. */
export function Authenticated(): MemberDecorator {
  return combine(Directive('@authenticated'), declare({ kind: 'authenticated' }));
}

/**
 * A signed-in user only; API keys are FORBIDDEN. The SDL says `@authenticated` (the contract's
 * word, and a router in front can read it); the checker also refuses keys.
 */
export function UsersOnly(): MemberDecorator {
  return combine(Directive('@authenticated'), declare({ kind: 'user' }));
}

/** Deliberately open; the reason is kept for review (and shows in the permission snapshot). */
export function Public(reason: string): MemberDecorator {
  return combine(declare({ kind: 'public', reason }));
}

/** Open to anyone without a credential or with a user's, but FORBIDDEN to an API key. */
export function PublicToPeople(reason: string): MemberDecorator {
  return combine(declare({ kind: 'public', reason, people: true }));
}
