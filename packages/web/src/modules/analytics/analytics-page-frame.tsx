import type { ReactNode } from 'react';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { AnalyticsFilters } from './analytics-filters';
import type { AnalyticsParams } from './analytics-params';
import { AnalyticsToolbar } from './analytics-toolbar';
import { ExportButton } from './export-button';
import { NoAnalyticsAccess } from './no-analytics-access';

interface AnalyticsControlsProps {
  workspace: WorkspaceSummary;
  scopes: readonly string[];
  params: AnalyticsParams;
  withInterval?: boolean;
}

/** The date range, Export and the filter bar, the same on every analytics page. */
export function AnalyticsControls({ workspace, scopes, params, withInterval = false }: AnalyticsControlsProps) {
  return (
    <>
      <AnalyticsToolbar
        params={params}
        withInterval={withInterval}
        actions={<ExportButton workspaceId={workspace.id} scopes={scopes} params={params} />}
      />
      <AnalyticsFilters workspaceId={workspace.id} scopes={scopes} params={params} />
    </>
  );
}

/** The page's controls and content, or why the caller may not see it. */
export function AnalyticsBody({
  workspace,
  mayView,
  controls,
  children,
}: {
  workspace: WorkspaceSummary;
  mayView: boolean;
  controls: ReactNode;
  children: ReactNode;
}) {
  if (!mayView) return <NoAnalyticsAccess workspaceName={workspace.name} />;
  return (
    <>
      {controls}
      {children}
    </>
  );
}
