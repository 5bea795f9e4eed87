import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '@tally/shared';
import { GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import type { RequestContext } from './context';

export const MAX_DEPTH = 10;
export const MAX_COMPLEXITY = 5_000;
/** Upper bound of every list argument (`first`, `limit`). */
export const MAX_PAGE_SIZE = 200;

export const depthRule: ValidationRule = depthLimit(MAX_DEPTH);

/**
 * Cost limit: each field costs 1 unless it declares `complexity` in its extensions (list
 * fields multiply by their page size). Computed once per operation, before execution.
 */
export function complexityPlugin(schema: GraphQLSchema): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let complexity: number;
          try {
            complexity = getComplexity({
              schema,
              query: document,
              operationName: request.operationName ?? undefined,
              variables: request.variables ?? {},
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // Invalid variables: execution refuses them next, with BAD_USER_INPUT and a clear message.
            return;
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
        },
      };
    },
  };
}
