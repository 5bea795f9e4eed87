import type { GraphQLRequest } from '@apollo/server';
import { ErrorCode } from '@tally/shared';
import { BREAK, type DocumentNode, GraphQLError, visit } from 'graphql';

/** C0 control characters except tab, line feed and carriage return (NUL among them). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/**
 * A UTF-16 surrogate without its other half: not a character at all. JSON may carry one
 * ("\ud800"); it cannot be written as UTF-8, and validators that encode their input throw on it
 * (validator's isEmail: "URI malformed", which was a 500).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string holds a control character no text field needs, or a broken character. */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text) || LONE_SURROGATE.test(text);
}

/** Whether a string, or any key or string nested in a JSON value, holds a control character. */
export function holdsControlCharacter(value: unknown): boolean {
  if (typeof value === 'string') return hasControlCharacter(value);
  if (Array.isArray(value)) return value.some(holdsControlCharacter);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([key, nested]) => hasControlCharacter(key) || holdsControlCharacter(nested));
  }
  return false;
}

/**
 * What follows the name of the input refused for a control character, in GraphQL ("Variable
 * $filter …") and on the REST endpoints ("The filter …") alike.
 */
export const CONTROL_CHARACTER_REFUSAL =
  'contains a control character or an unpaired surrogate. Text may hold tabs and line breaks, but no other control characters.';

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

/**
 * What a name (a team's, a person's) may not hold beyond the rule above: names are printed on one
 * line of an email, so every control character (tab, line feed and carriage return too; DEL; the
 * C1 controls, NEL among them), the Unicode line and paragraph separators, and the bidirectional
 * embeddings, overrides and isolates that reorder how the text around them displays.
 */
const NOT_IN_A_NAME = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const NOT_IN_A_NAME_ALL = new RegExp(NOT_IN_A_NAME.source, 'gu');

/** The BAD_USER_INPUT message for a name that is not fit (field `name`). */
export const SINGLE_LINE_NAME = 'A name must be one line of text: no tabs, line breaks or other control characters.';

/** Whether `name` is fit to be a name: one line, no control or direction-changing characters. */
export function isSingleLineName(name: string): boolean {
  return !NOT_IN_A_NAME.test(name) && !LONE_SURROGATE.test(name);
}

/**
 * A stored name as it may go onto one line of an email: whatever a name may not hold (rows from
 * before the rule) becomes a space, runs of spaces become one, and a lone surrogate becomes U+FFFD.
 */
export function singleLineName(name: string): string {
  return name
    .replace(NOT_IN_A_NAME_ALL, ' ')
    .replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD')
    .replace(/\s+/g, ' ')
    .trim();
}
