import { useQuery } from '@apollo/client/react';
import { Paper, Stack, Text, Title } from '@mantine/core';
import { Scope, can } from '@tally/shared';
import { useCallback } from 'react';
import { useNavigate } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import { AnalyticsToolsUsageDocument } from '../../graphql/generated';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { AnalyticsBody, AnalyticsControls } from './analytics-page-frame';
import { ANALYTICS_FETCH, analyticsVariables, useAnalyticsParams } from './analytics-params';
import { CsvButton, csvFileName } from './csv-button';
import { toolPath } from './tool-path';
import { ToolsUsageChart } from './tools-usage-chart';
import { ToolsUsageTable, USAGE_CSV_HEADER, usageCsvRows } from './tools-usage-table';

export function ToolsUsagePage() {
  const workspace = useCurrentWorkspace();
  return <ToolsUsage key={workspace.id} workspace={workspace} />;
}

function ToolsUsage({ workspace }: { workspace: WorkspaceSummary }) {
  const params = useAnalyticsParams();
  const mayView = can(workspace.viewerScopes, Scope.ANALYTICS_VIEW);
  const { data, error, refetch } = useQuery(AnalyticsToolsUsageDocument, {
    variables: analyticsVariables(workspace.id, params),
    ...ANALYTICS_FETCH,
    skip: !mayView,
  });
  const rows = data?.workspace?.analytics.toolsUsage;
  const navigate = useNavigate();
  const toolHref = useCallback(
    (name: string) => toolPath(workspace.id, name, params.search),
    [workspace.id, params.search],
  );

  const content = (
    <QueryContent
      data={rows}
      error={error}
      refetch={refetch}
      errorTitle="Tools & Usage couldn't be loaded"
      loadingLabel="Loading Tools & Usage…"
      isEmpty={(loaded) => loaded.length === 0}
      empty={
        <Paper withBorder radius="md" p="xl" maw={640}>
          <Title order={2} size="h4" mb="xs">
            No events in this range
          </Title>
          <Text size="sm" c="dimmed">
            Once your SDKs send events, each tool, page or custom event name shows here with its numbers. Try a longer
            range or fewer filters.
          </Text>
        </Paper>
      }
    >
      {(rows) => (
        <Stack gap="lg">
          <Paper withBorder radius="md" p="md">
            <Title order={2} size="h4" mb="sm">
              Most used
            </Title>
            <ToolsUsageChart
              rows={rows}
              onSelect={(name) => {
                void navigate(toolHref(name));
              }}
            />
          </Paper>
          <Paper withBorder radius="md" p="md">
            <Title order={2} size="h4" mb="sm">
              All event names
            </Title>
            <ToolsUsageTable
              rows={rows}
              toolHref={toolHref}
              actions={
                <CsvButton
                  scopes={workspace.viewerScopes}
                  label="Download Tools & Usage as CSV"
                  fileName={csvFileName('tools-usage', params.range)}
                  header={USAGE_CSV_HEADER}
                  rows={() => usageCsvRows(rows)}
                />
              }
            />
          </Paper>
        </Stack>
      )}
    </QueryContent>
  );

  return (
    <>
      <PageHeader
        title="Tools & Usage"
        documentTitle={`Tools & Usage · ${workspace.name}`}
        description="How often each tool, page or custom event is used, and how well it performs."
      />
      <AnalyticsBody
        workspace={workspace}
        mayView={mayView}
        controls={<AnalyticsControls workspace={workspace} scopes={workspace.viewerScopes} params={params} />}
      >
        {content}
      </AnalyticsBody>
    </>
  );
}
