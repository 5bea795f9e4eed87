import { IconUsersGroup } from '@tabler/icons-react';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { ComingSoon } from '../../app/ui/coming-soon';
import { PageHeader } from '../../app/ui/page-header';

export function TeamsPage() {
  const workspace = useCurrentWorkspace();
  return (
    <>
      <PageHeader
        title="Teams"
        documentTitle={`Teams · ${workspace.name}`}
        description="Shared workspaces where members see the same analytics and API keys."
      />
      <ComingSoon icon={IconUsersGroup}>
        Teams will list the teams you belong to with your role in each, and let you create a team, invite members and
        manage their roles. Until then, switch between your workspaces with the selector at the top of the sidebar.
      </ComingSoon>
    </>
  );
}
