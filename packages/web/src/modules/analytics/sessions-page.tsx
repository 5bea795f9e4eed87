import { useQuery } from '@apollo/client/react';
import { Anchor, Button, Group, Paper, Table, Text, Title } from '@mantine/core';
import { Scope, can } from '@tally/shared';
import { useState } from 'react';
import { Link } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { workspacePath } from '../../app/paths';
import { formatDateTime } from '../../app/ui/dates';
import { ErrorAlert, ErrorState } from '../../app/ui/error-state';
import { PageHeader } from '../../app/ui/page-header';
import { PageLoader } from '../../app/ui/page-loader';
import { AnalyticsSessionsDocument } from '../../graphql/generated';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { formatCount, formatDuration } from './analytics-format';
import { AnalyticsBody, AnalyticsControls } from './analytics-page-frame';
import { analyticsVariables, useAnalyticsParams } from './analytics-params';

export function SessionsPage() {
  const workspace = useCurrentWorkspace();
  return <Sessions key={workspace.id} workspace={workspace} />;
}

export function sessionPath(workspaceId: string, sessionId: string, search = ''): string {
  return `${workspacePath(workspaceId, 'sessions')}/${encodeURIComponent(sessionId)}${search}`;
}

function Sessions({ workspace }: { workspace: WorkspaceSummary }) {
  const params = useAnalyticsParams();
  const mayView = can(workspace.viewerScopes, Scope.ANALYTICS_VIEW);
  const { data, error, refetch, fetchMore } = useQuery(AnalyticsSessionsDocument, {
    variables: analyticsVariables(workspace.id, params),
    fetchPolicy: 'cache-and-network',
    skip: !mayView,
  });
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const connection = data?.workspace?.analytics.sessions;

  async function loadMore() {
    if (!connection?.pageInfo.endCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      await fetchMore({
        variables: { after: connection.pageInfo.endCursor },
        updateQuery: (previous, { fetchMoreResult }) => {
          const prev = previous.workspace?.analytics.sessions;
          const next = fetchMoreResult.workspace?.analytics.sessions;
          if (!prev || !next || !fetchMoreResult.workspace) return previous as typeof fetchMoreResult;
          const seen = new Set(prev.nodes.map((n) => n.id));
          return {
            ...fetchMoreResult,
            workspace: {
              ...fetchMoreResult.workspace,
              analytics: {
                ...fetchMoreResult.workspace.analytics,
                sessions: { ...next, nodes: [...prev.nodes, ...next.nodes.filter((n) => !seen.has(n.id))] },
              },
            },
          };
        },
      });
    } catch (e) {
      setMoreError(e);
    } finally {
      setLoadingMore(false);
    }
  }

  let content;
  if (!connection && error) {
    content = <ErrorState title="Sessions couldn't be loaded" error={error} onRetry={() => void refetch()} />;
  } else if (!connection) {
    content = <PageLoader label="Loading sessions…" />;
  } else if (!connection.nodes.length) {
    content = (
      <Paper withBorder radius="md" p="xl" maw={640}>
        <Title order={2} size="h4" mb="xs">
          No sessions in this range
        </Title>
        <Text size="sm" c="dimmed">
          Sessions appear here as your SDKs send events. Try a longer range or fewer filters.
        </Text>
      </Paper>
    );
  } else {
    content = (
      <Paper withBorder radius="md" p="md">
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Session</Table.Th>
                <Table.Th>User</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th ta="right">Duration</Table.Th>
                <Table.Th ta="right">Events</Table.Th>
                <Table.Th ta="right">Errors</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {connection.nodes.map((session) => (
                <Table.Tr key={session.id}>
                  <Table.Td style={{ wordBreak: 'break-all' }}>
                    <Anchor component={Link} to={sessionPath(workspace.id, session.id, params.search)} size="sm">
                      {session.id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {session.userId ?? (
                      <Text span c="dimmed" size="sm">
                        Anonymous
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{formatDateTime(session.startedAt)}</Table.Td>
                  <Table.Td ta="right">{formatDuration(session.durationMs)}</Table.Td>
                  <Table.Td ta="right">{formatCount(session.eventCount)}</Table.Td>
                  <Table.Td ta="right">{formatCount(session.errorCount)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {moreError ? <ErrorAlert error={moreError} title="More sessions couldn't be loaded" /> : null}
        <Group justify="center" mt="md">
          {connection.pageInfo.hasNextPage ? (
            <Button variant="default" loading={loadingMore} onClick={() => void loadMore()}>
              Load more
            </Button>
          ) : (
            <Text size="sm" c="dimmed">
              {connection.nodes.length === 1 ? 'The only session' : `All ${String(connection.nodes.length)} sessions`}{' '}
              in this range.
            </Text>
          )}
        </Group>
      </Paper>
    );
  }

  return (
    <>
      <PageHeader
        title="Sessions"
        documentTitle={`Sessions · ${workspace.name}`}
        description="Every session your SDKs send to this workspace, newest first."
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
