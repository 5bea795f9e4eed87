import type { ApolloClient } from '@apollo/client';
import { WorkspacesDocument } from '../graphql/generated';
import { preloadOverview } from '../modules/analytics/overview-preload';
import type { RoutePreloads } from './router';
import type { SessionStore } from './session/session-store';

/**
 * The queries a route's page will ask first, started by the route when it matches (the router
 * calls these alongside loading the page's code): on a cold load the answers then come back
 * while the code loads instead of after it. Each waits for the session the page load restores.
 */
export function createRoutePreloads(client: ApolloClient, session: SessionStore): RoutePreloads {
  return {
    workspaces() {
      void session.restore(client).then((signedIn) => {
        // The layout asks the same query cache-first: it finds this answer, or joins its request.
        if (signedIn) client.query({ query: WorkspacesDocument }).catch(() => undefined);
      });
    },
    overview(workspaceId, search) {
      preloadOverview(client, session, workspaceId, search);
    },
  };
}
