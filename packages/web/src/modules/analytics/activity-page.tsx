import { useQuery } from '@apollo/client/react';
import { Anchor, Badge, Button, Group, Paper, Table, Text, Title } from '@mantine/core';
import { useDocumentVisibility } from '@mantine/hooks';
import { Scope, can } from '@tally/shared';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { formatDateTime } from '../../app/ui/dates';
import { ErrorState } from '../../app/ui/error-state';
import { PageHeader } from '../../app/ui/page-header';
import { PageLoader } from '../../app/ui/page-loader';
import { AnalyticsActivityDocument } from '../../graphql/generated';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { formatDuration } from './analytics-format';
import { AnalyticsBody, AnalyticsControls } from './analytics-page-frame';
import { useAnalyticsParams } from './analytics-params';
import { aheadForPolling } from './analytics-range';
import { sessionPath } from './sessions-page';

/** How often the list refreshes while the tab is visible. */
export const ACTIVITY_POLL_MS = 10_000;
const PAGE = 25;
/** The server's cap of `first`. */
const MAX_FIRST = 100;

export function ActivityPage() {
  const workspace = useCurrentWorkspace();
  return <Activity key={workspace.id} workspace={workspace} />;
}

function Activity({ workspace }: { workspace: WorkspaceSummary }) {
  const params = useAnalyticsParams();
  const mayView = can(workspace.viewerScopes, Scope.ANALYTICS_VIEW);
  const visible = useDocumentVisibility() === 'visible';
  const [first, setFirst] = useState(PAGE);
  // The range's end a day ahead, so that each poll (same variables) brings events sent since.
  const range = useMemo(() => aheadForPolling(params.range), [params.range]);
  const { data, previousData, error, refetch } = useQuery(AnalyticsActivityDocument, {
    variables: {
      workspaceId: workspace.id,
      range,
      filter: params.savedFilterId ? null : params.filter,
      savedFilterId: params.savedFilterId,
      first,
    },
    fetchPolicy: 'cache-and-network',
    pollInterval: visible ? ACTIVITY_POLL_MS : 0,
    skip: !mayView,
  });
  const connection = (data ?? previousData)?.workspace?.analytics.activity;

  let content;
  if (!connection && error) {
    content = <ErrorState title="Activity couldn't be loaded" error={error} onRetry={() => void refetch()} />;
  } else if (!connection) {
    content = <PageLoader label="Loading activity…" />;
  } else if (!connection.nodes.length) {
    content = (
      <Paper withBorder radius="md" p="xl" maw={640}>
        <Title order={2} size="h4" mb="xs">
          No events in this range
        </Title>
        <Text size="sm" c="dimmed">
          Events appear here within seconds of your SDKs sending them; this page refreshes on its own.
        </Text>
      </Paper>
    );
  } else {
    content = (
      <Paper withBorder radius="md" p="md">
        <Table.ScrollContainer minWidth={760}>
          <Table striped verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Duration</Table.Th>
                <Table.Th>User</Table.Th>
                <Table.Th>Session</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {connection.nodes.map((event) => (
                <Table.Tr key={event.id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(event.timestamp)}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-word' }}>{event.name}</Table.Td>
                  <Table.Td>{event.type}</Table.Td>
                  <Table.Td>
                    {event.status === 'error' ? (
                      <Badge color="red" variant="light" tt="none">
                        Error
                      </Badge>
                    ) : (
                      (event.status ?? '—')
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{formatDuration(event.durationMs)}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{event.userId ?? '—'}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>
                    <Anchor component={Link} to={sessionPath(workspace.id, event.sessionId, params.search)} size="sm">
                      {event.sessionId}
                    </Anchor>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <Group justify="center" mt="md">
          {connection.pageInfo.hasNextPage && first < MAX_FIRST ? (
            <Button
              variant="default"
              onClick={() => {
                setFirst((n) => Math.min(MAX_FIRST, n + PAGE));
              }}
            >
              Load more
            </Button>
          ) : connection.pageInfo.hasNextPage ? (
            <Text size="sm" c="dimmed">
              The newest {MAX_FIRST} events; narrow the range or the filters, or export, to see older ones.
            </Text>
          ) : null}
        </Group>
      </Paper>
    );
  }

  return (
    <>
      <PageHeader
        title="Activity"
        documentTitle={`Activity · ${workspace.name}`}
        description={`The latest events in this workspace, newest first; refreshed every ${String(ACTIVITY_POLL_MS / 1000)} seconds while this tab is open.`}
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
