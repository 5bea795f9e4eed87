import { useApolloClient, useQuery } from '@apollo/client/react';
import { Box, Button, Group, Paper, Switch, Text, Title } from '@mantine/core';
import { useDocumentVisibility } from '@mantine/hooks';
import { Scope, can } from '@tally/shared';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useCurrentWorkspace } from '../../app/layout/workspace-context';
import { ErrorAlert } from '../../app/ui/error-state';
import { PageHeader } from '../../app/ui/page-header';
import { QueryContent } from '../../app/ui/query-content';
import {
  type AnalyticsEventFieldsFragment,
  AnalyticsActivityDocument,
  AnalyticsLiveActivityDocument,
} from '../../graphql/generated';
import type { WorkspaceSummary } from '../workspaces/workspace-list';
import { formatCount } from './analytics-format';
import { AnalyticsFilters } from './analytics-filters';
import { AnalyticsBody, AnalyticsControls } from './analytics-page-frame';
import { ANALYTICS_FETCH, type AnalyticsParams, useAnalyticsParams } from './analytics-params';
import { aheadForPolling } from './analytics-range';
import { ActivityList } from './activity-list';
import { LIVE_MAX_EVENTS, LIVE_POLL_MS, lastMinuteRange, liveRange, mergeLive } from './live-activity';
import { sessionPath } from './sessions-page';

/** How often the list refreshes while the tab is visible (not live). */
export const ACTIVITY_POLL_MS = 10_000;
const PAGE = 25;
/** The server's cap of `first`. */
const MAX_FIRST = 100;

export function ActivityPage() {
  const workspace = useCurrentWorkspace();
  return <Activity key={workspace.id} workspace={workspace} />;
}

/** Live mode, kept in the address (`?live=1`) so a link or a reload keeps it. */
function useLive(): [boolean, (live: boolean) => void] {
  const [params, setParams] = useSearchParams();
  const live = params.get('live') === '1';
  const setLive = useCallback(
    (next: boolean) => {
      setParams(
        (prev) => {
          const updated = new URLSearchParams(prev);
          if (next) updated.set('live', '1');
          else updated.delete('live');
          return updated;
        },
        { replace: true },
      );
    },
    [setParams],
  );
  return [live, setLive];
}

function Activity({ workspace }: { workspace: WorkspaceSummary }) {
  const params = useAnalyticsParams();
  const [live, setLive] = useLive();
  const mayView = can(workspace.viewerScopes, Scope.ANALYTICS_VIEW);
  const toggle = (
    <Switch
      label="Live"
      checked={live}
      onChange={(event) => {
        setLive(event.currentTarget.checked);
      }}
      size="md"
    />
  );
  return (
    <>
      <PageHeader
        title="Activity"
        documentTitle={`Activity · ${workspace.name}`}
        description={
          live
            ? 'New events appear at the top as they arrive.'
            : `The latest events in this workspace, newest first; refreshed every ${String(ACTIVITY_POLL_MS / 1000)} seconds while this tab is open.`
        }
        actions={mayView ? toggle : undefined}
      />
      {live ? (
        <AnalyticsBody
          workspace={workspace}
          mayView={mayView}
          // No date range in live mode: it shows what arrives now. The filters still apply.
          controls={<AnalyticsFilters workspaceId={workspace.id} scopes={workspace.viewerScopes} params={params} />}
        >
          {/* Another filter: a new list from the start. */}
          <LiveActivity
            key={JSON.stringify([params.savedFilterId ? null : params.filter, params.savedFilterId])}
            workspace={workspace}
            params={params}
          />
        </AnalyticsBody>
      ) : (
        <AnalyticsBody
          workspace={workspace}
          mayView={mayView}
          controls={<AnalyticsControls workspace={workspace} scopes={workspace.viewerScopes} params={params} />}
        >
          <RangeActivity workspace={workspace} params={params} mayView={mayView} />
        </AnalyticsBody>
      )}
    </>
  );
}

function NoEvents({ title, children }: { title: string; children: string }) {
  return (
    <Paper withBorder radius="md" p="xl" maw={640}>
      <Title order={2} size="h4" mb="xs">
        {title}
      </Title>
      <Text size="sm" c="dimmed">
        {children}
      </Text>
    </Paper>
  );
}

/** The events of the chosen range, newest first, the whole page refreshed now and then. */
function RangeActivity({
  workspace,
  params,
  mayView,
}: {
  workspace: WorkspaceSummary;
  params: AnalyticsParams;
  mayView: boolean;
}) {
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
    // Polls ask the network whatever the policy; a change of range or filter asks once.
    ...ANALYTICS_FETCH,
    pollInterval: visible ? ACTIVITY_POLL_MS : 0,
    skip: !mayView,
  });
  const connection = (data ?? previousData)?.workspace?.analytics.activity;

  return (
    <QueryContent
      data={connection}
      error={error}
      refetch={refetch}
      errorTitle="Activity couldn't be loaded"
      loadingLabel="Loading activity…"
      isEmpty={(loaded) => loaded.nodes.length === 0}
      empty={
        <NoEvents title="No events in this range">
          Events appear here within seconds of your SDKs sending them; this page refreshes on its own.
        </NoEvents>
      }
    >
      {(connection) => (
        <>
          <ActivityList events={connection.nodes} sessionLink={(id) => sessionPath(workspace.id, id, params.search)} />
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
        </>
      )}
    </QueryContent>
  );
}

