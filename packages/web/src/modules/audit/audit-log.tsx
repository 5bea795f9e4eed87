import { useQuery } from '@apollo/client/react';
import { Button, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { formatDateTime, formatRelative } from '../../app/ui/dates';
import { ErrorAlert, ErrorState } from '../../app/ui/error-state';
import { PageHeader } from '../../app/ui/page-header';
import { PageLoader } from '../../app/ui/page-loader';
import { useNow } from '../../app/ui/use-now';
import { AuditLogDocument } from '../../graphql/generated';
import { describeActor, describeAuditEntry } from './audit-format';

/** Entries per page (the server caps `first` at 100). */
const PAGE_SIZE = 25;

/** The Audit tab of a team's view: newest first, more pages through the cursor. */
export function AuditLog({ team }: { team: { id: string } }) {
  const now = useNow();
  const { data, error, refetch, fetchMore } = useQuery(AuditLogDocument, {
    variables: { workspaceId: team.id, first: PAGE_SIZE },
    fetchPolicy: 'cache-and-network',
  });
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const log = data?.workspace?.auditLog;

  async function loadMore() {
    const after = log?.pageInfo.endCursor;
    if (!after) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      await fetchMore({
        variables: { after },
        // The next page goes under the ones shown; an entry already there is not repeated.
        updateQuery: (previous, { fetchMoreResult }) => {
          const shown = previous.workspace?.auditLog;
          const next = fetchMoreResult.workspace?.auditLog;
          if (!previous.workspace || !shown || !next) return previous;
          const seen = new Set(shown.nodes.map((n) => n.id));
          return {
            ...previous,
            workspace: {
              ...previous.workspace,
              auditLog: { ...next, nodes: [...shown.nodes, ...next.nodes.filter((n) => !seen.has(n.id))] },
            },
          };
        },
      });
    } catch (caught) {
      setMoreError(caught);
    } finally {
      setLoadingMore(false);
    }
  }

  const header = (
    <PageHeader order={2} title="Audit" description="Every change to this team and its API keys, newest first." />
  );

  if (!data && error) {
    return (
      <>
        {header}
        <ErrorState
          title="The audit log couldn't be loaded"
          error={error}
          messages={{ FORBIDDEN: "Your role in this team doesn't include reading its audit log." }}
          onRetry={() => void refetch()}
        />
      </>
    );
  }
  if (!log) {
    return (
      <>
        {header}
        <PageLoader label="Loading the audit log…" />
      </>
    );
  }

  return (
    <>
      {header}
      <Stack gap="md">
        {log.nodes.length === 0 ? (
          <Text size="sm" c="dimmed">
            Nothing has happened in this team yet.
          </Text>
        ) : (
          <Paper withBorder radius="md">
            <Table.ScrollContainer
              minWidth={760}
              // On a phone the log scrolls sideways: the scrolling box is then a Tab stop, so it
              // scrolls by keyboard too (axe `scrollable-region-focusable`).
              scrollAreaProps={{
                viewportProps: { tabIndex: 0, role: 'region', 'aria-label': 'Audit log entries' },
              }}
            >
              <Table verticalSpacing="sm" horizontalSpacing="md" aria-label="Audit log">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Who</Table.Th>
                    <Table.Th>What</Table.Th>
                    <Table.Th>Details</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {log.nodes.map((entry) => {
                    const { what, details } = describeAuditEntry(entry);
                    return (
                      <Table.Tr key={entry.id}>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <Text size="sm">
                            <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                          </Text>
                          <Text size="xs" c="dimmed">
                            {formatRelative(entry.at, Math.max(now, Date.parse(entry.at)))}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{describeActor(entry)}</Text>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" fw={500}>
                            {what}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm" c={details ? undefined : 'dimmed'}>
                            {details ?? '—'}
                          </Text>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
        )}
        {moreError ? <ErrorAlert title="Couldn't load more entries" error={moreError} /> : null}
        {log.pageInfo.hasNextPage ? (
          <Group justify="center">
            <Button variant="default" loading={loadingMore} onClick={() => void loadMore()}>
              Load more
            </Button>
          </Group>
        ) : null}
      </Stack>
    </>
  );
}
