import { Table, Text, UnstyledButton } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconArrowsSort } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import type { AnalyticsToolsUsageQuery } from '../../graphql/generated';
import { formatCount, formatDuration, formatRate } from './analytics-format';

export type UsageRow = NonNullable<AnalyticsToolsUsageQuery['workspace']>['analytics']['toolsUsage'][number];
type SortKey = 'name' | 'type' | 'count' | 'sessions' | 'errorRate' | 'avgDurationMs' | 'p95DurationMs';

const COLUMNS: ReadonlyArray<{ key: SortKey; label: string; numeric: boolean }> = [
  { key: 'name', label: 'Name', numeric: false },
  { key: 'type', label: 'Type', numeric: false },
  { key: 'count', label: 'Count', numeric: true },
  { key: 'sessions', label: 'Sessions', numeric: true },
  { key: 'errorRate', label: 'Error rate', numeric: true },
  { key: 'avgDurationMs', label: 'Avg duration', numeric: true },
  { key: 'p95DurationMs', label: 'p95 duration', numeric: true },
];

function compare(a: UsageRow, b: UsageRow, key: SortKey): number {
  const x = a[key];
  const y = b[key];
  if (typeof x === 'string' && typeof y === 'string') return x.localeCompare(y);
  // No duration sorts below every duration.
  return (typeof x === 'number' ? x : -1) - (typeof y === 'number' ? y : -1);
}

/** Every event name with its numbers; each column header sorts (again: the other way). */
export function ToolsUsageTable({ rows }: { rows: readonly UsageRow[] }) {
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'count', descending: true });
  const sorted = useMemo(() => {
    const copy = [...rows];
    copy.sort((a, b) => compare(a, b, sort.key) * (sort.descending ? -1 : 1) || a.name.localeCompare(b.name));
    return copy;
  }, [rows, sort]);

  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped highlightOnHover verticalSpacing="xs">
        <caption style={{ captionSide: 'top', textAlign: 'left' }}>
          <Text size="sm" c="dimmed" component="span">
            {rows.length} event {rows.length === 1 ? 'name' : 'names'} in this range
          </Text>
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
          {sorted.map((row) => (
            <Table.Tr key={`${row.type}:${row.name}`}>
              <Table.Td style={{ wordBreak: 'break-word' }}>{row.name}</Table.Td>
              <Table.Td>{row.type}</Table.Td>
              <Table.Td ta="right">{formatCount(row.count)}</Table.Td>
              <Table.Td ta="right">{formatCount(row.sessions)}</Table.Td>
              <Table.Td ta="right">{formatRate(row.errorRate)}</Table.Td>
              <Table.Td ta="right">{formatDuration(row.avgDurationMs)}</Table.Td>
              <Table.Td ta="right">{formatDuration(row.p95DurationMs)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
