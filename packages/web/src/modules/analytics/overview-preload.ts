import type { ApolloClient } from '@apollo/client';
import type { SessionStore } from '../../app/session/session-store';
import { AnalyticsOverviewDocument } from '../../graphql/generated';
import { analyticsVariablesAt } from './analytics-params';

/** How long a preloaded answer counts as the page's own first fetch. */
const FRESH_MS = 10_000;

let preloaded: { key: string; at: number } | null = null;

const keyOf = (variables: unknown) => JSON.stringify(variables);

/**
 * Starts the Overview's query for the address it is about to open, as soon as the session is
 * there: the route calls this when it matches, so the answer travels while the page's code
 * loads, rather than after it (the first view's chart waited for both, one after the other).
 * The page then takes the answer from the cache without asking again (`takePreloaded`).
 */
export function preloadOverview(
  client: ApolloClient,
  session: SessionStore,
  workspaceId: string,
  search: URLSearchParams,
): void {
  void session.restore(client).then((signedIn) => {
    if (!signedIn) return;
    const variables = analyticsVariablesAt(workspaceId, search);
    preloaded = { key: keyOf(variables), at: Date.now() };
    // A failure (no such workspace, no analytics access) is the page's to show when it asks.
    client.query({ query: AnalyticsOverviewDocument, variables, fetchPolicy: 'network-only' }).catch(() => {
      preloaded = null;
    });
  });
}

/**
 * Whether the Overview's query with these variables was just preloaded (once: a later visit
 * asks the network again, as the page always has).
 */
export function takePreloaded(variables: unknown): boolean {
  const fresh = preloaded !== null && preloaded.key === keyOf(variables) && Date.now() - preloaded.at < FRESH_MS;
  preloaded = null;
  return fresh;
}
