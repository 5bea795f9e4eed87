import { Box, List, Paper, Text, VisuallyHidden } from '@mantine/core';
import { TooltipValue } from '../../app/ui/charts/chart-parts';
import { type ReferenceLine, type TimeSeries, TimeSeriesChart } from '../../app/ui/charts/time-series-chart';
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
  events: number;
  sessions: number;
  previous?: { at: string; events: number; sessions: number };
}

const PLOT_HEIGHT = 260;
const LABEL_MAX_CHARS = 28;

function shortLabel(text: string): string {
  return text.length > LABEL_MAX_CHARS ? `${text.slice(0, LABEL_MAX_CHARS - 1)}…` : text;
}

/** The index of the bucket an annotation falls in (the last bucket starting at or before it), or -1. */
function bucketOf(starts: readonly number[], at: number): number {
  let index = -1;
  for (let i = 0; i < starts.length; i += 1) if ((starts[i] ?? Infinity) <= at) index = i;
  return index;
}

const CURRENT: Array<TimeSeries<Row>> = [
  { key: 'events', label: 'Events', color: 'indigo.6', value: (row) => row.events },
  { key: 'sessions', label: 'Sessions', color: 'teal.7', value: (row) => row.sessions, axis: 'right' },
];
const PREVIOUS: Array<TimeSeries<Row>> = [
  {
    key: 'previous-events',
    label: 'Events, previous period',
    color: 'indigo.3',
    value: (row) => row.previous?.events ?? null,
    kind: 'line',
    dashed: true,
  },
  {
    key: 'previous-sessions',
    label: 'Sessions, previous period',
    color: 'teal.4',
    value: (row) => row.previous?.sessions ?? null,
    kind: 'line',
    dashed: true,
    axis: 'right',
  },
];

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
  const overlay = showPrevious && previous !== null;
  const data: Row[] = series.map((point, i) => {
    const before = previous?.[i];
    return {
      at: point.at,
      events: point.events,
      sessions: point.sessions,
      ...(overlay && before ? { previous: { at: before.at, events: before.events, sessions: before.sessions } } : {}),
    };
  });
  const starts = series.map((point) => Date.parse(point.at));
  const marks = annotations.flatMap((annotation) => {
    const index = bucketOf(starts, Date.parse(annotation.at));
    return index >= 0 ? [{ index, annotation }] : [];
  });
  const byBucket = new Map<number, string[]>();
  for (const mark of marks) byBucket.set(mark.index, [...(byBucket.get(mark.index) ?? []), mark.annotation.text]);
  const referenceLines: ReferenceLine[] = marks.map((mark) => ({
    index: mark.index,
    label: shortLabel(mark.annotation.text),
  }));

  const partial = partialBuckets(series, range, hourly);
  const last = data.length - 1;
  const shaded: Array<[number, number]> = [
    ...(partial.first && data.length > 1 ? [[0, 1] as [number, number]] : []),
    ...(partial.last && data.length > 1 ? [[last - 1, last] as [number, number]] : []),
  ];

  const unit = hourly ? 'hour' : 'day';
  const total = series.reduce((sum, p) => sum + p.events, 0);
  const partialNote =
    partial.first || partial.last
      ? `Shaded: the ${partial.first && partial.last ? `first and last ${unit}s are` : `${partial.first ? 'first' : 'last'} ${unit} is`} only partly in the range.`
      : null;

  return (
    <Box component="figure" m={0} aria-labelledby="overview-chart-caption">
      <VisuallyHidden component="figcaption" id="overview-chart-caption">
        {`Sessions and events per ${unit}: ${formatCount(total)} events over ${formatCount(series.length)} ${unit}s, ${formatCount(annotations.length)} annotations marked.`}
      </VisuallyHidden>
      <TimeSeriesChart
        data={data}
        xLabel={(row) => formatBucket(row.at, hourly)}
        series={overlay ? [...CURRENT, ...PREVIOUS] : CURRENT}
        height={PLOT_HEIGHT}
        label={`Events and sessions per ${unit}: the arrow keys step through the ${unit}s`}
        left={{ label: 'Events', format: formatCount, integer: true }}
        right={{ label: 'Sessions', format: formatCount, integer: true }}
        referenceLines={referenceLines}
        shaded={shaded}
        legend
        tooltip={(index) => {
          const row = data[index];
          return row ? (
            <OverviewTooltip
              row={row}
              hourly={hourly}
              partial={(index === 0 && partial.first) || (index === last && partial.last)}
              annotations={byBucket.get(index) ?? []}
            />
          ) : null;
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
        <TooltipValue color="indigo.6" name="Events" value={formatCount(row.events)} />
        <TooltipValue color="teal.7" name="Sessions" value={formatCount(row.sessions)} />
      </Box>
      {row.previous !== undefined ? (
        <Box mt={6}>
          <Text size="xs" c="dimmed">
            Previous period, {formatBucketLong(row.previous.at, hourly)}
          </Text>
          <TooltipValue color="indigo.3" name="Events" value={formatCount(row.previous.events)} />
          <TooltipValue color="teal.4" name="Sessions" value={formatCount(row.previous.sessions)} />
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