interface LiveState {
  events: AnalyticsEventFieldsFragment[];
  /** Ids that arrived after the first answer: marked as new. */
  fresh: Set<string>;
  lastMinute: number | null;
  loaded: boolean;
  error: unknown;
}

const EMPTY: LiveState = { events: [], fresh: new Set(), lastMinute: null, loaded: false, error: null };

/**
 * Live mode: asks every few seconds, while the tab is visible, for the events newer than the
 * newest shown (never the whole list again) and for the count of the last minute; what arrives
 * goes on top. Polling stops while the tab is hidden and resumes when it is shown.
 */
function LiveActivity({ workspace, params }: { workspace: WorkspaceSummary; params: AnalyticsParams }) {
  const client = useApolloClient();
  const visible = useDocumentVisibility() === 'visible';
  const filter = params.savedFilterId ? null : params.filter;
  const savedFilterId = params.savedFilterId;
  const [state, setState] = useState<LiveState>(EMPTY);
  // What is shown, for the next request's range (read in the timer, not a dependency of it).
  const shown = useRef<AnalyticsEventFieldsFragment[]>([]);

  useEffect(() => {
    if (!visible) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      const now = Date.now();
      try {
        const result = await client.query({
          query: AnalyticsLiveActivityDocument,
          variables: {
            workspaceId: workspace.id,
            range: liveRange(shown.current, now),
            lastMinute: lastMinuteRange(now),
            filter,
            savedFilterId,
            first: LIVE_MAX_EVENTS,
          },
          fetchPolicy: 'no-cache',
        });
        if (stopped) return;
        const ws = result.data?.workspace;
        const arrived = ws?.analytics.activity.nodes ?? [];
        const first = shown.current.length === 0;
        const merged = mergeLive(shown.current, arrived);
        const known = new Set(shown.current.map((e) => e.id));
        shown.current = merged;
        setState((previous) => ({
          events: merged,
          fresh: first
            ? previous.fresh
            : new Set([...previous.fresh, ...arrived.filter((e) => !known.has(e.id)).map((e) => e.id)]),
          lastMinute: ws?.lastMinute.overview.events ?? previous.lastMinute,
          loaded: true,
          error: null,
        }));
      } catch (error) {
        if (stopped) return;
        setState((previous) => ({ ...previous, loaded: true, error }));
      }
      if (!stopped) timer = setTimeout(() => void tick(), LIVE_POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [client, workspace.id, filter, savedFilterId, visible]);

  const status = (
    <Group gap="xs" mb="md" wrap="wrap">
      <Box
        aria-hidden
        w={10}
        h={10}
        style={{
          borderRadius: '50%',
          background: visible ? 'var(--mantine-color-green-filled)' : 'var(--mantine-color-gray-5)',
        }}
      />
      <Text size="sm" fw={600} data-testid="live-last-minute">
        {state.lastMinute === null
          ? 'Counting the last minute…'
          : `${formatCount(state.lastMinute)} ${state.lastMinute === 1 ? 'event' : 'events'} in the last minute`}
      </Text>
      <Text size="sm" c="dimmed">
        {visible ? `Live: checks every ${String(LIVE_POLL_MS / 1000)} seconds.` : 'Paused while this tab is hidden.'}
      </Text>
    </Group>
  );

  // A failure before any event is the page's error; one after is the alert over the events shown.
  const failedEmpty = state.events.length === 0 && Boolean(state.error);
  const content = (
    <QueryContent
      data={state.loaded && !failedEmpty ? state.events : undefined}
      error={state.error}
      errorTitle="Activity couldn't be loaded"
      loadingLabel="Loading activity…"
      isEmpty={(events) => events.length === 0}
      empty={
        <NoEvents title="Waiting for events">
          Nothing arrived in the last day yet; new events appear here within seconds of your SDKs sending them.
        </NoEvents>
      }
    >
      {(events) => (
        <>
          {state.error ? <ErrorAlert error={state.error} title="New events couldn't be loaded; trying again" /> : null}
          <ActivityList
            events={events}
            fresh={state.fresh}
            sessionLink={(id) => sessionPath(workspace.id, id, params.search)}
          />
          <Text size="sm" c="dimmed" ta="center" mt="md">
            The newest {LIVE_MAX_EVENTS} events stay on screen; turn Live off to browse a range.
          </Text>
        </>
      )}
    </QueryContent>
  );
  return (
    <>
      {status}
      {content}
    </>
  );
}
