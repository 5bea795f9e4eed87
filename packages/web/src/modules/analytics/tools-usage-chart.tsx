import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Box, VisuallyHidden } from '@mantine/core';
import type { UsageRow } from './tools-usage-table';

/**
 * The most used names by count (the table below has every number); a click on a bar opens that
 * name's page (`onSelect`; the table's names are the keyboard's way there).
 */
export function ToolsUsageChart({ rows, onSelect }: { rows: readonly UsageRow[]; onSelect?: (name: string) => void }) {
  const top = [...rows].sort((a, b) => b.count - a.count).slice(0, 15);
  const data = top.map((row) => ({ name: row.name, Count: row.count }));
  return (
    <Box component="figure" m={0} aria-labelledby="tools-chart-caption">
      <VisuallyHidden component="figcaption" id="tools-chart-caption">
        {`Calls of the ${String(top.length)} most used event names; every number is in the table below.`}
      </VisuallyHidden>
      <BarChart
        h={Math.max(160, top.length * 28)}
        data={data}
        dataKey="name"
        orientation="vertical"
        yAxisProps={{ width: 140 }}
        xAxisProps={{ allowDecimals: false }}
        series={[{ name: 'Count', color: 'indigo.6' }]}
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
