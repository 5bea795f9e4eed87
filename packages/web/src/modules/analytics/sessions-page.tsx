import { IconListDetails } from '@tabler/icons-react';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { ComingSoon } from '../../app/ui/coming-soon';
import { PageHeader } from '../../app/ui/page-header';

export function SessionsPage() {
  const workspace = useCurrentWorkspace();
  return (
    <>
      <PageHeader
        title="Sessions"
        documentTitle={`Sessions · ${workspace.name}`}
        description="Every session your SDKs send to this workspace."
      />
      <ComingSoon icon={IconListDetails}>
        Sessions will list each session with its user, duration, event count and errors, and open one to show its events
        in order.
      </ComingSoon>
    </>
  );
}
