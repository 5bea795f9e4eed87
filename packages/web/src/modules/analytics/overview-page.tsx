import { useQuery } from '@apollo/client/react';
import { Button, Group, List, Paper, SimpleGrid, Stack, Switch, Text, Title, VisuallyHidden } from '@mantine/core';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { Interval, Scope, can } from '@tally/shared';
import { useState } from 'react';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { formatDateTime } from '../../app/ui/dates';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import { AnalyticsOverviewDocument, OverviewAnnotationsDocument } from '../../graphql/generated';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { AddAnnotationModal, type AnnotationValue } from '../annotations/add-annotation-modal';
import { AnalyticsFilters } from './analytics-filters';
import { type Change, formatChange, formatCount, formatDuration, formatPeriod } from './analytics-format';
import { ANALYTICS_FETCH, analyticsVariables, useAnalyticsParams } from './analytics-params';
import { AnalyticsToolbar } from './analytics-toolbar';
import { BreakdownPanel } from './breakdown-panel';
import { CsvButton, csvFileName } from './csv-button';
import { DeleteAnnotationModal } from '../annotations/delete-annotation-modal';
import { ExportButton } from './export-button';
import { FirstEventPanel } from './first-event-panel';
import { NoAnalyticsAccess } from './no-analytics-access';
import { OverviewChart } from './overview-chart';
import { takePreloaded } from './overview-preload';

export function OverviewPage() {
  const workspace = useCurrentWorkspace();
  return <Overview key={workspace.id} workspace={workspace} />;
}

/** Which way is good news for a total: more sessions is, more errors is not. */
type Better = 'up' | 'down';

function changeColor(change: Change, better: Better): string {
  if (change.direction === 'flat') return 'dimmed';
  const up = change.direction === 'up' || change.direction === 'new';
  return up === (better === 'up') ? 'green' : 'red';
}

function StatCard({
  label,
  value,
  change,
  better = 'up',
}: {
  label: string;
  value: string;
  /** Against the previous period; null when there is nothing to compare with. */
  change: Change | null;
  better?: Better;
}) {
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label={label}>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={{ base: 22, xs: 28 }} fw={700} lh={1.2} style={{ whiteSpace: 'nowrap' }}>
        {value}
      </Text>
      {change ? (
        <Text size="sm" fw={600} c={changeColor(change, better)} data-change={change.direction}>
          <span aria-hidden>{change.text}</span>
          <VisuallyHidden>{`${change.words} in the previous period`}</VisuallyHidden>
        </Text>
      ) : (
        <Text size="sm" c="dimmed" aria-hidden>
          —
        </Text>
      )}
    </Paper>
  );
}

