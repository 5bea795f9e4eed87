import { Navigate, createBrowserRouter } from 'react-router';
import { ApiKeysPage } from '../modules/api-keys/api-keys-page';
import { ForgotPasswordPage } from '../modules/accounts/forgot-password-page';
import { LogInPage } from '../modules/accounts/log-in-page';
import { ResetPasswordPage } from '../modules/accounts/reset-password-page';
import { SignUpPage } from '../modules/accounts/sign-up-page';
import { InvitationPage } from '../modules/invitations/invitation-page';
import { GettingStartedPage } from '../modules/onboarding/getting-started-page';
import { SettingsPage } from '../modules/workspaces/settings-page';
import { TeamPage } from '../modules/workspaces/team-page';
import { TeamsPage } from '../modules/workspaces/teams-page';
import { WorkspaceRedirect } from '../modules/workspaces/workspace-redirect';
import { WorkspaceLayout } from './layout/workspace-layout';
import { DEFAULT_SECTION } from './paths';
import { PublicOnly, RequireAuth } from './session/route-guards';
import { NotFound, NotFoundPage } from './ui/not-found-page';
import { RouteErrorPage } from './ui/route-error-page';

/**
 * /login, /signup                 for visitors (a signed-in user is sent on)
 * /forgot-password                for visitors: asks for a password reset email
 * /reset-password/:token          a reset email's link: for anyone holding it
 * /invite/:token                  an invitation link: for visitors and signed-in users alike
 * /                               → the last workspace used, else the personal one
 * /w/:workspaceId/<section>       the dashboard (sections: see paths.ts)
 * /w/:teamId/teams/<tab>          a team's view (tabs: see paths.ts)
 */
export function createAppRouter() {
  return createBrowserRouter([
    {
      errorElement: <RouteErrorPage />,
      children: [
        {
          element: <PublicOnly />,
          children: [
            { path: 'login', element: <LogInPage /> },
            { path: 'signup', element: <SignUpPage /> },
            { path: 'forgot-password', element: <ForgotPasswordPage /> },
          ],
        },
        // Not for visitors only: whoever holds the link may use it, signed in or not.
        { path: 'reset-password/:token', element: <ResetPasswordPage /> },
        { path: 'invite/:token', element: <InvitationPage /> },
        {
          element: <RequireAuth />,
          children: [
            { index: true, element: <WorkspaceRedirect /> },
            { path: 'w', element: <Navigate to="/" replace /> },
            {
              path: 'w/:workspaceId',
              element: <WorkspaceLayout />,
              children: [
                { index: true, element: <Navigate to={DEFAULT_SECTION} replace /> },
                { path: 'getting-started', element: <GettingStartedPage /> },
                // Analytics pages load on first visit (charts are heavy); the router waits for
                // the module, so the page's heading is there when focus moves to it.
                {
                  path: 'overview',
                  lazy: async () => ({ Component: (await import('../modules/analytics/overview-page')).OverviewPage }),
                },
                {
                  path: 'sessions',
                  lazy: async () => ({ Component: (await import('../modules/analytics/sessions-page')).SessionsPage }),
                },
                {
                  path: 'sessions/:sessionId',
                  lazy: async () => ({ Component: (await import('../modules/analytics/session-page')).SessionPage }),
                },
                {
                  path: 'tools',
                  lazy: async () => ({
                    Component: (await import('../modules/analytics/tools-usage-page')).ToolsUsagePage,
                  }),
                },
                {
                  path: 'activity',
                  lazy: async () => ({ Component: (await import('../modules/analytics/activity-page')).ActivityPage }),
                },
                { path: 'teams', element: <TeamsPage /> },
                { path: 'teams/:tab', element: <TeamPage /> },
                { path: 'api-keys', element: <ApiKeysPage /> },
                { path: 'settings', element: <SettingsPage /> },
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
