import { useQuery } from '@apollo/client/react';
import { Box, Button, Group, Paper, Stack, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { formatDateTime, formatRelative } from '../../app/ui/dates';
import { ErrorAlert } from '../../app/ui/error-state';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import { useContainerWidth } from '../../app/ui/use-container-width';
import { useNow } from '../../app/ui/use-now';
import { useCursorPages } from '../../app/use-cursor-pages';
import { AuditLogDocument, type AuditLogQuery } from '../../graphql/generated';
import { describeActor, describeAuditEntry } from './audit-format';

/** Entries per page (the server caps `first` at 100). */
const PAGE_SIZE = 25;
/** Below this width (of the log, not of the window) entries are shown as cards. */
const TABLE_MIN_WIDTH = 760;

type AuditEntryNode = NonNullable<AuditLogQuery['workspace']>['auditLog']['nodes'][number];

/** The Audit tab of a team's view: newest first, more pages through the cursor. */
export function AuditLog({ team }: { team: { id: string } }) {
  const now = useNow();
  const { data, error, refetch, fetchMore } = useQuery(AuditLogDocument, {
    variables: { workspaceId: team.id, first: PAGE_SIZE },
    fetchPolicy: 'cache-and-network',
  });
  const { loadMore, loadingMore, moreError } = useCursorPages(data, fetchMore, (d) => d.workspace?.auditLog);

  return (
    <>
      <PageHeader order={2} title="Audit" description="Every change to this team and its API keys, newest first." />
      <QueryContent
        data={data?.workspace?.auditLog}
        error={error}
        refetch={refetch}
        errorTitle="The audit log couldn't be loaded"
        errorMessages={{ FORBIDDEN: "Your role in this team doesn't include reading its audit log." }}
        loadingLabel="Loading the audit log…"
      >
        {(log) => (
          <Stack gap="md">
            {log.nodes.length === 0 ? (
              <Text size="sm" c="dimmed">
                Nothing has happened in this team yet.
              </Text>
            ) : (
              <AuditEntries entries={log.nodes} now={now} />
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
        )}
      </QueryContent>
    </>
  );
}

/** When it happened: the time, and how long ago. */
function When({ at, now }: { at: string; now: number }) {
  return (
    <>
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        <time dateTime={at}>{formatDateTime(at)}</time>
      </Text>
      <Text size="xs" c="dimmed">
        {formatRelative(at, Math.max(now, Date.parse(at)))}
      </Text>
    </>
  );
}

/**
 * The entries: a table where there is room for its columns, cards where there is not (phones,
 * narrow windows), with every fact of a row in its card and nothing to scroll sideways.
 */
function AuditEntries({ entries, now }: { entries: readonly AuditEntryNode[]; now: number }) {
  const [containerRef, width] = useContainerWidth<HTMLDivElement>();
  let content: ReactNode = null;
  if (width !== null && width < TABLE_MIN_WIDTH) {
    content = (
      <Stack component="ul" gap="sm" m={0} p={0} style={{ listStyle: 'none' }} aria-label="Audit log">
        {entries.map((entry) => {
          const { what, details } = describeAuditEntry(entry);
          return (
            <Paper component="li" key={entry.id} withBorder radius="md" p="md" data-testid="audit-card">
              <Stack gap={6}>
                <Text size="sm" fw={600} style={{ overflowWrap: 'break-word' }}>
                  {what}
                </Text>
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {describeActor(entry)}
                </Text>
                {details ? (
                  <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                    {details}
                  </Text>
                ) : null}
                <Box>
                  <When at={entry.at} now={now} />
                </Box>
              </Stack>
            </Paper>
          );
        })}
      </Stack>
    );
  } else if (width !== null) {
    content = (
      <Paper withBorder radius="md">
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
            {entries.map((entry) => {
              const { what, details } = describeAuditEntry(entry);
              return (
                <Table.Tr key={entry.id}>
                  <Table.Td>
                    <When at={entry.at} now={now} />
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'break-word' }}>
                    <Text size="sm">{describeActor(entry)}</Text>
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'break-word' }}>
                    <Text size="sm" fw={500}>
                      {what}
                    </Text>
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'break-word' }}>
                    <Text size="sm" c={details ? undefined : 'dimmed'}>
                      {details ?? '—'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Paper>
    );
  }
  // The wrapper is always there, so its width is known before the entries are drawn.
  return <div ref={containerRef}>{content}</div>;
}
