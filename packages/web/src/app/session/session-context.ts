import { createContext, useCallback, useContext, useSyncExternalStore } from 'react';
import type { AuthPayloadFieldsFragment, SessionUserFragment } from '../../graphql/shell.generated';
import type { SessionState, SessionStore } from './session-store';

export interface SessionActions {
  /** Starts a session from the payload of signUp or logIn. */
  startSession: (payload: AuthPayloadFieldsFragment) => void;
  /** Ends the session on the server (cookie) and here. Resolves false when the server was not reached. */
  logOut: () => Promise<boolean>;
  /**
   * Ends the session in this browser, every tab included, without asking the server: for when
   * the server has ended it already (a password reset ends every session of the account).
   */
  forgetSession: () => void;
}

export interface SessionContextValue extends SessionActions {
  store: SessionStore;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

function useSessionContext(): SessionContextValue {
  const value = useContext(SessionContext);
  if (value === null) throw new Error('Session hooks must be used inside <SessionProvider>.');
  return value;
}

export function useSession(): SessionState {
  const { store } = useSessionContext();
  return useSyncExternalStore(store.subscribe, store.getState);
}

export function useSessionActions(): SessionActions {
  return useSessionContext();
}

/** The signed-in user; only for components rendered behind <RequireAuth>. */
export function useCurrentUser(): SessionUserFragment {
  const session = useSession();
  if (session.status !== 'authenticated') throw new Error('useCurrentUser() needs an authenticated session.');
  return session.user;
}

/** Reads the current access token when called, for requests outside Apollo (the export). */
export function useAccessToken(): () => string | null {
  const { store } = useSessionContext();
  return useCallback(() => store.getAccessToken(), [store]);
}
