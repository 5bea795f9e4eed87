import { useQuery } from '@apollo/client/react';
import { Autocomplete, Button, Group, Paper, Select, Table, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import type { EventFilter } from '@tally/shared';
import { useId } from 'react';
import { useSearchParams } from 'react-router';
import { QueryContent } from '../../app/ui/query-content';
import { AnalyticsBreakdownDocument } from '../../graphql/generated';
import { formatCount, formatRate } from './analytics-format';
import { ANALYTICS_FETCH } from './analytics-params';
import { CsvButton, csvFileName } from './csv-button';

type Kind = 'session' | 'property';

const KINDS: ReadonlyArray<{ value: Kind; label: string }> = [
  { value: 'session', label: 'Session attribute' },
  { value: 'property', label: 'Event property' },
];

/** Keys SDKs commonly send, offered as suggestions; any other key can be typed. */
const SUGGESTIONS: Record<Kind, string[]> = {
  session: ['app', 'version', 'plan', 'referrer', 'os'],
  property: ['plan', 'referrer', 'model', 'client', 'path'],
};

/** The address keeps the breakdown: `by=session:app` or `by=property:plan`. */
const PARAM = 'by';
const DEFAULT: { kind: Kind; key: string } = { kind: 'session', key: 'app' };

function readBy(raw: string | null): { kind: Kind; key: string } {
  const at = raw?.indexOf(':') ?? -1;
  if (!raw || at < 0) return DEFAULT;
  const kind = raw.slice(0, at);
  const key = raw.slice(at + 1).trim();
  if ((kind !== 'session' && kind !== 'property') || !key || key.length > 200) return DEFAULT;
  return { kind, key };
}

interface BreakdownPanelProps {
  /** The analytics variables of the page (its range, filter and saved filter). */
  variables: {
    workspaceId: string;
    range: { from: string; to: string };
    filter: EventFilter | null;
    savedFilterId: string | null;
  };
  scopes: readonly string[];
  /** Part of the CSV file's name (`overview`, `tool-search`). */
  fileLabel: string;
}

/**
 * "Break down by" a session attribute (app, version, plan, referrer, …) or an event property: the
 * top values of the range and filters with their events, sessions and error rate ("Not set" for
 * events without it), as a table and as CSV.
 */
export function BreakdownPanel({ variables, scopes, fileLabel }: BreakdownPanelProps) {
  const [params, setParams] = useSearchParams();
  const by = readBy(params.get(PARAM));
  const form = useForm({ initialValues: by });
  const { kind } = form.values;
  const headingId = useId();
  const { data, error, loading, refetch } = useQuery(AnalyticsBreakdownDocument, {
    variables: {
      workspaceId: variables.workspaceId,
      range: variables.range,
      filter: variables.filter,
      savedFilterId: variables.savedFilterId,
      by: by.kind === 'property' ? { property: by.key } : { sessionAttribute: by.key },
    },
    ...ANALYTICS_FETCH,
  });
  const rows = data?.workspace?.analytics.breakdown;
  const what = `${by.kind === 'property' ? 'property' : 'session attribute'} ${by.key}`;

  function apply(nextKind: Kind, nextKey: string) {
    const trimmed = nextKey.trim();
    if (!trimmed) return;
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        next.set(PARAM, `${nextKind}:${trimmed}`);
        return next;
      },
      { replace: true },
    );
  }

  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby={headingId}>
      <Group justify="space-between" align="flex-end" mb="sm" gap="sm">
        <Title order={2} size="h4" id={headingId}>
          Break down by
        </Title>
        {rows?.length ? (
          <CsvButton
            scopes={scopes}
            label={`Download the breakdown by ${what} as CSV`}
            fileName={csvFileName(`${fileLabel}-by-${by.key}`, variables.range)}
            header={['value', 'events', 'sessions', 'errorRate']}
            rows={() => rows.map((row) => [row.value, row.count, row.sessions, row.errorRate])}
          />
        ) : null}
      </Group>
      <form
        onSubmit={form.onSubmit((values) => {
          apply(values.kind, values.key);
        })}
      >
        <Group align="flex-end" gap="sm" mb="md">
          <Select
            label="Break down by"
            data={KINDS.map((k) => ({ value: k.value, label: k.label }))}
            value={kind}
            allowDeselect={false}
            onChange={(value) => {
              if (value === 'session' || value === 'property') form.setFieldValue('kind', value);
            }}
            w={190}
          />
          <Autocomplete
            label="Key"
            data={SUGGESTIONS[kind]}
            {...form.getInputProps('key')}
            onOptionSubmit={(value) => {
              apply(kind, value);
            }}
            maxLength={200}
            w={190}
          />
          <Button type="submit" variant="light">
            Show
          </Button>
        </Group>
      </form>
      <QueryContent
        data={rows}
        error={error}
        refetch={refetch}
        errorTitle="The breakdown couldn't be loaded"
        loadingLabel="Loading the breakdown…"
        isEmpty={(loaded) => loaded.length === 0}
        empty={
          <Text size="sm" c="dimmed">
            No events in this range.
          </Text>
        }
      >
        {(rows) => (
          <Table verticalSpacing="xs" striped aria-label={`Top values of ${what}`} aria-busy={loading}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Value</Table.Th>
                <Table.Th ta="right">Events</Table.Th>
                <Table.Th ta="right">Sessions</Table.Th>
                <Table.Th ta="right">Error rate</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.value ?? '\u0000'}>
                  <Table.Td style={{ overflowWrap: 'break-word' }}>
                    {row.value === null ? (
                      <Text span size="sm" c="dimmed" fs="italic">
                        Not set
                      </Text>
                    ) : (
                      row.value
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{formatCount(row.count)}</Table.Td>
                  <Table.Td ta="right">{formatCount(row.sessions)}</Table.Td>
                  <Table.Td ta="right">{formatRate(row.errorRate)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryContent>
    </Paper>
  );
}
