import { IconActivity } from '@tabler/icons-react';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { ComingSoon } from '../../app/ui/coming-soon';
import { PageHeader } from '../../app/ui/page-header';

export function ActivityPage() {
  const workspace = useCurrentWorkspace();
  return (
    <>
      <PageHeader
        title="Activity"
        documentTitle={`Activity · ${workspace.name}`}
        description="The latest events in this workspace, newest first."
      />
      <ComingSoon icon={IconActivity}>
        Activity will stream the most recent events with their session, user, status and properties.
      </ComingSoon>
    </>
  );
}
