import { IconLayoutDashboard } from '@tabler/icons-react';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { ComingSoon } from '../../app/ui/coming-soon';
import { PageHeader } from '../../app/ui/page-header';

export function OverviewPage() {
  const workspace = useCurrentWorkspace();
  return (
    <>
      <PageHeader
        title="Overview"
        documentTitle={`Overview · ${workspace.name}`}
        description="Sessions, events, users and errors in this workspace at a glance."
      />
      <ComingSoon icon={IconLayoutDashboard}>
        The overview will chart sessions and events over time, with totals for users, errors and average session length,
        and your team&apos;s annotations on the timeline.
      </ComingSoon>
    </>
  );
}
