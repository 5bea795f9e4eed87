import './app/mantine-styles';
import './app/theme.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApolloClient } from './app/apollo-client';
import { App } from './app/app';
import { createRoutePreloads } from './app/route-preloads';
import { createAppRouter } from './app/router';
import { createSessionSignals } from './app/session/session-broadcast';
import { SessionStore } from './app/session/session-store';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element.');

const session = new SessionStore(createSessionSignals());
const client = createApolloClient(session);
// The session's refresh starts now, not after the first render: every first view waits for it.
void session.restore(client);
const router = createAppRouter(createRoutePreloads(client, session));

createRoot(container).render(
  <StrictMode>
    <App session={session} client={client} router={router} />
  </StrictMode>,
);
