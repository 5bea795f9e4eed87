import type { GraphQLRequest } from '@apollo/server';
import { ErrorCode } from '@tally/shared';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type GraphQLSchema,
  type ValidationRule,
  getOperationAST,
  getVariableValues,
} from 'graphql';
import depthLimit from 'graphql-depth-limit';
import {
  type ComplexityEstimator,
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
} from 'graphql-query-complexity';

export const MAX_DEPTH = 10;
export const MAX_COMPLEXITY = 5_000;
/**
 * Selections per operation, fragments expanded (Apollo's `maxRecursiveSelections`, and the
 * cost estimator's node limit). Far above any real operation: the cost limit refuses much less.
 */
export const MAX_SELECTIONS = 10_000;
/** Lexical tokens per document, checked while parsing, before any validation runs. */
export const MAX_TOKENS = 20_000;

export const depthRule: ValidationRule = depthLimit(MAX_DEPTH);

/**
 * What a mutation costs when it declares no `complexity` of its own: a write, not a field read
 * from memory. At most MAX_COMPLEXITY / MUTATION_COMPLEXITY (100) mutations run per operation,
 * so an alias fan cannot turn one request into thousands of writes and audit entries.
 */
export const MUTATION_COMPLEXITY = 50;

/** How many variable sets per document keep their computed cost. */
const COSTS_PER_DOCUMENT = 64;

/**
 * Cost limit: each field costs 1 unless it declares `complexity` in its extensions (list
 * fields multiply by their page size). Checked before execution. Apollo hands repeated
 * queries the same parsed document, so the cost is computed once per document and set of
 * variables, not on every request (walking the document costs more than answering it).
 */
export function createCostCheck(schema: GraphQLSchema) {
  // A number, or why the document could not be priced.
  const costs = new WeakMap<DocumentNode, Map<string, number | string>>();
  const price = createPricer(schema);
  const refuse = (message: string, extensions: Record<string, unknown> = {}): GraphQLError =>
    new GraphQLError(message, {
      extensions: { code: ErrorCode.BAD_USER_INPUT, ...extensions, http: { status: 400 } },
    });
  return (request: GraphQLRequest, document: DocumentNode): void => {
    const key = `${request.operationName ?? ''}\u0000${request.variables ? JSON.stringify(request.variables) : ''}`;
    let known = costs.get(document);
    let complexity = known?.get(key);
    if (complexity === undefined) {
      try {
        complexity = price(request, document);
      } catch (error) {
        // Invalid variables: execution refuses them next, with BAD_USER_INPUT and a clear message.
        if (!variablesCoerce(schema, request, document)) return;
        // Anything else (a document too big to walk, …) fails closed: what cannot be priced never runs.
        complexity = error instanceof GraphQLError ? error.message : 'the estimator failed.';
      }
      if (!known) {
        known = new Map();
        costs.set(document, known);
      }
      if (known.size < COSTS_PER_DOCUMENT) known.set(key, complexity);
    }
    if (typeof complexity === 'string') {
      throw refuse(`This query cannot be priced, so it is not run: ${complexity}`, { maxComplexity: MAX_COMPLEXITY });
    }
    if (complexity > MAX_COMPLEXITY) {
      throw refuse(
        `This query costs ${complexity}, more than the limit of ${MAX_COMPLEXITY}. Ask for fewer fields or smaller pages.`,
        { complexity, maxComplexity: MAX_COMPLEXITY },
      );
    }
  };
}

/** What an operation costs (throws when it cannot be priced); the cost check's estimate, uncached. */
export function createPricer(schema: GraphQLSchema) {
  const mutationType = schema.getMutationType();
  const estimators: ComplexityEstimator[] = [
    fieldExtensionsEstimator(),
    ({ type, childComplexity }) => (type === mutationType ? MUTATION_COMPLEXITY + childComplexity : undefined),
    simpleEstimator({ defaultComplexity: 1 }),
  ];
  return (request: Pick<GraphQLRequest, 'operationName' | 'variables'>, document: DocumentNode): number =>
    getComplexity({
      schema,
      query: document,
      operationName: request.operationName ?? undefined,
      variables: request.variables ?? {},
      estimators,
      maxQueryNodes: MAX_SELECTIONS,
      // For estimators that look into a field's selection (analytics-cost.ts).
      context: { fragments: fragmentsOf(document) },
    });
}

/** The document's fragments by name. */
function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** Whether the request's variables coerce to the selected operation's variable types. */
function variablesCoerce(schema: GraphQLSchema, request: GraphQLRequest, document: DocumentNode): boolean {
  const operation = getOperationAST(document, request.operationName ?? undefined);
  if (!operation) return true;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, {
    maxErrors: 1,
  });
  return coerced.errors === undefined;
}
