import { useQuery } from '@apollo/client/react';
import { Anchor, Box, Group, Paper, SimpleGrid, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { Interval, Scope, can, type EventFilter } from '@tally/shared';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { workspacePath } from '../../app/paths';
import { TimeSeriesChart } from '../../app/ui/charts/time-series-chart';
import { formatDateTime } from '../../app/ui/dates';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import {
  AnalyticsToolDocument,
  AnalyticsToolSeriesDocument,
  type AnalyticsToolSeriesQuery,
  AnalyticsToolSessionsDocument,
} from '../../graphql/generated';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { formatBucket, formatCount, formatDuration, formatRate } from './analytics-format';
import { AnalyticsBody, AnalyticsControls } from './analytics-page-frame';
import { partialBuckets } from './analytics-range';
import { ANALYTICS_FETCH, type AnalyticsParams, analyticsVariables, useAnalyticsParams } from './analytics-params';
import { BreakdownPanel } from './breakdown-panel';
import { CsvButton, csvFileName } from './csv-button';
import { fileSafe } from './csv';
import { ChangeText, countChange, durationChange, rateChange } from './usage-change';

/** /w/:workspaceId/tools/:name — one tool's (event name's) numbers over the range and filters. */
export function ToolPage() {
  const workspace = useCurrentWorkspace();
  const { name = '' } = useParams();
  return <Tool key={`${workspace.id}:${name}`} workspace={workspace} name={name} />;
}

/** The page's analytics variables with the tool's name as a names filter (with the saved filter, both apply). */
function toolVariables(workspaceId: string, params: AnalyticsParams, name: string) {
  const base = analyticsVariables(workspaceId, params);
  const filter: EventFilter = { ...(base.filter ?? {}), names: [name] };
  return { ...base, filter };
}

function StatCard({ label, value, change }: { label: string; value: string; change?: ReactNode }) {
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label={label}>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={24} fw={700} lh={1.2}>
        {value}
      </Text>
      {change ? <Box mt={4}>{change}</Box> : null}
    </Paper>
  );
}

function Tool({ workspace, name }: { workspace: WorkspaceSummary; name: string }) {
  const params = useAnalyticsParams();
  const mayView = can(workspace.viewerScopes, Scope.ANALYTICS_VIEW);
  const variables = toolVariables(workspace.id, params, name);
  const stats = useQuery(AnalyticsToolDocument, { variables, ...ANALYTICS_FETCH, skip: !mayView });
  const rows = stats.data?.workspace?.analytics.toolsUsage.filter((row) => row.name === name);
  const hourly = params.interval === Interval.HOUR;
  const toolsHref = `${workspacePath(workspace.id, 'tools')}${params.search}`;

  const content = (
    <QueryContent
      data={rows}
      error={stats.error}
      refetch={stats.refetch}
      errorTitle={`${name} couldn't be loaded`}
      loadingLabel={`Loading ${name}…`}
      isEmpty={(loaded) => loaded.length === 0}
      empty={
        <Paper withBorder radius="md" p="xl" maw={640}>
          <Title order={2} size="h4" mb="xs">
            No events named {name} in this range
          </Title>
          <Text size="sm" c="dimmed">
            Try a longer range or fewer filters, or go back to{' '}
            <Anchor component={Link} to={toolsHref}>
              Tools & Usage
            </Anchor>
            .
          </Text>
        </Paper>
      }
    >
      {(rows) => {
        const count = rows.reduce((sum, row) => sum + row.count, 0);
        const [row] = rows;
        return (
          <Stack gap="lg">
            {rows.length > 1 ? (
              <Text size="sm" c="dimmed">
                Sent with {rows.length} types ({rows.map((r) => r.type).join(', ')}); the numbers below add them up.
              </Text>
            ) : null}
            {row ? (
              <SimpleGrid cols={{ base: 2, md: 5 }}>
                <StatCard
                  label="Calls"
                  value={formatCount(count)}
                  change={
                    rows.length === 1 ? <ChangeText change={countChange(row.count, row.previousCount)} /> : undefined
                  }
                />
                <StatCard label="Sessions" value={formatCount(rows.reduce((sum, r) => sum + r.sessions, 0))} />
                <StatCard
                  label="Error rate"
                  value={formatRate(row.errorRate)}
                  change={<ChangeText change={rateChange(row.errorRate, row.previousErrorRate)} better="down" />}
                />
                <StatCard label="Avg duration" value={formatDuration(row.avgDurationMs)} />
                <StatCard
                  label="p95 duration"
                  value={formatDuration(row.p95DurationMs)}
                  change={
                    <ChangeText change={durationChange(row.p95DurationMs, row.previousP95DurationMs)} better="down" />
                  }
                />
              </SimpleGrid>
            ) : null}
            <ToolSeries
              workspace={workspace}
              name={name}
              variables={variables}
              interval={params.interval}
              hourly={hourly}
            />
            <BreakdownPanel
              variables={variables}
              scopes={workspace.viewerScopes}
              fileLabel={`tool-${fileSafe(name)}`}
            />
            <ToolSessions workspaceId={workspace.id} name={name} variables={variables} search={params.search} />
          </Stack>
        );
      }}
    </QueryContent>
  );

  return (
    <>
      <Anchor component={Link} to={toolsHref} size="sm" mb="xs" style={{ display: 'inline-flex', gap: 4 }}>
        <IconArrowLeft size={16} aria-hidden />
        Tools & Usage
      </Anchor>
      <PageHeader
        title={name}
        documentTitle={`${name} · Tools & Usage · ${workspace.name}`}
        description="This tool's calls, p95 duration and error rate over time, its top property values and its sessions."
      />
      <AnalyticsBody
        workspace={workspace}
        mayView={mayView}
        controls={
          <AnalyticsControls workspace={workspace} scopes={workspace.viewerScopes} params={params} withInterval />
        }
      >
        {content}
      </AnalyticsBody>
    </>
  );
}

