import { useApolloClient } from '@apollo/client/react';
import { useEffect } from 'react';
import { Navigate, Outlet, useLocation, type Location } from 'react-router';
import { PageLoader } from '../ui/page-loader';
import { LOGIN_PATH } from '../paths';
import { useSession } from './session-context';

/** What RequireAuth leaves in the history entry of the login page. */
interface LoginRedirectState {
  from?: string;
  expired?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/** Where to go after logging in: back to the page that needed it, else the start page. */
function returnPath(state: unknown): string {
  if (isRecord(state) && typeof state.from === 'string' && state.from.startsWith('/') && !state.from.startsWith('//')) {
    return state.from;
  }
  return '/';
}

/** Whether the login page was reached because a session could not be refreshed. */
export function sessionExpired(location: Location): boolean {
  return isRecord(location.state) && location.state.expired === true;
}

/** Renders its routes for a signed-in user; otherwise sends the visitor to the login page. */
export function RequireAuth() {
  const session = useSession();
  const location = useLocation();

  if (session.status === 'restoring') return <PageLoader label="Restoring your session…" fullPage />;
  if (session.status === 'anonymous') {
    const state: LoginRedirectState =
      session.reason === 'signed-out'
        ? {}
        : { from: `${location.pathname}${location.search}${location.hash}`, expired: session.reason === 'expired' };
    return <Navigate to={LOGIN_PATH} replace state={state} />;
  }
  return <Outlet />;
}

/** Log in and sign up: for visitors only. A signed-in user goes on to the dashboard. */
export function PublicOnly() {
  const session = useSession();
  const location = useLocation();
  const client = useApolloClient();
  const anonymous = session.status === 'anonymous';

  // Nothing a previous session loaded stays in memory once the visitor is signed out.
  useEffect(() => {
    if (anonymous) void client.clearStore();
  }, [anonymous, client]);

  if (session.status === 'restoring') return <PageLoader label="Restoring your session…" fullPage />;
  if (session.status === 'authenticated') return <Navigate to={returnPath(location.state)} replace />;
  return <Outlet />;
}
