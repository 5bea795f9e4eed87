import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { ErrorLink } from '@apollo/client/link/error';
import { from, switchMap, throwError } from 'rxjs';
import type { SessionStore } from './session/session-store';
import { isUnauthenticated } from './graphql-errors';

export const GRAPHQL_ENDPOINT = '/graphql';

/**
 * Operations that never carry the access token and never trigger a refresh: they work with
 * the refresh cookie (or with no credential at all). An UNAUTHENTICATED from logIn means
 * "invalid email or password", not "your token expired"; logOut must reach the server even
 * when the access token has already expired. The password reset works with the emailed token alone.
 */
const CREDENTIAL_OPERATIONS: ReadonlySet<string> = new Set([
  'SignUp',
  'LogIn',
  'RefreshSession',
  'LogOut',
  'RequestPasswordReset',
  'ResetPassword',
]);

function isCredentialOperation(operation: ApolloLink.Operation): boolean {
  return operation.operationName !== undefined && CREDENTIAL_OPERATIONS.has(operation.operationName);
}

/** Copies string headers from an operation's (untyped) context, leaving any Authorization out. */
function headersWithoutAuthorization(headers: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (headers !== null && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string' && name.toLowerCase() !== 'authorization') result[name] = value;
    }
  }
  return result;
}

export function createApolloClient(session: SessionStore): ApolloClient {
  /** The token each operation was last sent with, to tell a stale token from a rejected one. */
  const sentTokens = new WeakMap<ApolloLink.Operation, string | null>();
  /** Operations already retried once after a refresh. */
  const retried = new WeakSet<ApolloLink.Operation>();

  const authLink = new ApolloLink((operation, forward) => {
    const token = isCredentialOperation(operation) ? null : session.getAccessToken();
    sentTokens.set(operation, token);
    operation.setContext((context: ApolloLink.OperationContext) => {
      const headers = headersWithoutAuthorization(context.headers);
      if (token !== null) headers.Authorization = `Bearer ${token}`;
      return { headers };
    });
    return forward(operation);
  });

  const refreshLink = new ErrorLink(({ error, operation, forward }) => {
    if (isCredentialOperation(operation) || retried.has(operation) || !isUnauthenticated(error)) return;
    retried.add(operation);
    const sentToken = sentTokens.get(operation) ?? null;
    return from(session.recover(operation.client, sentToken)).pipe(
      // When the refresh fails the session has ended (the app shows the login page) and the
      // original error goes on to the caller.
      switchMap((recovered) => (recovered ? forward(operation) : throwError(() => error))),
    );
  });

  const httpLink = new HttpLink({
    uri: GRAPHQL_ENDPOINT,
    credentials: 'same-origin',
    // The server runs Apollo's CSRF prevention; POSTs are JSON anyway, this covers the rest.
    headers: { 'apollo-require-preflight': 'true' },
  });

  return new ApolloClient({
    link: ApolloLink.from([refreshLink, authLink, httpLink]),
    cache: new InMemoryCache({
      typePolicies: {
        // A workspace's analytics over one range and filter has no id: each page's query (the
        // Overview's numbers, its breakdown, a tool's series) adds its own fields to the same
        // object. Merged, not replaced, or one query's answer would drop another's and send it
        // to the network again (the Overview asked twice once the breakdown shared its page).
        Analytics: { merge: true },
      },
    }),
  });
}
