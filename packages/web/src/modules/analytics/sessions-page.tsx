import { useQuery } from '@apollo/client/react';
import {
  Anchor,
  Box,
  Button,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconArrowsSort } from '@tabler/icons-react';
import { OrderDirection, Scope, type SessionOrder, SessionOrderField, can } from '@tally/shared';
import { type ReactNode, useCallback, useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { workspacePath } from '../../app/paths';
import { formatDateTime } from '../../app/ui/dates';
import { ErrorAlert } from '../../app/ui/error-state';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import { useContainerWidth } from '../../app/ui/use-container-width';
import { useCursorPages } from '../../app/use-cursor-pages';
import { AnalyticsSessionsDocument, type AnalyticsSessionsQuery } from '../../graphql/generated';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { formatCount, formatDuration } from './analytics-format';
import { AnalyticsBody, AnalyticsControls } from './analytics-page-frame';
import { ANALYTICS_FETCH, analyticsVariables, useAnalyticsParams } from './analytics-params';
import { SessionAttributes } from './session-attributes';
import {
  SESSION_ORDER_OPTIONS,
  SESSION_SORTS,
  carrySessionOrder,
  describeSessionOrder,
  nextSessionOrder,
  readSessionOrder,
  sessionOrderOfOption,
  writeSessionOrder,
} from './session-order';

/** Below this width (of the list, not of the window) sessions are shown as cards. */
const TABLE_MIN_WIDTH = 760;

type SessionRow = NonNullable<AnalyticsSessionsQuery['workspace']>['analytics']['sessions']['nodes'][number];

export function SessionsPage() {
  const workspace = useCurrentWorkspace();
  return <Sessions key={workspace.id} workspace={workspace} />;
}

export function sessionPath(workspaceId: string, sessionId: string, search = ''): string {
  return `${workspacePath(workspaceId, 'sessions')}/${encodeURIComponent(sessionId)}${search}`;
}

/** The list's order, kept in the address (`?sort=events&dir=asc`) so a link or a reload keeps it. */
function useSessionOrder(): [SessionOrder, (order: SessionOrder) => void, URLSearchParams] {
  const [params, setParams] = useSearchParams();
  const sort = params.get('sort');
  const dir = params.get('dir');
  const order = useMemo(() => readSessionOrder(sort, dir), [sort, dir]);
  const setOrder = useCallback(
    (next: SessionOrder) => {
      setParams(
        (prev) => {
          const updated = new URLSearchParams(prev);
          writeSessionOrder(updated, next);
          return updated;
        },
        { replace: true },
      );
    },
    [setParams],
  );
  return [order, setOrder, params];
}

function Anonymous() {
  return (
    <Text span c="dimmed" size="sm">
      Anonymous
    </Text>
  );
}

function Sessions({ workspace }: { workspace: WorkspaceSummary }) {
  const params = useAnalyticsParams();
  const [order, setOrder, searchParams] = useSessionOrder();
  const mayView = can(workspace.viewerScopes, Scope.ANALYTICS_VIEW);
  const [containerRef, width] = useContainerWidth<HTMLDivElement>();
  const { data, previousData, loading, error, refetch, fetchMore } = useQuery(AnalyticsSessionsDocument, {
    variables: { ...analyticsVariables(workspace.id, params), orderBy: order },
    ...ANALYTICS_FETCH,
    skip: !mayView,
  });
  const { loadMore, loadingMore, moreError } = useCursorPages(data, fetchMore, (d) => d.workspace?.analytics.sessions);
  // While another order loads, the list in the order before stays (dimmed) rather than a spinner.
  const connection = (data ?? previousData)?.workspace?.analytics.sessions;
  const stale = !data && loading;

  const cards = width !== null && width < TABLE_MIN_WIDTH;
  const content = (
    <QueryContent
      data={connection}
      error={error}
      refetch={refetch}
      errorTitle="Sessions couldn't be loaded"
      loadingLabel="Loading sessions…"
      isEmpty={(loaded) => loaded.nodes.length === 0}
      empty={
        <Paper withBorder radius="md" p="xl" maw={640}>
          <Title order={2} size="h4" mb="xs">
            No sessions in this range
          </Title>
          <Text size="sm" c="dimmed">
            Sessions appear here as your SDKs send events. Try a longer range or fewer filters.
          </Text>
        </Paper>
      }
    >
      {(connection) => {
        const shown = connection.nodes.length;
        const total = Math.max(connection.totalCount, shown);
        const search = carrySessionOrder(params.search, searchParams);
        const link = (session: SessionRow) => sessionPath(workspace.id, session.id, search);
        return (
          <Stack gap="sm" style={{ opacity: stale ? 0.6 : 1 }} aria-busy={stale}>
            <Group justify="space-between" align="flex-end" gap="sm">
              <Text size="sm" fw={600} aria-live="polite" data-testid="sessions-total">
                {total === 1 ? '1 session' : `${formatCount(total)} sessions`}
              </Text>
              {cards ? (
                <NativeSelect
                  label="Sort by"
                  size="xs"
                  w={220}
                  data={SESSION_ORDER_OPTIONS}
                  value={`${order.field}.${order.direction}`}
                  onChange={(event) => {
                    const next = sessionOrderOfOption(event.currentTarget.value);
                    if (next) setOrder(next);
                  }}
                />
              ) : null}
            </Group>
            {cards ? (
              <SessionCards sessions={connection.nodes} linkOf={link} />
            ) : (
              <SessionsTable sessions={connection.nodes} linkOf={link} order={order} onOrder={setOrder} />
            )}
            {moreError ? <ErrorAlert error={moreError} title="More sessions couldn't be loaded" /> : null}
            <Group justify="center" mt="xs">
              {connection.pageInfo.hasNextPage ? (
                <Button variant="default" loading={loadingMore} onClick={() => void loadMore()}>
                  Load more
                </Button>
              ) : null}
              <Text size="sm" c="dimmed">
                {connection.pageInfo.hasNextPage
                  ? `Showing ${formatCount(shown)} of ${formatCount(total)}.`
                  : shown === 1
                    ? 'The only session in this range.'
                    : `All ${formatCount(shown)} sessions in this range.`}
              </Text>
            </Group>
          </Stack>
        );
      }}
    </QueryContent>
  );

  return (
    <>
      <PageHeader
        title="Sessions"
        documentTitle={`Sessions · ${workspace.name}`}
        description={`Every session your SDKs send to this workspace; sorted by ${describeSessionOrder(order).toLowerCase()}.`}
      />
      <AnalyticsBody
        workspace={workspace}
        mayView={mayView}
        controls={<AnalyticsControls workspace={workspace} scopes={workspace.viewerScopes} params={params} />}
      >
        {/* The wrapper is always there, so its width is known before the first session arrives. */}
        <div ref={containerRef}>{content}</div>
      </AnalyticsBody>
    </>
  );
}

interface SessionsListProps {
  sessions: readonly SessionRow[];
  linkOf: (session: SessionRow) => string;
}

/** A column header that sorts: a button naming what a click does; `aria-sort` on the sorted one. */
function SortableTh({
  field,
  label,
  order,
  onOrder,
  numeric = false,
}: {
  field: SessionOrderField;
  label: string;
  order: SessionOrder;
  onOrder: (order: SessionOrder) => void;
  numeric?: boolean;
}) {
  const active = order.field === field;
  const next = nextSessionOrder(order, field);
  const Icon = !active ? IconArrowsSort : order.direction === OrderDirection.DESC ? IconArrowDown : IconArrowUp;
  return (
    <Table.Th
      ta={numeric ? 'right' : undefined}
      aria-sort={active ? (order.direction === OrderDirection.DESC ? 'descending' : 'ascending') : undefined}
      style={{ whiteSpace: 'nowrap' }}
    >
      <UnstyledButton
        onClick={() => {
          onOrder(next);
        }}
        title={`Sort by ${describeSessionOrder(next).toLowerCase()}`}
        fw={700}
        fz="sm"
      >
        <Group gap={4} wrap="nowrap" component="span" justify={numeric ? 'flex-end' : undefined}>
          {label}
          <Icon size={14} aria-hidden style={{ opacity: active ? 1 : 0.5 }} />
        </Group>
      </UnstyledButton>
    </Table.Th>
  );
}

function SessionsTable({
  sessions,
  linkOf,
  order,
  onOrder,
}: SessionsListProps & { order: SessionOrder; onOrder: (order: SessionOrder) => void }) {
  const sortable = (field: SessionOrderField, numeric = false) => {
    const label = SESSION_SORTS.find((s) => s.field === field)?.label ?? field;
    return <SortableTh field={field} label={label} order={order} onOrder={onOrder} numeric={numeric} />;
  };
  return (
    <Paper withBorder radius="md" p="md">
      <Table striped highlightOnHover verticalSpacing="xs" aria-label="Sessions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>User</Table.Th>
            {sortable(SessionOrderField.STARTED_AT)}
            {sortable(SessionOrderField.DURATION, true)}
            {sortable(SessionOrderField.EVENTS, true)}
            {sortable(SessionOrderField.ERRORS, true)}
            <Table.Th>Attributes</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sessions.map((session) => (
            <Table.Tr key={session.id}>
              <Table.Td style={{ overflowWrap: 'break-word' }} maw={220}>
                {session.userId ?? <Anonymous />}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Anchor component={Link} to={linkOf(session)} size="sm" title={`Session ${session.id}`}>
                  {formatDateTime(session.startedAt)}
                </Anchor>
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                {formatDuration(session.durationMs)}
              </Table.Td>
              <Table.Td ta="right">{formatCount(session.eventCount)}</Table.Td>
              <Table.Td ta="right" c={session.errorCount > 0 ? 'red' : undefined}>
                {formatCount(session.errorCount)}
              </Table.Td>
              <Table.Td maw={360}>
                <SessionAttributes attributes={session.attributes} max={4} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed" fw={600}>
        {term}
      </Text>
      <Box component="dd" m={0} mt={2} fz="sm">
        {children}
      </Box>
    </div>
  );
}

/** One card per session, every fact of the table's row included. */
function SessionCards({ sessions, linkOf }: SessionsListProps) {
  return (
    <Stack component="ul" gap="sm" m={0} p={0} style={{ listStyle: 'none' }} aria-label="Sessions">
      {sessions.map((session) => (
        <Paper
          component="li"
          key={session.id}
          withBorder
          radius="md"
          p="md"
          data-testid="session-card"
          aria-label={`${session.userId ?? 'Anonymous'}, ${formatDateTime(session.startedAt)}`}
        >
          <Stack gap="sm">
            <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
              <Box miw={0}>
                <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
                  {session.userId ?? <Anonymous />}
                </Text>
                <Anchor component={Link} to={linkOf(session)} size="sm" title={`Session ${session.id}`}>
                  {formatDateTime(session.startedAt)}
                </Anchor>
              </Box>
            </Group>
            <SimpleGrid component="dl" cols={3} spacing="sm" verticalSpacing="xs" m={0}>
              <Fact term="Duration">{formatDuration(session.durationMs)}</Fact>
              <Fact term="Events">{formatCount(session.eventCount)}</Fact>
              <Fact term="Errors">
                <Text span size="sm" c={session.errorCount > 0 ? 'red' : undefined}>
                  {formatCount(session.errorCount)}
                </Text>
              </Fact>
            </SimpleGrid>
            <SessionAttributes attributes={session.attributes} />
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}