type ToolVariables = ReturnType<typeof toolVariables>;

function ChartFigure({ id, caption, children }: { id: string; caption: string; children: ReactNode }) {
  return (
    <Box component="figure" m={0} aria-labelledby={id}>
      <VisuallyHidden component="figcaption" id={id}>
        {caption}
      </VisuallyHidden>
      {children}
    </Box>
  );
}

interface ToolSeriesProps {
  workspace: WorkspaceSummary;
  name: string;
  variables: ToolVariables;
  interval: Interval;
  hourly: boolean;
}

/** Calls and sessions, p95 duration and error rate per bucket; the series as CSV. */
function ToolSeries(props: ToolSeriesProps) {
  const { variables, interval } = props;
  const { data, error, refetch } = useQuery(AnalyticsToolSeriesDocument, {
    variables: { ...variables, interval },
    ...ANALYTICS_FETCH,
  });
  return (
    <QueryContent
      data={data?.workspace?.analytics}
      error={error}
      refetch={refetch}
      errorTitle="The series couldn't be loaded"
      loadingLabel="Loading the series…"
    >
      {(analytics) => <ToolCharts {...props} analytics={analytics} />}
    </QueryContent>
  );
}

type ToolSeriesData = NonNullable<AnalyticsToolSeriesQuery['workspace']>['analytics'];

/** An axis tick in seconds: 0, 0.5, 1.25 (at most two decimals). */
function formatSeconds(seconds: number): string {
  return String(Math.round(seconds * 100) / 100);
}

/** An axis tick in percent: 0, 2.5, 10 (at most one decimal). */
function formatPercent(percent: number): string {
  return String(Math.round(percent * 10) / 10);
}

