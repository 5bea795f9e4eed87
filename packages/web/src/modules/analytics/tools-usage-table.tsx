import { Anchor, Box, Button, Group, Paper, SimpleGrid, Stack, Table, Text, UnstyledButton } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconArrowsSort } from '@tabler/icons-react';
import { type ReactNode, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { Breakable } from '../../app/ui/breakable';
import { useContainerWidth } from '../../app/ui/use-container-width';
import type { AnalyticsToolsUsageQuery } from '../../graphql/generated';
import { formatCount, formatDuration, formatRate } from './analytics-format';
import { ChangeText, countChange, rateChange } from './usage-change';

export type UsageRow = NonNullable<AnalyticsToolsUsageQuery['workspace']>['analytics']['toolsUsage'][number];
type SortKey = 'name' | 'type' | 'count' | 'change' | 'sessions' | 'errorRate' | 'avgDurationMs' | 'p95DurationMs';

const COLUMNS: ReadonlyArray<{ key: SortKey; label: string; numeric: boolean }> = [
  { key: 'name', label: 'Name', numeric: false },
  { key: 'type', label: 'Type', numeric: false },
  { key: 'count', label: 'Count', numeric: true },
  { key: 'change', label: 'Change', numeric: true },
  { key: 'sessions', label: 'Sessions', numeric: true },
  { key: 'errorRate', label: 'Error rate', numeric: true },
  { key: 'avgDurationMs', label: 'Avg duration', numeric: true },
  { key: 'p95DurationMs', label: 'p95 duration', numeric: true },
];

/** Below this width the table's columns do not fit: one card per name instead. */
const TABLE_MIN_WIDTH = 760;

/** The names the page asks for (tools-usage.graphql's `limit`, the server's cap). */
export const USAGE_ROWS_ASKED = 500;
/** The names listed before "Show all". */
const SHOWN_FIRST = 50;

/** The count's change as a number to sort by: new names above every change, then by ratio. */
function changeRatio(row: UsageRow): number {
  if (row.previousCount === null || row.previousCount === undefined || row.previousCount === 0) {
    return row.count > 0 ? Number.POSITIVE_INFINITY : -1;
  }
  return (row.count - row.previousCount) / row.previousCount;
}

function compare(a: UsageRow, b: UsageRow, key: SortKey): number {
  if (key === 'change') {
    const x = changeRatio(a);
    const y = changeRatio(b);
    return x === y ? 0 : x < y ? -1 : 1;
  }
  const x = a[key];
  const y = b[key];
  if (typeof x === 'string' && typeof y === 'string') return x.localeCompare(y);
  // No duration sorts below every duration.
  return (typeof x === 'number' ? x : -1) - (typeof y === 'number' ? y : -1);
}

interface ToolsUsageTableProps {
  rows: readonly UsageRow[];
  /** The address of a name's own page (its range and filters carried). */
  toolHref: (name: string) => string;
  /** Beside the caption: the CSV of these rows. */
  actions?: ReactNode;
}

/**
 * Every event name with its numbers and its change against the previous period; each column
 * header sorts (again: the other way); a name opens its own page. Cards where the columns do not
 * fit (phones), with every number of the row.
 */
export function ToolsUsageTable({ rows, toolHref, actions }: ToolsUsageTableProps) {
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'count', descending: true });
  const [containerRef, width] = useContainerWidth<HTMLDivElement>();
  const sorted = useMemo(() => {
    const copy = [...rows];
    copy.sort((a, b) => compare(a, b, sort.key) * (sort.descending ? -1 : 1) || a.name.localeCompare(b.name));
    return copy;
  }, [rows, sort]);
  // Hundreds of names render on request: the first SHOWN_FIRST of the sort, then all of them.
  const [showAll, setShowAll] = useState(false);
  const visible = showAll ? sorted : sorted.slice(0, SHOWN_FIRST);
  const caption =
    rows.length >= USAGE_ROWS_ASKED
      ? `The ${formatCount(rows.length)} most used event names in this range, compared with the period before`
      : `${formatCount(rows.length)} event ${rows.length === 1 ? 'name' : 'names'} in this range, compared with the period before`;
  const more =
    visible.length < sorted.length ? (
      <Button
        variant="light"
        mt="sm"
        onClick={() => {
          setShowAll(true);
        }}
      >
        {`Show all ${formatCount(sorted.length)} names`}
      </Button>
    ) : null;

  let content: ReactNode = null;
  if (width !== null && width < TABLE_MIN_WIDTH) {
    content = (
      <Stack gap="sm">
        <Group justify="space-between" gap="xs">
          <Text size="sm" c="dimmed">
            {caption}
          </Text>
          {actions}
        </Group>
        <UsageCards rows={visible} toolHref={toolHref} />
        {more}
      </Stack>
    );
  } else if (width !== null) {
    content = (
      <Table striped highlightOnHover verticalSpacing="xs">
        <caption style={{ captionSide: 'top', textAlign: 'left' }}>
          <Group justify="space-between" gap="xs" component="span" mb="xs">
            <Text size="sm" c="dimmed" component="span">
              {caption}
            </Text>
            {actions}
          </Group>
        </caption>
        <Table.Thead>
          <Table.Tr>
            {COLUMNS.map((column) => {
              const active = sort.key === column.key;
              const SortIcon = active ? (sort.descending ? IconArrowDown : IconArrowUp) : IconArrowsSort;
              return (
                <Table.Th
                  key={column.key}
                  ta={column.numeric ? 'right' : 'left'}
                  aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <UnstyledButton
                    fw={600}
                    fz="sm"
                    onClick={() => {
                      setSort((prev) => ({
                        key: column.key,
                        descending: prev.key === column.key ? !prev.descending : column.numeric,
                      }));
                    }}
                    style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}
                  >
                    {column.label}
                    <SortIcon size={14} aria-hidden />
                  </UnstyledButton>
                </Table.Th>
              );
            })}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {visible.map((row) => (
            <Table.Tr key={`${row.type}:${row.name}`}>
              <Table.Td style={{ overflowWrap: 'break-word' }}>
                <Anchor component={Link} to={toolHref(row.name)} size="sm">
                  <Breakable text={row.name} />
                </Anchor>
              </Table.Td>
              <Table.Td>{row.type}</Table.Td>
              <Table.Td ta="right">{formatCount(row.count)}</Table.Td>
              <Table.Td ta="right">
                <ChangeText change={countChange(row.count, row.previousCount)} />
              </Table.Td>
              <Table.Td ta="right">{formatCount(row.sessions)}</Table.Td>
              <Table.Td ta="right">{formatRate(row.errorRate)}</Table.Td>
              <Table.Td ta="right">{formatDuration(row.avgDurationMs)}</Table.Td>
              <Table.Td ta="right">{formatDuration(row.p95DurationMs)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    );
    content = (
      <>
        {content}
        {more}
      </>
    );
  }
  return <div ref={containerRef}>{content}</div>;
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

/** One card per name: the name whole (wrapped between words, never inside one), every number. */
function UsageCards({ rows, toolHref }: { rows: readonly UsageRow[]; toolHref: (name: string) => string }) {
  return (
    <Stack component="ul" gap="sm" m={0} p={0} style={{ listStyle: 'none' }} aria-label="Event names">
      {rows.map((row) => (
        <Paper component="li" key={`${row.type}:${row.name}`} withBorder radius="md" p="md" aria-label={row.name}>
          <Stack gap="sm">
            <Group justify="space-between" align="baseline" gap="xs">
              <Anchor
                component={Link}
                to={toolHref(row.name)}
                fw={600}
                size="sm"
                style={{ overflowWrap: 'break-word', minWidth: 0 }}
              >
                <Breakable text={row.name} />
              </Anchor>
              <Text size="xs" c="dimmed">
                {row.type}
              </Text>
            </Group>
            <SimpleGrid component="dl" cols={2} spacing="sm" verticalSpacing="xs" m={0}>
              <Fact term="Count">
                {formatCount(row.count)} <ChangeText change={countChange(row.count, row.previousCount)} size="xs" />
              </Fact>
              <Fact term="Sessions">{formatCount(row.sessions)}</Fact>
              <Fact term="Error rate">
                {formatRate(row.errorRate)}{' '}
                <ChangeText change={rateChange(row.errorRate, row.previousErrorRate)} better="down" size="xs" />
              </Fact>
              <Fact term="Avg duration">{formatDuration(row.avgDurationMs)}</Fact>
              <Fact term="p95 duration">{formatDuration(row.p95DurationMs)}</Fact>
            </SimpleGrid>
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}

/** The rows as CSV cells, in the table's columns (change in words: "up 50 % from 2"). */
export const USAGE_CSV_HEADER = [
  'name',
  'type',
  'count',
  'previousCount',
  'change',
  'sessions',
  'errorRate',
  'previousErrorRate',
  'avgDurationMs',
  'p95DurationMs',
  'previousP95DurationMs',
] as const;

export function usageCsvRows(rows: readonly UsageRow[]) {
  return rows.map((row) => [
    row.name,
    row.type,
    row.count,
    row.previousCount ?? null,
    countChange(row.count, row.previousCount).words,
    row.sessions,
    row.errorRate,
    row.previousErrorRate ?? null,
    row.avgDurationMs ?? null,
    row.p95DurationMs ?? null,
    row.previousP95DurationMs ?? null,
  ]);
}
