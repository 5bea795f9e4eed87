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
import type { Metrics } from '../platform/metrics/metrics';
import { createObservability } from './observability';

/** What every GraphQL response says to caches: it is the caller's own data, never to be stored. */
const NO_STORE = 'no-store';

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
 * Tally's one Apollo plugin, with one listener shared by every request (its per-request state is
 * on the context), so a request costs Apollo one listener's hooks and no allocation here:
 * - introspection is open in development; in production it needs a credential (any user or
 *   key), so Sandbox and Studio work with a key in the headers and anonymous callers learn nothing;
 * - no control characters in string input (control-characters.ts);
 * - the cost limit (limits.ts);
 * - every unexpected error is logged once, with the request id, before formatError masks it;
 * - a database that cannot be reached answers 503 with Retry-After (formatError gives the
 *   errors the code UNAVAILABLE), as the REST endpoints do, and is logged as a warning;
 * - the operation's name and workspace in the logs, requests by operation in /metrics
 *   (observability.ts);
 * - `Cache-Control: no-store` on every response, as Apollo's cache control plugin says for
 *   answers without cache hints (Tally declares none): that plugin is off (apollo.ts), as its
 *   per-field hook costs more than a small request's own resolvers.
 */
export function requestPlugin(options: {
  schema: GraphQLSchema;
  production: boolean;
  metrics?: Metrics;
}): ApolloServerPlugin<RequestContext> {
  const checkCost = createCostCheck(options.schema);
  const checkControlCharacters = createControlCharacterCheck();
  const asksIntrospection = createIntrospectionDetector(options.schema);
  const observability = createObservability(options.metrics);
  const listener: GraphQLRequestListener<RequestContext> = {
    async didResolveOperation(requestContext) {
      // First, so that a refused operation is logged and counted under its name too.
      observability.resolved(requestContext);
      const { request, document, contextValue } = requestContext;
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
    async willSendResponse(requestContext) {
      const headers = requestContext.response.http.headers;
      if (!headers.has('cache-control')) headers.set('cache-control', NO_STORE);
      observability.sent(requestContext);
    },
  };
  return {
    async contextCreationDidFail({ error }) {
      observability.refused(error);
    },
    async invalidRequestWasReceived({ error }) {
      observability.refused(error);
    },
    async requestDidStart({ contextValue }) {
      observability.started(contextValue);
      return listener;
    },
  };
}
