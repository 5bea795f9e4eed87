import { AxisBottom, AxisLeft, AxisRight } from '@visx/axis';
import { curveMonotoneX } from '@visx/curve';
import { localPoint } from '@visx/event';
import { GridColumns, GridRows } from '@visx/grid';
import { Group } from '@visx/group';
import { scaleLinear } from '@visx/scale';
import { AreaClosed, LinePath } from '@visx/shape';
import type { PointerEvent, ReactNode } from 'react';
import { useContainerWidth } from '../use-container-width';
import { CHART_FONT_PX, integerTicks, labelWidth, placeLabels, spacedTicks } from './chart-layout';
import {
  AxisTickLabel,
  CHART_LINE,
  CHART_TEXT,
  ChartFrame,
  DefaultTooltip,
  chartColor,
  useActivePoint,
} from './chart-parts';

export interface TimeSeries<Row> {
  /** Unique among the chart's series. */
  key: string;
  /** Its name in the legend and the tooltip. */
  label: string;
  /** A Mantine colour (`indigo.6`) or a CSS colour. */
  color: string;
  /** The row's value; null leaves a gap in the line. */
  value: (row: Row) => number | null;
  /** The axis it is drawn against (left by default). */
  axis?: 'left' | 'right';
  /** `area`: the line and the area below it filled (the default); `line`: the line alone. */
  kind?: 'area' | 'line';
  /** A dashed line (6 4). */
  dashed?: boolean;
  /** How the tooltip writes its values (the axis's format by default). */
  format?: (value: number) => string;
}

export interface ValueAxis {
  /** Written along the axis. */
  label?: string;
  format?: (value: number) => string;
  /** Whole numbers only (counts): no tick at 0.5. */
  integer?: boolean;
}

/** A vertical line at a point, with an optional label above the plot. */
export interface ReferenceLine {
  index: number;
  label?: string;
}

export interface TimeSeriesChartProps<Row> {
  data: readonly Row[];
  /** A row's label on the x axis (and the default tooltip's title). */
  xLabel: (row: Row) => string;
  series: ReadonlyArray<TimeSeries<Row>>;
  /** The plot's height in px (the axes, labels and legend add to it). */
  height: number;
  /** The name of the focusable chart (the arrow keys step through its points). */
  label: string;
  left: ValueAxis;
  /** A second value axis on the right, for the series with `axis: 'right'`. */
  right?: ValueAxis;
  referenceLines?: readonly ReferenceLine[];
  /** The reference lines' colour (a Mantine colour); their labels use its text variant. */
  referenceColor?: string;
  /** Ranges of points [from, to] (indexes) shaded across the plot. */
  shaded?: ReadonlyArray<readonly [number, number]>;
  /** The tooltip of point `index` (by default its label and every series' value). */
  tooltip?: (index: number) => ReactNode;
  legend?: boolean;
  /** A dot at every value (without: only at a value with no neighbour to draw a line to). */
  dots?: boolean;
}

/** Reference line labels: one row of text above the plot per row of labels, never on the lines. */
const LABEL_ROW_PX = 16;
const TICK_PX = 6;
const X_AXIS_PX = 28;
const AXIS_LABEL_PX = 24;

/** A value scale from 0 to the largest value of its series (rounded up to a nice number), and its ticks. */
function valueScale<Row>(
  data: readonly Row[],
  series: ReadonlyArray<TimeSeries<Row>>,
  plotHeight: number,
  axis: ValueAxis,
) {
  let max = 0;
  for (const s of series) for (const row of data) max = Math.max(max, s.value(row) ?? 0);
  const scale = scaleLinear<number>({ domain: [0, max > 0 ? max : 1], range: [plotHeight, 0], nice: 5 });
  const ticks = scale.ticks(5);
  return { scale, ticks: axis.integer ? integerTicks(ticks) : ticks };
}

/** The room an axis takes: its widest tick label, the tick, and its label. */
function axisWidth(ticks: readonly number[], axis: ValueAxis): number {
  const format = axis.format ?? String;
  const widest = ticks.reduce((most, tick) => Math.max(most, labelWidth(format(tick))), 0);
  return Math.ceil(widest + TICK_PX + 6 + (axis.label ? AXIS_LABEL_PX : 0));
}

/**
 * Series over time (buckets evenly spaced along x) as areas and lines, drawn straight into SVG
 * from scales (visx): a left value axis and an optional right one, each with its own scale; a
 * grid; reference lines with their labels in rows above the plot; shaded ranges; a tooltip that
 * follows the pointer (or the arrow keys, the chart being focusable); a legend below. Its width is
 * its container's.
 */
