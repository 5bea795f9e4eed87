import type { GraphQLRequest } from '@apollo/server';
import { ErrorCode } from '@tally/shared';
import { type DocumentNode, GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

export const MAX_DEPTH = 10;
export const MAX_COMPLEXITY = 5_000;

export const depthRule: ValidationRule = depthLimit(MAX_DEPTH);

/** How many variable sets per document keep their computed cost. */
const COSTS_PER_DOCUMENT = 64;

/**
 * Cost limit: each field costs 1 unless it declares `complexity` in its extensions (list
 * fields multiply by their page size). Checked before execution. Apollo hands repeated
 * queries the same parsed document, so the cost is computed once per document and set of
 * variables, not on every request (walking the document costs more than answering it).
 */
export function createCostCheck(schema: GraphQLSchema) {
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  const estimators = [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];
  return (request: GraphQLRequest, document: DocumentNode): void => {
    const key = `${request.operationName ?? ''}\u0000${request.variables ? JSON.stringify(request.variables) : ''}`;
    let known = costs.get(document);
    let complexity = known?.get(key);
    if (complexity === undefined) {
      try {
        complexity = getComplexity({
          schema,
          query: document,
          operationName: request.operationName ?? undefined,
          variables: request.variables ?? {},
          estimators,
        });
      } catch {
        // Invalid variables: execution refuses them next, with BAD_USER_INPUT and a clear message.
        return;
      }
      if (!known) {
        known = new Map();
        costs.set(document, known);
      }
      if (known.size < COSTS_PER_DOCUMENT) known.set(key, complexity);
    }
    if (complexity > MAX_COMPLEXITY) {
      throw new GraphQLError(
        `This query costs ${complexity}, more than the limit of ${MAX_COMPLEXITY}. Ask for fewer fields or smaller pages.`,
        {
          extensions: {
            code: ErrorCode.BAD_USER_INPUT,
            complexity,
            maxComplexity: MAX_COMPLEXITY,
            http: { status: 400 },
          },
        },
      );
    }
  };
}
