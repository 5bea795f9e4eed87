import type { GraphQLRequest } from '@apollo/server';
import { ErrorCode } from '@tally/shared';
import { BREAK, type DocumentNode, GraphQLError, visit } from 'graphql';
import { CONTROL_CHARACTER_REFUSAL, hasControlCharacter } from '../platform/text';

/** How deep a variable's value may nest; no input type of the schema comes near it. */
export const MAX_VARIABLE_DEPTH = 32;

type VariableProblem = 'control' | 'depth';

/**
 * A control character in a key or string nested in `value`, or nesting past MAX_VARIABLE_DEPTH:
 * the walk never recurses deeper than that (5,000 levels in 10 KB overflowed the stack: a 500).
 */
function problemIn(value: unknown, level: number): VariableProblem | undefined {
  if (typeof value === 'string') return hasControlCharacter(value) ? 'control' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (level > MAX_VARIABLE_DEPTH) return 'depth';
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = problemIn(item, level + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const [key, nested] of Object.entries(value)) {
    if (hasControlCharacter(key)) return 'control';
    const problem = problemIn(nested, level + 1);
    if (problem) return problem;
  }
  return undefined;
}

/** The first variable whose name or value has a problem, and which. */
function variableProblem(variables: Record<string, unknown>): [string, VariableProblem] | undefined {
  for (const [name, value] of Object.entries(variables)) {
    const problem = hasControlCharacter(name) ? 'control' : problemIn(value, 1);
    if (problem) return [name, problem];
  }
  return undefined;
}

/** Whether any string literal of the document (arguments, defaults, directives) holds one. */
function literalWithControl(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (!hasControlCharacter(node.value)) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * Refuses control characters in string input (and variables nested past MAX_VARIABLE_DEPTH),
 * once per request and before execution: a NUL
 * byte would otherwise reach PostgreSQL (which rejects it with a 500), and other C0 controls
 * have no business in names, emails or descriptions. Literal strings are checked once per
 * parsed document (Apollo hands repeated queries the same document); variables on every request.
 */
export function createControlCharacterCheck() {
  const literals = new WeakMap<DocumentNode, boolean>();
  const refuse = (where: string, problem: VariableProblem = 'control'): GraphQLError =>
    new GraphQLError(
      problem === 'depth'
        ? `${where} nests deeper than ${MAX_VARIABLE_DEPTH} levels.`
        : `${where} ${CONTROL_CHARACTER_REFUSAL}`,
      { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } },
    );
  return (request: GraphQLRequest, document: DocumentNode): void => {
    let literalHolds = literals.get(document);
    if (literalHolds === undefined) {
      literalHolds = literalWithControl(document);
      literals.set(document, literalHolds);
    }
    if (literalHolds) throw refuse('A string in the query');
    if (request.variables) {
      const found = variableProblem(request.variables);
      if (found) throw refuse(GRAPHQL_NAME.test(found[0]) ? `Variable $${found[0]}` : 'A variable', found[1]);
    }
  };
}
