import { Anchor, Badge, Box, Group, Paper, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../../app/ui/dates';
import { useContainerWidth } from '../../app/ui/use-container-width';
import type { AnalyticsEventFieldsFragment } from '../../graphql/generated';
import { formatDuration } from './analytics-format';

/** Below this width (of the list, not of the window) events are shown as cards. */
const TABLE_MIN_WIDTH = 760;

interface ActivityListProps {
  events: readonly AnalyticsEventFieldsFragment[];
  sessionLink: (sessionId: string) => string;
  /** Ids of events that arrived since the list was first shown (live): marked as new. */
  fresh?: ReadonlySet<string>;
}

function Status({ status }: { status: string | null | undefined }) {
  return status === 'error' ? (
    <Badge color="red" variant="light" tt="none" styles={{ label: { overflow: 'visible' } }}>
      Error
    </Badge>
  ) : (
    <Text span size="sm">
      {status ?? '—'}
    </Text>
  );
}

/** A session id: whole when it fits, else cut with an ellipsis (its whole text in the title), never broken. */
function SessionLink({ id, to }: { id: string; to: string }) {
  return (
    <Anchor component={Link} to={to} size="sm" title={`Session ${id}`} display="block" truncate="end" maw="100%">
      {id}
    </Anchor>
  );
}

/**
 * Events, newest first: a table where there is room for every column, cards where there is not
 * (phones, narrow windows), with every fact of a row in its card.
 */
export function ActivityList({ events, sessionLink, fresh }: ActivityListProps) {
  const [containerRef, width] = useContainerWidth<HTMLDivElement>();
  let content: ReactNode = null;
  if (width !== null && width < TABLE_MIN_WIDTH) {
    content = (
      <Stack component="ul" gap="sm" m={0} p={0} style={{ listStyle: 'none' }} aria-label="Events">
        {events.map((event) => (
          <Paper
            component="li"
            key={event.id}
            withBorder
            radius="md"
            p="md"
            data-testid="event-card"
            data-fresh={fresh?.has(event.id) ? true : undefined}
            aria-label={`${event.name}, ${formatDateTime(event.timestamp)}`}
          >
            <Stack gap="sm">
              <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
                <Box miw={0}>
                  <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
                    {event.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    <time dateTime={event.timestamp}>{formatDateTime(event.timestamp)}</time>
                  </Text>
                </Box>
                <Status status={event.status} />
              </Group>
              <SimpleGrid component="dl" cols={2} spacing="sm" verticalSpacing="xs" m={0}>
                <Fact term="Type">{event.type}</Fact>
                <Fact term="Duration">{formatDuration(event.durationMs)}</Fact>
                <Fact term="User">{event.userId ?? '—'}</Fact>
                <Fact term="Session">
                  <SessionLink id={event.sessionId} to={sessionLink(event.sessionId)} />
                </Fact>
              </SimpleGrid>
            </Stack>
          </Paper>
        ))}
      </Stack>
    );
  } else if (width !== null) {
    content = (
      <Paper withBorder radius="md" p="md">
        <Table striped verticalSpacing="xs" aria-label="Events" style={{ tableLayout: 'fixed' }}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={150}>Time</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th w={100}>Type</Table.Th>
              <Table.Th w={80}>Status</Table.Th>
              <Table.Th w={90} ta="right">
                Duration
              </Table.Th>
              <Table.Th>User</Table.Th>
              <Table.Th>Session</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.map((event) => (
              <Table.Tr key={event.id} data-fresh={fresh?.has(event.id) ? true : undefined}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <time dateTime={event.timestamp}>{formatDateTime(event.timestamp)}</time>
                </Table.Td>
                <Table.Td style={{ overflowWrap: 'break-word' }}>{event.name}</Table.Td>
                <Table.Td style={{ overflowWrap: 'break-word' }}>{event.type}</Table.Td>
                <Table.Td>
                  <Status status={event.status} />
                </Table.Td>
                <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                  {formatDuration(event.durationMs)}
                </Table.Td>
                <Table.Td style={{ overflowWrap: 'break-word' }}>{event.userId ?? '—'}</Table.Td>
                <Table.Td>
                  <SessionLink id={event.sessionId} to={sessionLink(event.sessionId)} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
    );
  }
  // The wrapper is always there, so its width is known before the first event arrives.
  return <div ref={containerRef}>{content}</div>;
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <Box miw={0}>
      <Text component="dt" size="xs" c="dimmed" fw={600}>
        {term}
      </Text>
      <Box component="dd" m={0} mt={2} fz="sm" style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Box>
    </Box>
  );
}
