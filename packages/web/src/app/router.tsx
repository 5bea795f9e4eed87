import type { ComponentType } from 'react';
import { Navigate, createBrowserRouter } from 'react-router';
import { DEFAULT_SECTION } from './paths';
import { PublicOnly, RequireAuth } from './session/route-guards';
import { NotFound, NotFoundPage } from './ui/not-found-page';
import { PageLoader } from './ui/page-loader';
import { RouteErrorPage } from './ui/route-error-page';

/**
 * A page that loads on its first visit. Every page does: index.html loads only the shell (providers,
 * router, session) and the router fetches the page's module before it renders it, so its heading is
 * there when focus moves to it. The first-load budget is a row of `pnpm bench` (bench/web.ts).
 */
async function page<K extends string, M extends Record<K, ComponentType>>(module: Promise<M>, name: K) {
  return { Component: (await module)[name] };
}

/** Queries a page asks first, started when its route matches (route-preloads.ts). */
export interface RoutePreloads {
  workspaces(): void;
  overview(workspaceId: string, search: URLSearchParams): void;
}

/** A route loader that starts a preload and waits for nothing (the page shows its own loading). */
function preloading(start: (params: Record<string, string | undefined>, url: URL) => void) {
  return {
    loader: ({ params, request }: { params: Record<string, string | undefined>; request: Request }) => {
      start(params, new URL(request.url));
      return null;
    },
    // Once, when the route is entered: the page asks for itself when its search changes.
    shouldRevalidate: () => false,
  };
}

/**
 * /login, /signup                 for visitors (a signed-in user is sent on)
 * /forgot-password                for visitors: asks for a password reset email
 * /reset-password/:token          a reset email's link: for anyone holding it
 * /invite/:token                  an invitation link: for visitors and signed-in users alike
 * /confirm-email/:token           the link of an email change: for whoever holds it
 * /                               → homeWorkspace: the last used (any browser), a team with data, or personal
 * /w/:workspaceId/<section>       the dashboard (sections: see paths.ts)
 * /w/:workspaceId/tools/:name     one tool's (event name's) page
 * /w/:teamId/teams/<tab>          a team's view (tabs: see paths.ts)
 */
export function createAppRouter(preloads?: RoutePreloads) {
  return createBrowserRouter([
    {
      errorElement: <RouteErrorPage />,
      // While the first page's module loads.
      hydrateFallbackElement: <PageLoader fullPage />,
      children: [
        {
          element: <PublicOnly />,
          children: [
            { path: 'login', lazy: () => page(import('../modules/accounts/log-in-page'), 'LogInPage') },
            { path: 'signup', lazy: () => page(import('../modules/accounts/sign-up-page'), 'SignUpPage') },
            {
              path: 'forgot-password',
              lazy: () => page(import('../modules/accounts/forgot-password-page'), 'ForgotPasswordPage'),
            },
          ],
        },
        // Not for visitors only: whoever holds the link may use it, signed in or not.
        {
          path: 'reset-password/:token',
          lazy: () => page(import('../modules/accounts/reset-password-page'), 'ResetPasswordPage'),
        },
        { path: 'invite/:token', lazy: () => page(import('../modules/invitations/invitation-page'), 'InvitationPage') },
        {
          path: 'confirm-email/:token',
          lazy: () => page(import('../modules/accounts/confirm-email-page'), 'ConfirmEmailPage'),
        },
        {
          element: <RequireAuth />,
          children: [
            { index: true, lazy: () => page(import('../modules/workspaces/workspace-redirect'), 'WorkspaceRedirect') },
            { path: 'w', element: <Navigate to="/" replace /> },
            {
              path: 'w/:workspaceId',
              ...preloading(() => preloads?.workspaces()),
              lazy: () => page(import('./layout/workspace-layout'), 'WorkspaceLayout'),
              children: [
                { index: true, element: <Navigate to={DEFAULT_SECTION} replace /> },
                {
                  path: 'getting-started',
                  lazy: () => page(import('../modules/onboarding/getting-started-page'), 'GettingStartedPage'),
                },
                {
                  path: 'overview',
                  ...preloading((params, url) => {
                    if (params.workspaceId) preloads?.overview(params.workspaceId, url.searchParams);
                  }),
                  lazy: () => page(import('../modules/analytics/overview-page'), 'OverviewPage'),
                },
                {
                  path: 'sessions',
                  lazy: () => page(import('../modules/analytics/sessions-page'), 'SessionsPage'),
                },
                {
                  path: 'sessions/:sessionId',
                  lazy: () => page(import('../modules/analytics/session-page'), 'SessionPage'),
                },
                {
                  path: 'tools',
                  lazy: () => page(import('../modules/analytics/tools-usage-page'), 'ToolsUsagePage'),
                },
                {
                  path: 'tools/:name',
                  lazy: () => page(import('../modules/analytics/tool-page'), 'ToolPage'),
                },
                {
                  path: 'activity',
                  lazy: () => page(import('../modules/analytics/activity-page'), 'ActivityPage'),
                },
                { path: 'teams', lazy: () => page(import('../modules/workspaces/teams-page'), 'TeamsPage') },
                { path: 'teams/:tab', lazy: () => page(import('../modules/workspaces/team-page'), 'TeamPage') },
                { path: 'api-keys', lazy: () => page(import('../modules/api-keys/api-keys-page'), 'ApiKeysPage') },
                { path: 'settings', lazy: () => page(import('../modules/workspaces/settings-page'), 'SettingsPage') },
                { path: 'account', lazy: () => page(import('../modules/accounts/account-page'), 'AccountPage') },
                { path: '*', element: <NotFound to=".." linkLabel="Go to Getting started" /> },
              ],
            },
          ],
        },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ]);
}
