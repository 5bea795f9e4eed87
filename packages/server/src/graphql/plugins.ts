import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '@tally/shared';
import { GraphQLError, NoSchemaIntrospectionCustomRule, validate } from 'graphql';
import type { RequestContext } from './context';
import { isExpectedError } from './errors';

/**
 * Introspection is open in development; in production it needs a credential (any user or
 * key), so Sandbox and Studio work with a key in the headers and anonymous callers learn nothing.
 */
export function introspectionGatePlugin(production: boolean): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      if (!production) return {};
      return {
        async didResolveOperation({ contextValue, document, schema }) {
          if (contextValue.principal) return;
          if (validate(schema, document, [NoSchemaIntrospectionCustomRule]).length > 0) {
            throw new GraphQLError('Introspection needs a credential: send a user token or an API key.', {
              extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
            });
          }
        },
      };
    },
  };
}

/** Logs every unexpected error once, with the request id, before it is masked. */
export function errorLoggingPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors, operationName }) {
          for (const error of errors) {
            if (isExpectedError(error)) continue;
            const log = contextValue?.log;
            if (log)
              log.error(
                { err: error.originalError ?? error, operationName, path: error.path },
                'unhandled GraphQL error',
              );
          }
        },
      };
    },
  };
}
