import type { AccountsContext } from '../modules/accounts/account-context';
import type { AnalyticsContext } from '../modules/analytics/analytics-reads';
import type { RequestObservation } from './observability';

/**
 * The context of a GraphQL request: the caller (auth/context.ts) and what the domains' resolvers
 * ask of a request, each in its own slice, and what the transport notes while the request runs
 * (observability.ts). TallyContext (context-factory.ts) builds it.
 */
export interface RequestContext extends AccountsContext, AnalyticsContext, RequestObservation {}
