import '@mantine/charts/styles.css';
import { AreaChart, type AreaChartSeries, type ChartReferenceLineProps } from '@mantine/charts';
import { Box, Group, List, Paper, Text, VisuallyHidden } from '@mantine/core';
import { useContainerWidth } from '../../app/ui/use-container-width';
import { formatBucket, formatBucketLong, formatCount } from './analytics-format';
import { partialBuckets, type Range } from './analytics-range';

export interface SeriesPoint {
  at: string;
  sessions: number;
  events: number;
}

interface OverviewChartProps {
  series: readonly SeriesPoint[];
  /** The previous period's series (its own times), drawn dashed when `showPrevious`. */
  previous?: readonly SeriesPoint[] | null;
  showPrevious?: boolean;
  annotations: ReadonlyArray<{ id: string; at: string; text: string }>;
  hourly: boolean;
  /** The range asked for: a first or last bucket it covers only in part is shaded as incomplete. */
  range: Range;
}

/** One row of the chart's data: a bucket of the range, and the same bucket of the previous period. */
interface Row {
  at: string;
  Events: number;
  Sessions: number;
  'Previous events'?: number;
  'Previous sessions'?: number;
  previousAt?: string;
}

const CHART_HEIGHT = 300;
/** Annotation labels: one row of text above the plot per row of labels, never on the lines. */
const LABEL_ROW_PX = 16;
const LABEL_MAX_CHARS = 28;
/** About how wide a 12 px character is, to keep labels of one row apart. */
const CHAR_PX = 6.5;
/** Room the two axes take from the chart's width. */
const AXES_PX = 140;

function shortLabel(text: string): string {
  return text.length > LABEL_MAX_CHARS ? `${text.slice(0, LABEL_MAX_CHARS - 1)}…` : text;
}

/** The index of the bucket an annotation falls in (the last bucket starting at or before it), or -1. */
function bucketOf(starts: readonly number[], at: number): number {
  let index = -1;
  for (let i = 0; i < starts.length; i += 1) if ((starts[i] ?? Infinity) <= at) index = i;
  return index;
}

interface PlacedLabel {
  index: number;
  text: string;
  row: number;
  /** Written leftwards from its line (the right half of the chart), else rightwards. */
  leftwards: boolean;
}

/**
 * Places annotation labels above the plot, in as few rows as keep them from overlapping: each
 * label takes the first row where it clears the labels already there.
 */
function placeLabels(
  marks: ReadonlyArray<{ index: number; text: string }>,
  buckets: number,
  width: number,
): PlacedLabel[] {
  const plot = Math.max(width - AXES_PX, 100);
  const step = buckets > 1 ? plot / (buckets - 1) : 0;
  const rows: Array<Array<[number, number]>> = [];
  return [...marks]
    .sort((a, b) => a.index - b.index)
    .map((mark) => {
      const x = mark.index * step;
      const leftwards = x > plot / 2;
      const span = mark.text.length * CHAR_PX + 8;
      const extent: [number, number] = leftwards ? [x - span, x] : [x, x + span];
      let row = rows.findIndex((taken) => taken.every(([a, b]) => extent[1] < a || extent[0] > b));
      if (row === -1) {
        rows.push([]);
        row = rows.length - 1;
      }
      rows[row]?.push(extent);
      return { ...mark, row, leftwards };
    });
}

/**
 * Events (left axis) and sessions (right axis) per bucket, each on its own scale so that neither
 * is a flat line; the previous period dashed when asked; annotations as vertical lines with their
 * labels above the plot and in the tooltip; a first or last bucket the range covers only in part
 * shaded as incomplete.
 */
