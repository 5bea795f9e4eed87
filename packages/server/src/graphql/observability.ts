import { performance } from 'node:perf_hooks';
import type { GraphQLRequestContextDidResolveOperation, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { GraphQLError, Kind, type OperationDefinitionNode } from 'graphql';
import { addLogBindings } from '../platform/logger';
import type { Metrics } from '../platform/metrics/metrics';
import type { RequestContext, RequestObservation } from './context';
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
 * Plain functions, called from the one request listener (plugins.ts).
 */
export function createObservability(metrics: Metrics | undefined) {
  return {
    /** A request refused before GraphQL ran: the context could not be built, or the request was malformed. */
    refused(error: unknown): void {
      metrics?.graphqlRefused(codeOf(error));
    },
    started(contextValue: RequestObservation): void {
      contextValue.graphqlStartedAt = performance.now();
      contextValue.operationResolved = false;
    },
    resolved({
      operation,
      operationName,
      request,
      contextValue,
    }: Pick<
      GraphQLRequestContextDidResolveOperation<RequestContext>,
      'operation' | 'operationName' | 'request' | 'contextValue'
    >): void {
      contextValue.operationResolved = true;
      let workspaceId: string | undefined;
      if (operation && contextValue.principal?.kind !== 'apiKey') {
        workspaceId = workspaceArgument(operation, request.variables);
      }
      if (operationName) {
        addLogBindings(
          contextValue.log,
          workspaceId === undefined
            ? { operationName: operationName.slice(0, 100) }
            : { operationName: operationName.slice(0, 100), workspaceId: workspaceId.slice(0, 100) },
        );
      } else if (workspaceId !== undefined) {
        addLogBindings(contextValue.log, { workspaceId: workspaceId.slice(0, 100) });
      }
    },
    sent({
      operationName,
      errors,
      contextValue,
    }: Pick<GraphQLRequestContextWillSendResponse<RequestContext>, 'operationName' | 'errors' | 'contextValue'>): void {
      if (!metrics) return;
      const first = errors?.[0];
      metrics.graphqlRequest(
        contextValue.operationResolved ? operationName : undefined,
        first === undefined ? null : codeOf(first),
        performance.now() - contextValue.graphqlStartedAt,
      );
    },
  };
}
