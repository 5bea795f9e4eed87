import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Box, Paper, Text, VisuallyHidden } from '@mantine/core';
import { useContainerWidth } from '../../app/ui/use-container-width';
import { formatCount, formatDuration, formatRate } from './analytics-format';
import type { UsageRow } from './tools-usage-table';

interface Bar {
  name: string;
  Count: number;
  /** The bar's label: its count, and its error rate when it has errors. */
  label: string;
  row: UsageRow;
}

/** The bar's value label: 1,611 · 3.3 % errors (no errors: the count alone). */
export function usageLabel(row: Pick<UsageRow, 'count' | 'errorRate'>): string {
  return row.errorRate > 0 ? `${formatCount(row.count)} · ${formatRate(row.errorRate)} errors` : formatCount(row.count);
}

/**
 * The most used names by count, each bar labelled with its count and error rate (the table below
 * has every number); a click on a bar opens that name's page (`onSelect`; the table's names are
 * the keyboard's way there).
 */
export function ToolsUsageChart({ rows, onSelect }: { rows: readonly UsageRow[]; onSelect?: (name: string) => void }) {
  const [ref, width] = useContainerWidth<HTMLDivElement>();
  const narrow = width !== null && width < 520;
  const top = [...rows].sort((a, b) => b.count - a.count).slice(0, 15);
  const data: Bar[] = top.map((row) => ({ name: row.name, Count: row.count, label: usageLabel(row), row }));
  const longest = data.reduce((most, bar) => Math.max(most, bar.label.length), 0);
  return (
    <Box component="figure" m={0} aria-labelledby="tools-chart-caption" ref={ref}>
      <VisuallyHidden component="figcaption" id="tools-chart-caption">
        {`Calls of the ${String(top.length)} most used event names, each with its error rate; every number is in the table below.`}
      </VisuallyHidden>
      <BarChart
        h={Math.max(160, top.length * 32)}
        data={data}
        dataKey="name"
        orientation="vertical"
        yAxisProps={{ width: narrow ? 96 : 160 }}
        xAxisProps={{ allowDecimals: false }}
        valueFormatter={formatCount}
        series={[{ name: 'Count', color: 'indigo.6' }]}
        withBarValueLabel
        valueLabelProps={{
          dataKey: 'label',
          // Drawn as one line right of the bar: Recharts' own label wraps to the bar's width, which
          // broke "1,125 · 6.0 % errors" over two lines on a phone's short bars.
          content: (props: { x?: unknown; y?: unknown; width?: unknown; height?: unknown; value?: unknown }) => (
            <text
              x={Number(props.x) + Number(props.width) + 6}
              y={Number(props.y) + Number(props.height) / 2}
              dominantBaseline="central"
              fontSize={12}
              fill="var(--mantine-color-text)"
            >
              {String(props.value)}
            </text>
          ),
        }}
        // Room on the right for the longest label (about 6.5 px a character at 12 px).
        barChartProps={{ margin: { right: Math.min(200, 16 + longest * 6.5), left: 0, top: 0, bottom: 0 } }}
        tooltipProps={{
          content: ({ payload, active }: { payload?: ReadonlyArray<{ payload?: unknown }>; active?: boolean }) => {
            const bar = payload?.[0]?.payload as Bar | undefined;
            return active && bar ? <UsageTooltip row={bar.row} /> : null;
          },
        }}
        barProps={{
          onClick: (_bar, index) => {
            const row = top[index];
            if (row && onSelect) onSelect(row.name);
          },
          style: onSelect ? { cursor: 'pointer' } : undefined,
        }}
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
