import type { ApolloClient } from '@apollo/client';
import { ApolloProvider } from '@apollo/client/react';
import { MantineProvider } from '@mantine/core';
// From react-router/dom: navigations may then ask for flushSync (leaving a deleted team does).
import { RouterProvider } from 'react-router/dom';
import { Suspense, lazy } from 'react';
import type { createAppRouter } from './router';
import { SessionProvider } from './session/session-provider';
import type { SessionStore } from './session/session-store';
import { cssVariablesResolver, theme } from './theme';

// Where notifications are drawn, loaded beside the first page rather than before it: one shown
// earlier waits in @mantine/notifications' store and appears once this is there.
const Notifications = lazy(async () => ({ default: (await import('@mantine/notifications')).Notifications }));

interface AppProps {
  session: SessionStore;
  client: ApolloClient;
  router: ReturnType<typeof createAppRouter>;
}

export function App({ session, client, router }: AppProps) {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="light">
      {/* Bottom right: a notification never covers the header, where Log out is. */}
      <Suspense fallback={null}>
        <Notifications position="bottom-right" />
      </Suspense>
      <ApolloProvider client={client}>
        <SessionProvider store={session} client={client}>
          <RouterProvider router={router} />
        </SessionProvider>
      </ApolloProvider>
    </MantineProvider>
  );
}
