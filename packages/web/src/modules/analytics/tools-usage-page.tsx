import { IconTool } from '@tabler/icons-react';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { ComingSoon } from '../../app/ui/coming-soon';
import { PageHeader } from '../../app/ui/page-header';

export function ToolsUsagePage() {
  const workspace = useCurrentWorkspace();
  return (
    <>
      <PageHeader
        title="Tools & Usage"
        documentTitle={`Tools & Usage · ${workspace.name}`}
        description="How often each tool, page or custom event is used, and how well it performs."
      />
      <ComingSoon icon={IconTool}>
        Tools &amp; Usage will rank every event name by calls and sessions, with error rates and average and p95
        durations.
      </ComingSoon>
    </>
  );
}
