import { useQuery } from '@apollo/client/react';
import { Center } from '@mantine/core';
import { Navigate } from 'react-router';
import { workspacePath } from '../../app/paths';
import { ErrorState } from '../../app/ui/error-state';
import { QueryContent } from '../../app/ui/query-content';
import { HomeWorkspaceDocument } from '../../graphql/generated';

/**
 * `/`: opens the workspace the server says (`homeWorkspace`): the one used last, in any browser,
 * else the first team with events, else the personal workspace. One with events opens on
 * Overview, one without on Getting started.
 */
export function WorkspaceRedirect() {
  const { data, error, refetch } = useQuery(HomeWorkspaceDocument, { fetchPolicy: 'network-only' });

  return (
    <QueryContent
      data={data}
      error={error}
      refetch={refetch}
      errorTitle="Your workspaces couldn't be loaded"
      loadingLabel="Opening your workspace…"
      fullPage
      errorFrame={(state) => (
        <Center mih="100vh" p="md">
          {state}
        </Center>
      )}
    >
      {({ homeWorkspace: target }) =>
        target ? (
          <Navigate to={workspacePath(target.id, target.lastEventAt ? 'overview' : 'getting-started')} replace />
        ) : (
          <Center mih="100vh" p="md">
            <ErrorState
              title="No workspace found"
              error={new Error('Your account has no workspace. Please contact your Tally administrator.')}
            />
          </Center>
        )
      }
    </QueryContent>
  );
}
