import { ErrorCode } from '@tally/shared';
import {
  type ASTVisitor,
  type FieldNode,
  type GraphQLField,
  GraphQLError,
  type GraphQLObjectType,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { Extensions } from 'type-graphql';

/**
 * Credential mutations: those that check a secret or issue a session (signUp, logIn,
 * refreshSession; acceptInvitation and the password reset join by taking the same decorator).
 * One operation may run at most one of them, so aliases cannot turn one request into hundreds
 * of password checks or sessions; and each is priced high in the cost limit (limits.ts reads
 * `complexity` from the field's extensions), as a second line behind the rule.
 */
export const CREDENTIAL_EXTENSION = 'tallyCredential';

/** A fifth of the whole cost limit (MAX_COMPLEXITY in limits.ts). */
export const CREDENTIAL_COMPLEXITY = 1_000;

type MemberDecorator = PropertyDecorator & MethodDecorator;

/** Marks a mutation as a credential mutation: one per operation, and costly. */
export function CredentialMutation(): MemberDecorator {
  return Extensions({ [CREDENTIAL_EXTENSION]: true, complexity: CREDENTIAL_COMPLEXITY });
}

export function isCredentialField(field: GraphQLField<unknown, unknown>): boolean {
  return field.extensions[CREDENTIAL_EXTENSION] === true;
}

/**
 * Validation rule: an operation selecting more than one credential mutation (under aliases,
 * through fragments or inline fragments) is refused before anything runs, with BAD_USER_INPUT.
 * Fields under one response key run once, so they count once.
 */
export function oneCredentialPerOperation(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      const root = context.getSchema().getRootType(operation.operation);
      if (!root) return;
      const found = new Map<string, FieldNode>();
      collectCredentialFields(context, root, operation.selectionSet, found, new Set());
      if (found.size <= 1) return;
      const names = [...new Set([...found.values()].map((node) => node.name.value))].join(', ');
      context.reportError(
        new GraphQLError(`Send one credential operation per request; this one has ${found.size} (${names}).`, {
          nodes: [...found.values()],
          extensions: { code: ErrorCode.BAD_USER_INPUT },
        }),
      );
    },
  };
}

function collectCredentialFields(
  context: ValidationContext,
  root: GraphQLObjectType,
  selectionSet: SelectionSetNode,
  found: Map<string, FieldNode>,
  visitedFragments: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const field = root.getFields()[selection.name.value];
      const responseKey = selection.alias?.value ?? selection.name.value;
      if (field && isCredentialField(field) && !found.has(responseKey)) found.set(responseKey, selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectCredentialFields(context, root, selection.selectionSet, found, visitedFragments);
    } else {
      const name = selection.name.value;
      if (visitedFragments.has(name)) continue;
      visitedFragments.add(name);
      const fragment = context.getFragment(name);
      if (fragment) collectCredentialFields(context, root, fragment.selectionSet, found, visitedFragments);
    }
  }
}
