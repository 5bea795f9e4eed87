import type { AccountsContext } from '../modules/accounts/account-context';
import type { AnalyticsContext } from '../modules/analytics/analytics-reads';

/** What observability.ts keeps about one request while it runs, on its context (no closure per request). */
export interface RequestObservation {
  /** performance.now() when Apollo started on the request. */
  graphqlStartedAt: number;
  /** Whether the operation was resolved (the document parsed and validated). */
  operationResolved: boolean;
}

/**
 * The context of a GraphQL request: the caller (auth/context.ts) and what the domains' resolvers
 * ask of a request, each in its own slice, and what the transport notes while the request runs
 * (observability.ts). TallyContext (context-factory.ts) builds it.
 */
export interface RequestContext extends AccountsContext, AnalyticsContext, RequestObservation {}
