import type { ApolloClient } from '@apollo/client';
import {
  RefreshSessionDocument,
  type AuthPayloadFieldsFragment,
  type SessionUserFragment,
} from '../../graphql/shell.generated';
import type { SessionSignals } from './session-broadcast';

/**
 * Why a visitor is anonymous: `initial` (no session could be restored on load), `expired`
 * (a session ended because it could not be refreshed), `signed-out` (the user logged out).
 */
export type AnonymousReason = 'initial' | 'expired' | 'signed-out';

export type SessionState =
  | { status: 'restoring' }
  | { status: 'authenticated'; user: SessionUserFragment }
  | { status: 'anonymous'; reason: AnonymousReason };

/** Refreshes in every tab of this origin take turns, so a rotated refresh token is never sent twice. */
const REFRESH_LOCK = 'tally.refresh-session';

/**
 * The browser session: the access token lives here, in memory only; the refresh token is an
 * httpOnly cookie the page never sees. React reads the state through useSyncExternalStore, the
 * Apollo links read the token and ask for refreshes.
 */
export class SessionStore {
  private state: SessionState = { status: 'restoring' };
  private accessToken: string | null = null;
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<boolean> | null = null;
  /** Bumped by every start/end, so a refresh that finishes after one of them is ignored. */
  private generation = 0;

  /** `signals` carries log-outs between the tabs of this browser (see session-broadcast.ts). */
  constructor(private readonly signals: SessionSignals | null = null) {
    signals?.onLogOut(() => {
      // Another tab logged out (or reset the password): this one follows at once.
      if (this.state.status !== 'anonymous') this.end('signed-out');
    });
  }

  readonly getState = (): SessionState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getAccessToken(): string | null {
    return this.accessToken;
  }

  /** Begins a session from signUp, logIn or refreshSession. */
  start(payload: AuthPayloadFieldsFragment): void {
    this.generation += 1;
    this.accessToken = payload.accessToken;
    const current = this.state;
    const sameUser =
      current.status === 'authenticated' &&
      current.user.id === payload.user.id &&
      current.user.email === payload.user.email &&
      current.user.name === payload.user.name;
    if (!sameUser) this.setState({ status: 'authenticated', user: payload.user });
  }

  end(reason: AnonymousReason): void {
    this.generation += 1;
    this.accessToken = null;
    this.setState({ status: 'anonymous', reason });
  }

  /** Ends the session here and in every other tab of this browser (Log out, a password reset). */
  endEverywhere(): void {
    this.end('signed-out');
    this.signals?.announceLogOut();
  }

  /** On app load: restore the session from the refresh cookie, or become anonymous. */
  restore(client: ApolloClient): Promise<boolean> {
    if (this.state.status !== 'restoring') return Promise.resolve(this.state.status === 'authenticated');
    return this.refresh(client);
  }

  /**
   * Called after a request failed with UNAUTHENTICATED while carrying `sentToken`. Resolves
   * true when the request may be retried with a fresh token. When another request has
   * already refreshed the token in the meantime, no second refresh is made.
   */
  recover(client: ApolloClient, sentToken: string | null): Promise<boolean> {
    if (this.state.status !== 'authenticated') return Promise.resolve(false);
    if (this.accessToken !== null && this.accessToken !== sentToken) return Promise.resolve(true);
    return this.refresh(client);
  }

  /**
   * Calls refreshSession (one call at a time, shared by every caller). On success the new
   * access token is stored; on any failure the session ends and the app shows the login page.
   */
  refresh(client: ApolloClient): Promise<boolean> {
    if (this.refreshing) return this.refreshing;
    const generation = this.generation;
    const attempt = withRefreshLock(() =>
      client.mutate({ mutation: RefreshSessionDocument, fetchPolicy: 'no-cache' }),
    ).then(
      ({ data }) => {
        if (generation !== this.generation) return this.state.status === 'authenticated';
        if (!data) {
          this.end(this.failureReason());
          return false;
        }
        this.start(data.refreshSession);
        return true;
      },
      () => {
        if (generation === this.generation) this.end(this.failureReason());
        return this.state.status === 'authenticated';
      },
    );
    this.refreshing = attempt.finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private failureReason(): AnonymousReason {
    return this.state.status === 'restoring' ? 'initial' : 'expired';
  }

  private setState(next: SessionState): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}

/**
 * Two tabs refreshing at once would both send the same refresh token; a server that rotates
 * refresh tokens may treat the second use as theft. The Web Locks API (secure contexts only)
 * makes them take turns; the second tab then sends the cookie the first one received.
 */
async function withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
  // Typed as always present, but undefined outside secure contexts (plain http on a LAN address).
  const locks: LockManager | undefined = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (locks) return await locks.request(REFRESH_LOCK, task);
  return await task();
}