function ToolCharts({
  analytics,
  workspace,
  name,
  variables,
  hourly,
}: ToolSeriesProps & { analytics: ToolSeriesData }) {
  const unit = hourly ? 'hour' : 'day';
  const calls = analytics.overview.series;
  const timing = analytics.durationSeries;
  const callCount = calls.reduce((sum, point) => sum + point.events, 0);
  // The first and last buckets the range covers only in part are shaded, as on Overview.
  const partial = partialBuckets(analytics.overview.series, variables.range, hourly);
  const shade = (count: number): Array<[number, number]> => [
    ...(partial.first && count > 1 ? [[0, 1] as [number, number]] : []),
    ...(partial.last && count > 1 ? [[count - 2, count - 1] as [number, number]] : []),
  ];
  const partialNote =
    partial.first || partial.last
      ? `Shaded: the ${partial.first && partial.last ? `first and last ${unit}s are` : `${partial.first ? 'first' : 'last'} ${unit} is`} only partly in the range.`
      : null;
  const timed = analytics.durationSeries.filter((point) => point.p95DurationMs !== null);
  const worst = timed.reduce<number | null>((max, point) => Math.max(max ?? 0, point.p95DurationMs ?? 0), null);
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="tool-series-heading">
      <Group justify="space-between" mb="sm" gap="sm">
        <Title order={2} size="h4" id="tool-series-heading">
          Over time
        </Title>
        <CsvButton
          scopes={workspace.viewerScopes}
          label={`Download the series of ${name} as CSV`}
          fileName={csvFileName(`tool-${fileSafe(name)}-series`, variables.range)}
          header={['at', 'calls', 'sessions', 'errors', 'errorRate', 'p95DurationMs']}
          rows={() =>
            analytics.durationSeries.map((point, i) => [
              point.at,
              point.count,
              analytics.overview.series[i]?.sessions ?? null,
              point.errors,
              point.errorRate,
              point.p95DurationMs ?? null,
            ])
          }
        />
      </Group>
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
        <ChartFigure
          id="tool-calls-caption"
          caption={`Calls and sessions of ${name} per ${unit}: ${String(callCount)} calls over ${String(calls.length)} ${unit}s.`}
        >
          <Text size="sm" fw={600} mb={4} aria-hidden>
            Calls and sessions
          </Text>
          <TimeSeriesChart
            data={calls}
            xLabel={(point) => formatBucket(point.at, hourly)}
            series={[
              { key: 'calls', label: 'Calls', color: 'indigo.6', value: (point) => point.events },
              { key: 'sessions', label: 'Sessions', color: 'teal.6', value: (point) => point.sessions },
            ]}
            height={170}
            label={`Calls and sessions per ${unit}: the arrow keys step through the ${unit}s`}
            left={{ format: formatCount, integer: true }}
            shaded={shade(calls.length)}
            legend
            dots
          />
        </ChartFigure>
        <ChartFigure
          id="tool-timing-caption"
          caption={`p95 duration and error rate of ${name} per ${unit}: p95 at most ${formatDuration(worst)} over ${String(timed.length)} ${unit}s with durations.`}
        >
          <Text size="sm" fw={600} mb={4} aria-hidden>
            p95 duration and error rate
          </Text>
          <TimeSeriesChart
            data={timing}
            xLabel={(point) => formatBucket(point.at, hourly)}
            series={[
              {
                key: 'p95',
                label: 'p95 duration',
                color: 'grape.7',
                kind: 'line',
                value: (point) => (point.p95DurationMs === null ? null : point.p95DurationMs / 1000),
                format: (seconds) => formatDuration(seconds * 1000),
              },
              {
                key: 'error-rate',
                label: 'Error rate',
                color: 'red.7',
                kind: 'line',
                axis: 'right',
                value: (point) => (point.count > 0 ? point.errorRate * 100 : null),
                format: (percent) => formatRate(percent / 100),
              },
            ]}
            height={170}
            label={`p95 duration and error rate per ${unit}: the arrow keys step through the ${unit}s`}
            left={{ label: 'p95 (s)', format: formatSeconds }}
            right={{ label: 'Errors (%)', format: formatPercent }}
            shaded={shade(timing.length)}
            legend
            dots
          />
        </ChartFigure>
      </SimpleGrid>
      {partialNote ? (
        <Text size="xs" c="dimmed" mt={4}>
          {partialNote}
        </Text>
      ) : null}
    </Paper>
  );
}

/** The newest sessions that used the tool, and the whole list (Sessions with the names filter). */
function ToolSessions({
  workspaceId,
  name,
  variables,
  search,
}: {
  workspaceId: string;
  name: string;
  variables: ToolVariables;
  search: string;
}) {
  const { data, error, refetch } = useQuery(AnalyticsToolSessionsDocument, {
    variables,
    ...ANALYTICS_FETCH,
  });
  const connection = data?.workspace?.analytics.sessions;
  const all = new URLSearchParams(search);
  all.set('names', name);
  all.delete('saved');
  const listHref = `${workspacePath(workspaceId, 'sessions')}?${all.toString()}`;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="tool-sessions-heading">
      <Group justify="space-between" mb="sm" gap="sm">
        <Title order={2} size="h4" id="tool-sessions-heading">
          Sessions
        </Title>
        <Anchor component={Link} to={listHref} size="sm">
          All sessions with {name}
        </Anchor>
      </Group>
      <QueryContent
        data={connection}
        error={error}
        refetch={refetch}
        errorTitle="The sessions couldn't be loaded"
        loadingLabel="Loading sessions…"
        isEmpty={(loaded) => loaded.nodes.length === 0}
        empty={
          <Text size="sm" c="dimmed">
            No session started in this range with {name}.
          </Text>
        }
      >
        {(connection) => (
          <Stack component="ul" gap="xs" m={0} p={0} style={{ listStyle: 'none' }} aria-label={`Sessions with ${name}`}>
            {connection.nodes.map((session) => (
              <Group component="li" key={session.id} justify="space-between" gap="xs" wrap="wrap">
                <Anchor
                  component={Link}
                  to={`${workspacePath(workspaceId, 'sessions')}/${encodeURIComponent(session.id)}${search}`}
                  size="sm"
                  style={{ overflowWrap: 'break-word', minWidth: 0 }}
                >
                  {session.userId ?? 'Anonymous'} · {formatDateTime(session.startedAt)}
                </Anchor>
                <Text size="sm" c="dimmed">
                  {formatCount(session.eventCount)} {session.eventCount === 1 ? 'event' : 'events'} ·{' '}
                  {formatCount(session.errorCount)} {session.errorCount === 1 ? 'error' : 'errors'} ·{' '}
                  {formatDuration(session.durationMs)}
                </Text>
              </Group>
            ))}
          </Stack>
        )}
      </QueryContent>
    </Paper>
  );
}
