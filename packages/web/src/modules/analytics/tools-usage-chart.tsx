import { Box, Paper, Text, VisuallyHidden } from '@mantine/core';
import { BarChart } from '../../app/ui/charts/bar-chart';
import { formatCount, formatDuration, formatRate } from './analytics-format';
import type { UsageRow } from './tools-usage-table';

/** The bar's value label: 1,611 · 3.3 % errors (no errors: the count alone). */
export function usageLabel(row: Pick<UsageRow, 'count' | 'errorRate'>): string {
  return row.errorRate > 0 ? `${formatCount(row.count)} · ${formatRate(row.errorRate)} errors` : formatCount(row.count);
}

/**
 * The most used names by count, each bar labelled on one line with its count and error rate (the
 * table below has every number); a click on a bar opens that name's page (`onSelect`; the table's
 * names are the keyboard's way there, and Enter on the bar the chart's arrow keys reached).
 */
export function ToolsUsageChart({ rows, onSelect }: { rows: readonly UsageRow[]; onSelect?: (name: string) => void }) {
  const top = [...rows].sort((a, b) => b.count - a.count).slice(0, 15);
  return (
    <Box component="figure" m={0} aria-labelledby="tools-chart-caption">
      <VisuallyHidden component="figcaption" id="tools-chart-caption">
        {`Calls of the ${String(top.length)} most used event names, each with its error rate; every number is in the table below.`}
      </VisuallyHidden>
      <BarChart
        data={top}
        category={(row) => row.name}
        series={[{ key: 'count', label: 'Count', color: 'indigo.6', value: (row) => row.count }]}
        layout="rows"
        height={Math.max(130, top.length * 32)}
        label="Calls per event name: the arrow keys step through the names"
        format={formatCount}
        categoryWidth={(width) => (width < 520 ? 96 : 160)}
        barLabel={usageLabel}
        tooltip={(index) => {
          const row = top[index];
          return row ? <UsageTooltip row={row} /> : null;
        }}
        onSelect={
          onSelect
            ? (index) => {
                const row = top[index];
                if (row) onSelect(row.name);
              }
            : undefined
        }
      />
    </Box>
  );
}

function UsageTooltip({ row }: { row: UsageRow }) {
  const lines: Array<[string, string]> = [
    ['Count', formatCount(row.count)],
    ['Sessions', formatCount(row.sessions)],
    ['Error rate', formatRate(row.errorRate)],
    ['Avg duration', formatDuration(row.avgDurationMs)],
    ['p95 duration', formatDuration(row.p95DurationMs)],
  ];
  return (
    <Paper withBorder shadow="md" p="xs" miw={200}>
      <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
        {row.name}
      </Text>
      {lines.map(([label, value]) => (
        <Text key={label} size="sm">
          {label}: <strong>{value}</strong>
        </Text>
      ))}
    </Paper>
  );
}