function Overview({ workspace }: { workspace: WorkspaceSummary }) {
  const params = useAnalyticsParams();
  const mayView = can(workspace.viewerScopes, Scope.ANALYTICS_VIEW);
  const variables = { ...analyticsVariables(workspace.id, params), interval: params.interval };
  // The route preloads the first answer (overview-preload.ts): taken from the cache then, not
  // asked again; every later fetch shows what is cached and asks the network.
  const [fetchPolicy] = useState<'cache-first' | 'cache-and-network'>(() =>
    takePreloaded(variables) ? 'cache-first' : 'cache-and-network',
  );
  const { data, error, refetch } = useQuery(AnalyticsOverviewDocument, {
    variables,
    fetchPolicy,
    // Then the cache first, as every analytics query (ANALYTICS_FETCH says why).
    nextFetchPolicy: ANALYTICS_FETCH.nextFetchPolicy,
    skip: !mayView,
  });
  // Apart from the numbers (overview-annotations.graphql says why); asked again after a change.
  const annotationsQuery = useQuery(OverviewAnnotationsDocument, {
    variables: { workspaceId: workspace.id, range: variables.range },
    ...ANALYTICS_FETCH,
    skip: !mayView,
  });
  const annotations = annotationsQuery.data?.workspace?.annotations ?? [];
  const refetchAnnotations = () => void annotationsQuery.refetch();
  const [annotating, setAnnotating] = useState(false);
  const [editing, setEditing] = useState<AnnotationValue | null>(null);
  const [deleting, setDeleting] = useState<AnnotationValue | null>(null);
  const scopes = data?.workspace?.viewerScopes ?? workspace.viewerScopes;
  const mayAnnotate = can(scopes, Scope.ANNOTATIONS_MANAGE);
  const overview = data?.workspace?.analytics.overview;
  const previous = overview?.previous ?? null;
  const from = Date.parse(params.range.from);
  const previousRange = { from: from - (Date.parse(params.range.to) - from), to: from };

  const content = !mayView ? (
    <NoAnalyticsAccess workspaceName={workspace.name} />
  ) : (
    <QueryContent
      data={overview}
      error={error}
      refetch={refetch}
      errorTitle="The overview couldn't be loaded"
      loadingLabel="Loading the overview…"
      isEmpty={(loaded) =>
        loaded.events === 0 && (loaded.previous?.events ?? 0) === 0 && !params.filter && !params.savedFilterId
      }
      empty={<FirstEventPanel workspaceId={workspace.id} />}
    >
      {(overview) => (
        <Stack gap="lg">
          <Stack gap={6}>
            <SimpleGrid cols={{ base: 2, md: 5 }} spacing={{ base: 'xs', sm: 'md' }}>
              <StatCard
                label="Sessions"
                value={formatCount(overview.sessions)}
                change={formatChange(overview.sessions, previous?.sessions)}
              />
              <StatCard
                label="Events"
                value={formatCount(overview.events)}
                change={formatChange(overview.events, previous?.events)}
              />
              <StatCard
                label="Users"
                value={formatCount(overview.users)}
                change={formatChange(overview.users, previous?.users)}
              />
              <StatCard
                label="Errors"
                value={formatCount(overview.errors)}
                change={formatChange(overview.errors, previous?.errors)}
                better="down"
              />
              <StatCard
                label="Avg session duration"
                value={formatDuration(overview.avgSessionDurationMs)}
                change={formatChange(overview.avgSessionDurationMs, previous?.avgSessionDurationMs, formatDuration)}
              />
            </SimpleGrid>
            <Text size="xs" c="dimmed">
              Changes compare with the previous period of the same length: {formatPeriod(previousRange)}.
            </Text>
          </Stack>
          <Paper withBorder radius="md" p="md">
            <Group justify="space-between" align="center" mb="sm" gap="xs">
              <Title order={2} size="h4">
                Sessions and events
              </Title>
              <Group gap="sm">
                <Switch
                  label="Show the previous period"
                  checked={params.showPrevious}
                  onChange={(event) => {
                    params.setShowPrevious(event.currentTarget.checked);
                  }}
                />
                <CsvButton
                  scopes={scopes}
                  label="Download the series as CSV"
                  fileName={csvFileName('overview-series', variables.range)}
                  header={['at', 'sessions', 'events']}
                  rows={() => overview.series.map((point) => [point.at, point.sessions, point.events])}
                />
              </Group>
            </Group>
            <OverviewChart
              series={overview.series}
              previous={previous?.series ?? null}
              showPrevious={params.showPrevious}
              annotations={annotations}
              hourly={params.interval === Interval.HOUR}
              range={params.range}
            />
          </Paper>
          <BreakdownPanel variables={variables} scopes={scopes} fileLabel="overview" />
          <Paper withBorder radius="md" p="md" component="section" aria-labelledby="annotations-heading">
            <Title order={2} size="h4" mb="sm" id="annotations-heading">
              Annotations
            </Title>
            {annotations.length ? (
              <List spacing={4} size="sm">
                {annotations.map((a) => (
                  <List.Item key={a.id}>
                    <Group gap="xs" wrap="nowrap" align="baseline">
                      <Text span size="sm">
                        <Text span size="sm" c="dimmed">
                          {formatDateTime(a.at)}
                        </Text>{' '}
                        {a.text}
                      </Text>
                      {mayAnnotate ? (
                        <Group gap={4} wrap="nowrap">
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            leftSection={<IconPencil size={14} aria-hidden />}
                            aria-label={`Edit annotation ${a.text}`}
                            onClick={() => {
                              setEditing(a);
                            }}
                          >
                            Edit
                          </Button>
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            color="red"
                            leftSection={<IconTrash size={14} aria-hidden />}
                            aria-label={`Delete annotation ${a.text}`}
                            onClick={() => {
                              setDeleting(a);
                            }}
                          >
                            Delete
                          </Button>
                        </Group>
                      ) : null}
                    </Group>
                  </List.Item>
                ))}
              </List>
            ) : (
              <Text size="sm" c="dimmed">
                No annotations in this range.
              </Text>
            )}
          </Paper>
        </Stack>
      )}
    </QueryContent>
  );

  return (
    <>
      <PageHeader
        title="Overview"
        documentTitle={`Overview · ${workspace.name}`}
        description="Sessions, events, users and errors in this workspace at a glance."
        actions={
          mayView && mayAnnotate ? (
            <Button
              leftSection={<IconPlus size={16} aria-hidden />}
              onClick={() => {
                setAnnotating(true);
              }}
            >
              Add annotation
            </Button>
          ) : null
        }
      />
      {mayView ? (
        <>
          <AnalyticsToolbar
            params={params}
            withInterval
            actions={<ExportButton workspaceId={workspace.id} scopes={scopes} params={params} />}
          />
          <AnalyticsFilters workspaceId={workspace.id} scopes={scopes} params={params} />
        </>
      ) : null}
      {content}
      {mayAnnotate ? (
        <AddAnnotationModal
          workspaceId={workspace.id}
          opened={annotating}
          onClose={(created) => {
            setAnnotating(false);
            if (created) refetchAnnotations();
          }}
        />
      ) : null}
      {mayAnnotate ? (
        <>
          <AddAnnotationModal
            key={editing?.id ?? 'none'}
            workspaceId={workspace.id}
            opened={editing !== null}
            annotation={editing}
            onClose={(saved) => {
              setEditing(null);
              if (saved) refetchAnnotations();
            }}
          />
          <DeleteAnnotationModal
            workspaceId={workspace.id}
            target={deleting}
            onClose={(deleted) => {
              setDeleting(null);
              if (deleted) refetchAnnotations();
            }}
          />
        </>
      ) : null}
    </>
  );
}
