import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { ErrorCode } from '@tally/shared';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  NoSchemaIntrospectionCustomRule,
  validate,
} from 'graphql';
import { UNAVAILABLE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../platform/db/unavailable';
import type { RequestContext } from './context';
import { createControlCharacterCheck } from './control-characters';
import { isExpectedError } from './errors';
import { createCostCheck } from './limits';

/** Whether a document asks for __schema or __type; remembered per parsed document. */
function createIntrospectionDetector(schema: GraphQLSchema) {
  const seen = new WeakMap<DocumentNode, boolean>();
  return (document: DocumentNode): boolean => {
    let asks = seen.get(document);
    if (asks === undefined) {
      asks = validate(schema, document, [NoSchemaIntrospectionCustomRule]).length > 0;
      seen.set(document, asks);
    }
    return asks;
  };
}

/**
 * Tally's request policy, as one Apollo plugin with one listener shared by every request:
 * - introspection is open in development; in production it needs a credential (any user or
 *   key), so Sandbox and Studio work with a key in the headers and anonymous callers learn nothing;
 * - no control characters in string input (control-characters.ts);
 * - the cost limit (limits.ts);
 * - every unexpected error is logged once, with the request id, before formatError masks it;
 * - a database that cannot be reached answers 503 with Retry-After (formatError gives the
 *   errors the code UNAVAILABLE), as the REST endpoints do, and is logged as a warning.
 */
export function requestPolicyPlugin(options: {
  schema: GraphQLSchema;
  production: boolean;
}): ApolloServerPlugin<RequestContext> {
  const checkCost = createCostCheck(options.schema);
  const checkControlCharacters = createControlCharacterCheck();
  const asksIntrospection = createIntrospectionDetector(options.schema);
  const listener: GraphQLRequestListener<RequestContext> = {
    async didResolveOperation({ request, document, contextValue }) {
      if (options.production && !contextValue.principal && asksIntrospection(document)) {
        throw new GraphQLError('Introspection needs a credential: send a user token or an API key.', {
          extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
        });
      }
      checkControlCharacters(request, document);
      checkCost(request, document);
    },
    async didEncounterErrors({ contextValue, errors, operationName, response }) {
      let unavailable = false;
      for (const error of errors) {
        if (isExpectedError(error)) continue;
        if (isDatabaseUnavailable(error)) {
          if (!unavailable)
            contextValue.log.warn({ err: error.originalError ?? error, operationName }, 'database unavailable');
          unavailable = true;
          continue;
        }
        contextValue.log.error(
          { err: error.originalError ?? error, operationName, path: error.path },
          'unhandled GraphQL error',
        );
      }
      if (unavailable) {
        response.http.status = 503;
        response.http.headers.set('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      }
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
