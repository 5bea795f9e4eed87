import type { ApolloClient } from '@apollo/client';
import { useEffect, useMemo, type ReactNode } from 'react';
import { LogOutDocument, type AuthPayloadFieldsFragment } from '../../graphql/shell.generated';
import { SessionContext, type SessionContextValue } from './session-context';
import type { SessionStore } from './session-store';

interface SessionProviderProps {
  store: SessionStore;
  client: ApolloClient;
  children: ReactNode;
}

export function SessionProvider({ store, client, children }: SessionProviderProps) {
  // Restore the session from the refresh cookie once on load (the store shares one request,
  // so StrictMode's second effect run does not send a second refreshSession).
  useEffect(() => {
    void store.restore(client);
  }, [store, client]);

  // Another tab may sign in as someone else (the refresh cookie is shared): when a refresh
  // brings back a different user, nothing cached for the previous one may stay on screen.
  useEffect(() => {
    let lastUserId: string | null = null;
    return store.subscribe(() => {
      const state = store.getState();
      if (state.status !== 'authenticated') return;
      if (lastUserId !== null && lastUserId !== state.user.id) void client.resetStore().catch(() => undefined);
      lastUserId = state.user.id;
    });
  }, [store, client]);

  const value = useMemo<SessionContextValue>(
    () => ({
      store,
      startSession: (payload: AuthPayloadFieldsFragment) => {
        store.start(payload);
      },
      logOut: async () => {
        let reached = true;
        try {
          await client.mutate({ mutation: LogOutDocument });
        } catch {
          reached = false;
        }
        // The other tabs of this browser log out too, at once.
        store.endEverywhere();
        return reached;
      },
      forgetSession: () => {
        store.endEverywhere();
      },
    }),
    [store, client],
  );

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
