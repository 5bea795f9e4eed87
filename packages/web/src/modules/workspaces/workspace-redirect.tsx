import { useQuery } from '@apollo/client/react';
import { Center } from '@mantine/core';
import { Navigate } from 'react-router';
import { workspacePath } from '../../app/paths';
import { useCurrentUser } from '../../app/session/session-context';
import { ErrorState } from '../../app/ui/error-state';
import { PageLoader } from '../../app/ui/page-loader';
import { WorkspacesDocument } from '../../graphql/generated';
import { defaultWorkspace } from './workspace-list';

/** `/`: opens the workspace used last, or the personal workspace. */
export function WorkspaceRedirect() {
  const user = useCurrentUser();
  const { data, error, refetch } = useQuery(WorkspacesDocument);

  if (error && !data) {
    return (
      <Center mih="100vh" p="md">
        <ErrorState title="Your workspaces couldn't be loaded" error={error} onRetry={() => void refetch()} />
      </Center>
    );
  }
  if (!data) return <PageLoader label="Opening your workspace…" fullPage />;

  const target = defaultWorkspace(user.id, data.workspaces);
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
  return <Navigate to={workspacePath(target.id)} replace />;
}
