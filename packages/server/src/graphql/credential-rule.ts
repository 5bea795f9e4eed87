import { ErrorCode } from '@tally/shared';
import {
  type ASTVisitor,
  type FieldNode,
  GraphQLError,
  type GraphQLObjectType,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { isCredentialField } from '../auth/credential-mutation';

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
