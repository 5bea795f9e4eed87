import '@mantine/charts/styles.css';
import { AreaChart } from '@mantine/charts';
import { Box, VisuallyHidden } from '@mantine/core';
import { formatBucket } from './analytics-format';

interface OverviewChartProps {
  series: ReadonlyArray<{ at: string; sessions: number; events: number }>;
  annotations: ReadonlyArray<{ id: string; at: string; text: string }>;
  hourly: boolean;
}

/** Sessions and events per bucket, each annotation a vertical line at its bucket. */
export function OverviewChart({ series, annotations, hourly }: OverviewChartProps) {
  const data = series.map((point) => ({
    bucket: formatBucket(point.at, hourly),
    Sessions: point.sessions,
    Events: point.events,
  }));
  const starts = series.map((point) => Date.parse(point.at));
  const referenceLines = annotations.flatMap((annotation) => {
    const at = Date.parse(annotation.at);
    let index = -1;
    for (let i = 0; i < starts.length; i += 1) if ((starts[i] ?? Infinity) <= at) index = i;
    const point = index >= 0 ? data[index] : undefined;
    return point
      ? [
          {
            x: point.bucket,
            label: annotation.text,
            // Left of the line: the newest bucket is at the chart's right edge.
            labelPosition: 'insideTopRight' as const,
            color: 'orange.8',
            strokeDasharray: '4 4',
          },
        ]
      : [];
  });
  const total = series.reduce((sum, p) => sum + p.events, 0);
  return (
    <Box component="figure" m={0} aria-labelledby="overview-chart-caption">
      <VisuallyHidden component="figcaption" id="overview-chart-caption">
        {`Sessions and events per ${hourly ? 'hour' : 'day'}: ${String(total)} events over ${String(series.length)} ${hourly ? 'hours' : 'days'}, ${String(annotations.length)} annotations marked.`}
      </VisuallyHidden>
      <AreaChart
        h={300}
        data={data}
        dataKey="bucket"
        series={[
          { name: 'Events', color: 'indigo.6' },
          { name: 'Sessions', color: 'teal.6' },
        ]}
        curveType="monotone"
        withLegend
        referenceLines={referenceLines}
        tickLine="y"
        gridAxis="xy"
        yAxisProps={{ allowDecimals: false }}
      />
    </Box>
  );
}