export function OverviewChart({
  series,
  previous = null,
  showPrevious = false,
  annotations,
  hourly,
  range,
}: OverviewChartProps) {
  const [ref, width] = useContainerWidth<HTMLDivElement>();
  const overlay = showPrevious && previous !== null;
  const data: Row[] = series.map((point, i) => {
    const before = previous?.[i];
    return {
      at: point.at,
      Events: point.events,
      Sessions: point.sessions,
      ...(overlay && before
        ? { 'Previous events': before.events, 'Previous sessions': before.sessions, previousAt: before.at }
        : {}),
    };
  });
  const starts = series.map((point) => Date.parse(point.at));
  const marks = annotations.flatMap((annotation) => {
    const index = bucketOf(starts, Date.parse(annotation.at));
    return index >= 0 ? [{ index, text: shortLabel(annotation.text), annotation }] : [];
  });
  const byBucket = new Map<number, string[]>();
  for (const mark of marks) byBucket.set(mark.index, [...(byBucket.get(mark.index) ?? []), mark.annotation.text]);
  const placed = placeLabels(marks, series.length, width ?? 800);
  const labelRows = placed.reduce((most, label) => Math.max(most, label.row + 1), 0);
  const plotTop = 8 + labelRows * LABEL_ROW_PX;
  const referenceLines: ChartReferenceLineProps[] = placed.flatMap((label) => {
    const point = data[label.index];
    if (!point) return [];
    return [
      {
        x: point.at,
        color: 'orange.8',
        strokeDasharray: '4 4',
        label: {
          value: label.text,
          content: ({ viewBox }: { viewBox?: unknown }) => {
            const box = viewBox as { x?: number; y?: number } | undefined;
            const x = box?.x ?? 0;
            const y = (box?.y ?? plotTop) - 6 - label.row * LABEL_ROW_PX;
            return (
              <text
                x={label.leftwards ? x - 4 : x + 4}
                y={y}
                textAnchor={label.leftwards ? 'end' : 'start'}
                fontSize={12}
                fill="var(--mantine-color-orange-text)"
              >
                {label.text}
              </text>
            );
          },
        },
      },
    ];
  });

  const partial = partialBuckets(series, range, hourly);
  const referenceAreas = [
    ...(partial.first && data.length > 1 ? [{ x1: data[0]?.at, x2: data[1]?.at }] : []),
    ...(partial.last && data.length > 1 ? [{ x1: data.at(-2)?.at, x2: data.at(-1)?.at }] : []),
  ].map((area) => ({ ...area, color: 'gray.6', strokeOpacity: 0, fillOpacity: 0.15 }));

  const chartSeries: AreaChartSeries[] = [
    { name: 'Events', color: 'indigo.6' },
    { name: 'Sessions', color: 'teal.7', yAxisId: 'right' },
    ...(overlay
      ? [
          { name: 'Previous events', label: 'Events, previous period', color: 'indigo.3', strokeDasharray: '6 4' },
          {
            name: 'Previous sessions',
            label: 'Sessions, previous period',
            color: 'teal.4',
            strokeDasharray: '6 4',
            yAxisId: 'right',
          },
        ]
      : []),
  ];

  const unit = hourly ? 'hour' : 'day';
  const total = series.reduce((sum, p) => sum + p.events, 0);
  const partialNote =
    partial.first || partial.last
      ? `Shaded: the ${partial.first && partial.last ? `first and last ${unit}s are` : `${partial.first ? 'first' : 'last'} ${unit} is`} only partly in the range.`
      : null;

  return (
    <Box component="figure" m={0} aria-labelledby="overview-chart-caption" ref={ref}>
      <VisuallyHidden component="figcaption" id="overview-chart-caption">
        {`Sessions and events per ${unit}: ${formatCount(total)} events over ${formatCount(series.length)} ${unit}s, ${formatCount(annotations.length)} annotations marked.`}
      </VisuallyHidden>
      <AreaChart
        h={CHART_HEIGHT + plotTop}
        data={data}
        dataKey="at"
        series={chartSeries}
        curveType="monotone"
        withDots={false}
        withLegend
        legendProps={{ verticalAlign: 'bottom', height: 48 }}
        referenceLines={referenceLines}
        referenceAreas={referenceAreas}
        areaProps={(item) => (item.name.startsWith('Previous') ? { fillOpacity: 0 } : {})}
        areaChartProps={{ margin: { top: plotTop, right: 8, left: 8, bottom: 0 } }}
        tickLine="y"
        gridAxis="xy"
        valueFormatter={formatCount}
        xAxisProps={{ tickFormatter: (value: string) => formatBucket(value, hourly), minTickGap: 16 }}
        yAxisProps={{ allowDecimals: false, width: 56 }}
        withRightYAxis
        rightYAxisProps={{ allowDecimals: false, width: 56 }}
        yAxisLabel="Events"
        rightYAxisLabel="Sessions"
        tooltipProps={{
          content: ({ label, active }: { label?: unknown; active?: boolean }) => {
            const at = typeof label === 'string' ? label : null;
            const index = at === null ? -1 : data.findIndex((row) => row.at === at);
            const row = data[index];
            if (!active || !row) return null;
            return (
              <OverviewTooltip
                row={row}
                hourly={hourly}
                partial={(index === 0 && partial.first) || (index === data.length - 1 && partial.last)}
                annotations={byBucket.get(index) ?? []}
              />
            );
          },
        }}
      />
      {partialNote ? (
        <Text size="xs" c="dimmed" mt={4}>
          {partialNote}
        </Text>
      ) : null}
    </Box>
  );
}

function TooltipValue({ color, name, value }: { color: string; name: string; value: number }) {
  return (
    <Group gap="xs" justify="space-between" wrap="nowrap">
      <Group gap={6} wrap="nowrap">
        <Box w={10} h={10} style={{ borderRadius: 10, background: `var(--mantine-color-${color})` }} aria-hidden />
        <Text size="sm">{name}</Text>
      </Group>
      <Text size="sm" fw={600}>
        {formatCount(value)}
      </Text>
    </Group>
  );
}

/** A bucket's numbers, the same bucket of the previous period (with its own time) and its annotations. */
function OverviewTooltip({
  row,
  hourly,
  partial,
  annotations,
}: {
  row: Row;
  hourly: boolean;
  partial: boolean;
  annotations: readonly string[];
}) {
  return (
    <Paper withBorder shadow="md" p="xs" miw={220} maw={320}>
      <Text size="sm" fw={600}>
        {formatBucketLong(row.at, hourly)}
      </Text>
      {partial ? (
        <Text size="xs" c="dimmed">
          Incomplete: the range covers only part of this {hourly ? 'hour' : 'day'}.
        </Text>
      ) : null}
      <Box mt={6}>
        <TooltipValue color="indigo-6" name="Events" value={row.Events} />
        <TooltipValue color="teal-7" name="Sessions" value={row.Sessions} />
      </Box>
      {row.previousAt !== undefined ? (
        <Box mt={6}>
          <Text size="xs" c="dimmed">
            Previous period, {formatBucketLong(row.previousAt, hourly)}
          </Text>
          <TooltipValue color="indigo-3" name="Events" value={row['Previous events'] ?? 0} />
          <TooltipValue color="teal-4" name="Sessions" value={row['Previous sessions'] ?? 0} />
        </Box>
      ) : null}
      {annotations.length ? (
        <Box mt={6}>
          <Text size="xs" c="dimmed">
            Annotations
          </Text>
          <List size="sm" spacing={2}>
            {annotations.map((text, i) => (
              <List.Item key={i}>{text}</List.Item>
            ))}
          </List>
        </Box>
      ) : null}
    </Paper>
  );
}
