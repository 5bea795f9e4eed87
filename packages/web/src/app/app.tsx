import type { ApolloClient } from '@apollo/client';
import { ApolloProvider } from '@apollo/client/react';
import { MantineProvider } from '@mantine/core';
import { ModalsProvider } from '@mantine/modals';
import { Notifications } from '@mantine/notifications';
// From react-router/dom: navigations may then ask for flushSync (leaving a deleted team does).
import { RouterProvider } from 'react-router/dom';
import type { createAppRouter } from './router';
import { SessionProvider } from './session/session-provider';
import type { SessionStore } from './session/session-store';
import { cssVariablesResolver, theme } from './theme';

interface AppProps {
  session: SessionStore;
  client: ApolloClient;
  router: ReturnType<typeof createAppRouter>;
}

export function App({ session, client, router }: AppProps) {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="light">
      {/* Bottom right: a notification never covers the header, where Log out is. */}
      <Notifications position="bottom-right" />
      <ApolloProvider client={client}>
        <SessionProvider store={session} client={client}>
          <ModalsProvider>
            <RouterProvider router={router} />
          </ModalsProvider>
        </SessionProvider>
      </ApolloProvider>
    </MantineProvider>
  );
}
