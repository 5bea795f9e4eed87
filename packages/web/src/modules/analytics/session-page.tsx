import { useQuery } from '@apollo/client/react';
import { Anchor, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { Scope, can } from '@tally/shared';
import { Link, useParams, useSearchParams } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { workspacePath } from '../../app/paths';
import { formatDateTime } from '../../app/ui/dates';
import { ErrorAlert } from '../../app/ui/error-state';
import { NotFound } from '../../app/ui/not-found-page';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import { useCursorPages } from '../../app/use-cursor-pages';
import { AnalyticsSessionDocument } from '../../graphql/generated';
import { formatCount, formatDuration } from './analytics-format';
import { useAnalyticsParams } from './analytics-params';
import { EventTimeline } from './event-timeline';
import { SessionAttributeList } from './session-attributes';
import { carrySessionOrder } from './session-order';
import { NoAnalyticsAccess } from './no-analytics-access';

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
        {value}
      </Text>
    </div>
  );
}

/** One session: its numbers and its events in time order. */
export function SessionPage() {
  const workspace = useCurrentWorkspace();
  const { sessionId = '' } = useParams();
  const params = useAnalyticsParams();
  const [searchParams] = useSearchParams();
  const mayView = can(workspace.viewerScopes, Scope.ANALYTICS_VIEW);
  const { data, error, refetch, fetchMore } = useQuery(AnalyticsSessionDocument, {
    variables: { workspaceId: workspace.id, range: params.range, sessionId },
    fetchPolicy: 'cache-and-network',
    skip: !mayView,
  });
  const { loadMore, loadingMore, moreError } = useCursorPages(
    data,
    fetchMore,
    (d) => d.workspace?.analytics.session?.events,
  );
  const session = data?.workspace?.analytics.session;
  const back = (
    <Anchor
      component={Link}
      to={`${workspacePath(workspace.id, 'sessions')}${carrySessionOrder(params.search, searchParams)}`}
      size="sm"
    >
      <Group gap={4} component="span">
        <IconArrowLeft size={14} aria-hidden />
        All sessions
      </Group>
    </Anchor>
  );

  let content;
  if (!mayView) {
    content = <NoAnalyticsAccess workspaceName={workspace.name} />;
  } else {
    content = (
      <QueryContent
        data={data}
        error={error}
        refetch={refetch}
        errorTitle="The session couldn't be loaded"
        loadingLabel="Loading the session…"
      >
        {() =>
          !session ? (
            <NotFound title="Session not found" message="This workspace has no session with this id." />
          ) : (
            <Stack gap="lg">
              <Paper withBorder radius="md" p="md">
                <SimpleGrid cols={{ base: 2, sm: 3, md: 6 }}>
                  <Fact label="User" value={session.userId ?? 'Anonymous'} />
                  <Fact label="Started" value={formatDateTime(session.startedAt)} />
                  <Fact label="Ended" value={formatDateTime(session.endedAt)} />
                  <Fact label="Duration" value={formatDuration(session.durationMs)} />
                  <Fact label="Events" value={formatCount(session.eventCount)} />
                  <Fact label="Errors" value={formatCount(session.errorCount)} />
                </SimpleGrid>
              </Paper>
              <Paper withBorder radius="md" p="md" component="section" aria-labelledby="session-attributes-heading">
                <Title order={2} size="h4" mb="sm" id="session-attributes-heading">
                  Attributes
                </Title>
                <SessionAttributeList attributes={session.attributes} />
              </Paper>
              <Paper withBorder radius="md" p="md" component="section" aria-labelledby="session-events-heading">
                <Title order={2} size="h4" mb="md" id="session-events-heading">
                  Events
                </Title>
                <EventTimeline events={session.events.nodes} />
                {moreError ? <ErrorAlert error={moreError} title="More events couldn't be loaded" /> : null}
                {session.events.pageInfo.hasNextPage ? (
                  <Group justify="center" mt="md">
                    <Button variant="default" loading={loadingMore} onClick={() => void loadMore()}>
                      Load more
                    </Button>
                  </Group>
                ) : null}
              </Paper>
            </Stack>
          )
        }
      </QueryContent>
    );
  }

  return (
    <>
      {back}
      <PageHeader
        title="Session"
        documentTitle={`Session ${sessionId} · ${workspace.name}`}
        description={<span style={{ overflowWrap: 'anywhere' }}>{sessionId}</span>}
      />
      {content}
    </>
  );
}
