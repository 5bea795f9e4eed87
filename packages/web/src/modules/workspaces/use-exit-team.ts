import { useApolloClient } from '@apollo/client/react';
import { useCallback } from 'react';
import { useNavigate } from 'react-router';
import { workspacePath } from '../../app/paths';
import { WorkspacesDocument } from '../../graphql/generated';
import { personalWorkspace, removeFromWorkspaceList } from './workspace-list';

/**
 * After leaving or deleting a team: go to the personal workspace's Teams page first (so the
 * team's pages never render without their team), then take the team out of the workspace list
 * and ask the server for the list again.
 */
export function useExitTeam(): (teamId: string) => Promise<void> {
  const client = useApolloClient();
  const navigate = useNavigate();
  return useCallback(
    async (teamId: string) => {
      const personal = personalWorkspace(client.readQuery({ query: WorkspacesDocument })?.workspaces ?? []);
      await navigate(personal ? workspacePath(personal.id, 'teams') : '/', { replace: true, flushSync: true });
      removeFromWorkspaceList(client.cache, teamId);
      try {
        await client.refetchQueries({ include: [WorkspacesDocument] });
      } catch {
        // The list is already right in the cache; the next load brings the server's.
      }
    },
    [client, navigate],
  );
}
