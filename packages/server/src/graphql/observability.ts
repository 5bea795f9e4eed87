import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, Kind, type OperationDefinitionNode } from 'graphql';
import { addLogBindings } from '../platform/logger';
import type { Metrics } from '../platform/metrics/metrics';
import type { RequestContext } from './context';
import { appErrorOf } from './errors';

/**
 * The workspace of the operation's first top-level field that names one: its `workspaceId`
 * argument, or the `id` of `workspace(id:)` (every dashboard query reads through that field).
 */
function workspaceArgument(
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): string | undefined {
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    const wanted = selection.name.value === 'workspace' ? 'id' : 'workspaceId';
    for (const argument of selection.arguments ?? []) {
      if (argument.name.value !== wanted) continue;
      const value = argument.value;
      if (value.kind === Kind.STRING) return value.value;
      if (value.kind === Kind.VARIABLE) {
        const given = variables?.[value.name.value];
        return typeof given === 'string' ? given : undefined;
      }
    }
  }
  return undefined;
}

/** An error's code; one without any is an unexpected error (masked as INTERNAL_SERVER_ERROR). */
function codeOf(error: unknown): unknown {
  return (
    appErrorOf(error)?.code ??
    (error instanceof GraphQLError ? error.extensions['code'] : undefined) ??
    'INTERNAL_SERVER_ERROR'
  );
}

/**
 * What every GraphQL request tells its logs and /metrics:
 * - its log lines ("request completed" included) carry `operationName` and, for a person, the
 *   workspace its top-level field names (`workspaceId`, or `workspace(id:)`); an API key's
 *   workspace and the principal are bound when it authenticates (see logger.ts);
 * - `tally_graphql_requests_total{operation,outcome}` and its duration histogram, with operation
 *   names bounded by Metrics.operationLabel; requests refused before GraphQL ran (a bad
 *   credential, a CSRF refusal) count under operation `__none`.
 * A handful of assignments per request: nothing here walks the response or runs per field.
 */
export function observabilityPlugin(metrics: Metrics | undefined): ApolloServerPlugin<RequestContext> {
  return {
    async contextCreationDidFail({ error }) {
      metrics?.graphqlRefused(codeOf(error));
    },
    async invalidRequestWasReceived({ error }) {
      metrics?.graphqlRefused(codeOf(error));
    },
    async requestDidStart(): Promise<GraphQLRequestListener<RequestContext>> {
      const started = performance.now();
      let resolved = false;
      return {
        async didResolveOperation({ operation, operationName, request, contextValue }) {
          resolved = true;
          const fields: Record<string, string> = {};
          if (operationName) fields['operationName'] = operationName.slice(0, 100);
          if (operation && contextValue.principal?.kind !== 'apiKey') {
            const workspaceId = workspaceArgument(operation, request.variables);
            if (workspaceId !== undefined) fields['workspaceId'] = workspaceId.slice(0, 100);
          }
          addLogBindings(contextValue.log, fields);
        },
        async willSendResponse({ operationName, errors }) {
          if (!metrics) return;
          const first = errors?.[0];
          metrics.graphqlRequest(
            resolved ? operationName : undefined,
            first === undefined ? null : codeOf(first),
            performance.now() - started,
          );
        },
      };
    },
  };
}