export function TimeSeriesChart<Row>({
  data,
  xLabel,
  series,
  height,
  label,
  left,
  right,
  referenceLines = [],
  referenceColor = 'orange.8',
  shaded = [],
  tooltip,
  legend = false,
  dots = false,
}: TimeSeriesChartProps<Row>) {
  const [ref, measured] = useContainerWidth<HTMLDivElement>();
  const width = measured ?? 0;
  const count = data.length;
  const leftSeries = series.filter((s) => s.axis !== 'right');
  const rightSeries = series.filter((s) => s.axis === 'right');
  const leftY = valueScale(data, leftSeries, height, left);
  const rightY = right ? valueScale(data, rightSeries, height, right) : null;

  const labels = data.map(xLabel);
  const widestX = labels.reduce((most, text) => Math.max(most, labelWidth(text)), 0);
  const marginLeft = Math.max(axisWidth(leftY.ticks, left), Math.ceil(widestX / 2) + 4);
  const marginRight = Math.max(right && rightY ? axisWidth(rightY.ticks, right) : 8, Math.ceil(widestX / 2) + 4);
  const plotWidth = Math.max(width - marginLeft - marginRight, 10);
  const step = count > 1 ? plotWidth / (count - 1) : 0;
  const xScale = scaleLinear<number>({ domain: [0, Math.max(count - 1, 1)], range: [0, plotWidth] });
  const x = (index: number) => xScale(index);

  const placed = placeLabels(
    referenceLines.flatMap((line) => (line.label ? [{ index: line.index, text: line.label }] : [])),
    x,
    plotWidth,
  );
  const labelRows = placed.reduce((most, placedLabel) => Math.max(most, placedLabel.row + 1), 0);
  const marginTop = 8 + labelRows * LABEL_ROW_PX;
  const svgHeight = marginTop + height + X_AXIS_PX;
  const xTicks = spacedTicks(count, step, widestX);

  const { active, point, leave, keyboard } = useActivePoint(count, (index) => ({
    x: marginLeft + x(index),
    y: marginTop + 8,
  }));
  const onPointer = (event: PointerEvent<SVGRectElement>) => {
    const at = localPoint(event);
    if (!at || count === 0) return;
    const index = step > 0 ? Math.round((at.x - marginLeft) / step) : 0;
    point(Math.min(Math.max(index, 0), count - 1), at);
  };

  const yOf = (s: TimeSeries<Row>) => (s.axis === 'right' && rightY ? rightY.scale : leftY.scale);
  const defaultTooltip = (index: number) => {
    const row = data[index];
    if (row === undefined) return null;
    return (
      <DefaultTooltip
        title={xLabel(row)}
        values={series.map((s) => {
          const value = s.value(row);
          const format = s.format ?? (s.axis === 'right' ? right?.format : left.format) ?? String;
          return { label: s.label, color: s.color, value: value === null ? '—' : format(value) };
        })}
      />
    );
  };
  const activeRow = active ? data[active.index] : undefined;
  const defined = (s: TimeSeries<Row>, index: number) => {
    const row = data[index];
    return row !== undefined && s.value(row) !== null;
  };
  /** The points drawn as dots: every value, or the values a line cannot show (no neighbour). */
  const dotted = (s: TimeSeries<Row>) =>
    data.flatMap((row, index) => {
      const value = s.value(row);
      if (value === null) return [];
      return dots || (!defined(s, index - 1) && !defined(s, index + 1)) ? [{ index, value }] : [];
    });

  return (
    <ChartFrame
      containerRef={ref}
      measured={measured}
      height={svgHeight}
      label={label}
      keyboard={keyboard}
      active={active}
      tooltip={tooltip ?? defaultTooltip}
      legend={legend ? series.map((s) => ({ label: s.label, color: s.color, dashed: s.dashed === true })) : null}
      plot={() => (
        <>
          <Group left={marginLeft} top={marginTop} aria-hidden="true">
            <g className="tally-chart-grid">
              <GridRows
                scale={leftY.scale}
                tickValues={leftY.ticks}
                width={plotWidth}
                stroke={CHART_LINE}
                strokeDasharray="5 5"
              />
              <GridColumns
                scale={xScale}
                tickValues={xTicks}
                height={height}
                stroke={CHART_LINE}
                strokeDasharray="5 5"
              />
            </g>
            {shaded.map(([from, to]) => (
              <rect
                key={`${String(from)}-${String(to)}`}
                className="tally-chart-reference-area"
                x={x(from)}
                y={0}
                width={Math.max(x(to) - x(from), 0)}
                height={height}
                fill={chartColor('gray.6')}
                fillOpacity={0.15}
              />
            ))}
            {series.map((s) =>
              s.kind === 'line' ? null : (
                <AreaClosed<Row>
                  key={`${s.key}-area`}
                  className="tally-chart-area"
                  data={[...data]}
                  x={(_row, index) => x(index)}
                  y={(row) => yOf(s)(s.value(row) ?? 0)}
                  defined={(row) => s.value(row) !== null}
                  yScale={yOf(s)}
                  curve={curveMonotoneX}
                  fill={chartColor(s.color)}
                  fillOpacity={0.2}
                  stroke="none"
                />
              ),
            )}
            {series.map((s) => (
              <LinePath<Row>
                key={`${s.key}-line`}
                className="tally-chart-line"
                data={[...data]}
                x={(_row, index) => x(index)}
                y={(row) => yOf(s)(s.value(row) ?? 0)}
                defined={(row) => s.value(row) !== null}
                curve={curveMonotoneX}
                stroke={chartColor(s.color)}
                strokeWidth={2}
                strokeDasharray={s.dashed ? '6 4' : undefined}
                fill="none"
              />
            ))}
            {series.map((s) =>
              dotted(s).map(({ index, value }) => (
                <circle
                  key={`${s.key}-dot-${String(index)}`}
                  cx={x(index)}
                  cy={yOf(s)(value)}
                  r={3}
                  fill={chartColor(s.color)}
                />
              )),
            )}
            {referenceLines.map((line, i) => (
              <line
                key={i}
                className="tally-chart-reference-line"
                x1={x(line.index)}
                x2={x(line.index)}
                y1={0}
                y2={height}
                stroke={chartColor(referenceColor)}
                strokeDasharray="4 4"
              />
            ))}
            {placed.map((placedLabel, i) => (
              <text
                key={i}
                x={x(placedLabel.index) + (placedLabel.leftwards ? -4 : 4)}
                y={-6 - placedLabel.row * LABEL_ROW_PX}
                textAnchor={placedLabel.leftwards ? 'end' : 'start'}
                fontSize={CHART_FONT_PX}
                fill={`var(--mantine-color-${referenceColor.split('.')[0] ?? 'orange'}-text)`}
              >
                {placedLabel.text}
              </text>
            ))}
            <AxisLeft
              axisClassName="tally-chart-y-axis"
              scale={leftY.scale}
              tickValues={leftY.ticks}
              tickFormat={(value) => (left.format ?? String)(Number(value))}
              tickComponent={AxisTickLabel}
              tickLength={TICK_PX}
              tickStroke={CHART_LINE}
              hideAxisLine
            />
            {right && rightY ? (
              <AxisRight
                axisClassName="tally-chart-y-axis"
                left={plotWidth}
                scale={rightY.scale}
                tickValues={rightY.ticks}
                tickFormat={(value) => (right.format ?? String)(Number(value))}
                tickComponent={AxisTickLabel}
                tickLength={TICK_PX}
                tickStroke={CHART_LINE}
                hideAxisLine
              />
            ) : null}
            <AxisBottom
              axisClassName="tally-chart-x-axis"
              top={height}
              scale={xScale}
              tickValues={xTicks}
              tickFormat={(value) => labels[Number(value)] ?? ''}
              tickComponent={AxisTickLabel}
              tickLength={TICK_PX}
              hideTicks
              hideAxisLine
            />
            {active && activeRow !== undefined ? (
              <g>
                <line x1={x(active.index)} x2={x(active.index)} y1={0} y2={height} stroke={CHART_TEXT} />
                {series.map((s) => {
                  const value = s.value(activeRow);
                  return value === null ? null : (
                    <circle
                      key={s.key}
                      cx={x(active.index)}
                      cy={yOf(s)(value)}
                      r={4}
                      fill={chartColor(s.color)}
                      stroke="var(--mantine-color-body)"
                      strokeWidth={2}
                    />
                  );
                })}
              </g>
            ) : null}
          </Group>
          {left.label ? (
            <text
              aria-hidden="true"
              transform={`translate(12, ${String(marginTop + height / 2)}) rotate(-90)`}
              textAnchor="middle"
              dominantBaseline="central"
              fontSize={CHART_FONT_PX}
              fill={CHART_TEXT}
            >
              {left.label}
            </text>
          ) : null}
          {right?.label ? (
            <text
              aria-hidden="true"
              transform={`translate(${String(width - 12)}, ${String(marginTop + height / 2)}) rotate(90)`}
              textAnchor="middle"
              dominantBaseline="central"
              fontSize={CHART_FONT_PX}
              fill={CHART_TEXT}
            >
              {right.label}
            </text>
          ) : null}
          {/* The pointer's area: the plot. */}
          <rect
            x={marginLeft}
            y={marginTop}
            width={plotWidth}
            height={height}
            fill="transparent"
            onPointerMove={onPointer}
            onPointerDown={onPointer}
            onPointerLeave={leave}
          />
        </>
      )}
    />
  );
}
