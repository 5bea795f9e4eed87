import { useQuery } from '@apollo/client/react';
import { Center } from '@mantine/core';
import { Navigate } from 'react-router';
import { workspacePath } from '../../app/paths';
import { ErrorState } from '../../app/ui/error-state';
import { PageLoader } from '../../app/ui/page-loader';
import { HomeWorkspaceDocument } from '../../graphql/generated';

/**
 * `/`: opens the workspace the server says (`homeWorkspace`): the one used last, in any browser,
 * else the first team with events, else the personal workspace. One with events opens on
 * Overview, one without on Getting started.
 */
export function WorkspaceRedirect() {
  const { data, error, refetch } = useQuery(HomeWorkspaceDocument, { fetchPolicy: 'network-only' });

  if (error && !data) {
    return (
      <Center mih="100vh" p="md">
        <ErrorState title="Your workspaces couldn't be loaded" error={error} onRetry={() => void refetch()} />
      </Center>
    );
  }
  if (!data) return <PageLoader label="Opening your workspace…" fullPage />;

  const target = data.homeWorkspace;
  if (!target) {
    return (
      <Center mih="100vh" p="md">
        <ErrorState
          title="No workspace found"
          error={new Error('Your account has no workspace. Please contact your Tally administrator.')}
        />
      </Center>
    );
  }
  return <Navigate to={workspacePath(target.id, target.lastEventAt ? 'overview' : 'getting-started')} replace />;
}
