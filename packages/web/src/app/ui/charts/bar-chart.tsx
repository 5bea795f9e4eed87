import { AxisBottom, AxisLeft } from '@visx/axis';
import { localPoint } from '@visx/event';
import { GridColumns, GridRows } from '@visx/grid';
import { Group } from '@visx/group';
import { scaleBand, scaleLinear } from '@visx/scale';
import type { KeyboardEvent, PointerEvent, ReactNode } from 'react';
import { useContainerWidth } from '../use-container-width';
import { CHART_FONT_PX, CHAR_PX, integerTicks, labelWidth, spacedTicks } from './chart-layout';
import { AxisTickLabel, CHART_LINE, ChartFrame, DefaultTooltip, chartColor, useActivePoint } from './chart-parts';

export interface BarSeries<Row> {
  key: string;
  /** Its name in the legend and the tooltip. */
  label: string;
  /** A Mantine colour (`indigo.6`) or a CSS colour. */
  color: string;
  value: (row: Row) => number;
}

export interface BarChartProps<Row> {
  data: readonly Row[];
  /** A row's name: on the category axis and the default tooltip's title. */
  category: (row: Row) => string;
  /** One series, or several stacked on each other. */
  series: ReadonlyArray<BarSeries<Row>>;
  /** The plot's height in px (the axes and legend add to it). */
  height: number;
  /** The name of the focusable chart (the arrow keys step through its bars). */
  label: string;
  /** `columns`: categories along x, values up; `rows`: categories down the left, values along x. */
  layout?: 'columns' | 'rows';
  /** How values are written (axis and tooltip). */
  format?: (value: number) => string;
  /** Rows: the room for the categories' names, for a chart this wide. */
  categoryWidth?: (chartWidth: number) => number;
  /** Rows: a one-line label right of each bar. */
  barLabel?: (row: Row) => string;
  /** The tooltip of bar `index` (by default its name and every series' value). */
  tooltip?: (index: number) => ReactNode;
  /** A click on a bar (or Enter on the one the keyboard reached). */
  onSelect?: (index: number) => void;
  legend?: boolean;
}

const TICK_PX = 6;
const X_AXIS_PX = 28;

function truncate(text: string, room: number): string {
  const chars = Math.max(Math.floor(room / CHAR_PX), 2);
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

/**
 * Bars drawn straight into SVG from scales (visx): one series or several stacked, as columns
 * (categories along the bottom) or rows (categories down the left, an optional one-line label
 * right of each bar); counts on whole-number ticks; a tooltip that follows the pointer or the
 * arrow keys; a click selects. Its width is its container's.
 */
export function BarChart<Row>({
  data,
  category,
  series,
  height,
  label,
  layout = 'columns',
  format = String,
  categoryWidth,
  barLabel,
  tooltip,
  onSelect,
  legend = false,
}: BarChartProps<Row>) {
  const [ref, measured] = useContainerWidth<HTMLDivElement>();
  const width = measured ?? 0;
  const count = data.length;
  const rows = layout === 'rows';
  const names = data.map(category);
  const totals = data.map((row) => series.reduce((sum, s) => sum + s.value(row), 0));
  const max = totals.reduce((most, total) => Math.max(most, total), 0);

  const valueTicksFor = (length: number) => {
    const scale = scaleLinear<number>({
      domain: [0, max > 0 ? max : 1],
      range: rows ? [0, length] : [length, 0],
      nice: 5,
    });
    return { scale, ticks: integerTicks(scale.ticks(5)) };
  };
  const widestValue = (ticks: readonly number[]) =>
    ticks.reduce((most, tick) => Math.max(most, labelWidth(format(tick))), 0);

  let marginLeft: number;
  let marginRight: number;
  if (rows) {
    marginLeft = categoryWidth ? categoryWidth(width) : 120;
    const longest = barLabel ? data.reduce((most, row) => Math.max(most, barLabel(row).length), 0) : 0;
    marginRight = barLabel ? Math.min(200, 16 + longest * CHAR_PX) : 16;
  } else {
    marginLeft = Math.ceil(widestValue(valueTicksFor(height).ticks) + TICK_PX + 8);
    marginRight = 8;
  }
  const plotWidth = Math.max(width - marginLeft - marginRight, 10);
  const values = valueTicksFor(rows ? plotWidth : height);
  const band = scaleBand<number>({
    domain: data.map((_row, index) => index),
    range: [0, rows ? height : plotWidth],
    padding: 0.2,
  });
  const bandStart = (index: number) => band(index) ?? 0;
  const step = band.step();
  const widestName = names.reduce((most, name) => Math.max(most, labelWidth(name)), 0);
  const categoryTicks = rows ? data.map((_row, index) => index) : spacedTicks(count, step, widestName, 8);
  const svgHeight = 8 + height + X_AXIS_PX;

  const { active, point, leave, keyboard } = useActivePoint(count, (index) =>
    rows
      ? { x: marginLeft + plotWidth / 2, y: 8 + bandStart(index) + band.bandwidth() / 2 }
      : { x: marginLeft + bandStart(index) + band.bandwidth() / 2, y: 16 },
  );
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && active && onSelect) {
      onSelect(active.index);
      return;
    }
    keyboard.onKeyDown(event);
  };
  const onPointer = (index: number) => (event: PointerEvent<SVGGElement>) => {
    const at = localPoint(event);
    if (at) point(index, at);
  };

  const defaultTooltip = (index: number) => {
    const row = data[index];
    if (row === undefined) return null;
    return (
      <DefaultTooltip
        title={category(row)}
        values={series.map((s) => ({ label: s.label, color: s.color, value: format(s.value(row)) }))}
      />
    );
  };

  return (
    <ChartFrame
      containerRef={ref}
      measured={measured}
      height={svgHeight}
      label={label}
      keyboard={{ ...keyboard, onKeyDown }}
      onPointerLeave={leave}
      active={active}
      tooltip={tooltip ?? defaultTooltip}
      legend={legend ? series.map((s) => ({ label: s.label, color: s.color })) : null}
      plot={() => (
        <Group left={marginLeft} top={8} aria-hidden="true">
          <g className="tally-chart-grid">
            {rows ? (
              <GridColumns
                scale={values.scale}
                tickValues={values.ticks}
                height={height}
                stroke={CHART_LINE}
                strokeDasharray="5 5"
              />
            ) : (
              <GridRows
                scale={values.scale}
                tickValues={values.ticks}
                width={plotWidth}
                stroke={CHART_LINE}
                strokeDasharray="5 5"
              />
            )}
          </g>
          {data.map((row, index) => {
            let base = 0;
            const start = bandStart(index);
            return (
              <g
                key={index}
                onPointerMove={onPointer(index)}
                onPointerDown={onPointer(index)}
                onClick={onSelect ? () => onSelect(index) : undefined}
                style={onSelect ? { cursor: 'pointer' } : undefined}
              >
                {/* The bar's whole band answers the pointer, and is shaded while it is active. */}
                <rect
                  x={rows ? 0 : start - (step - band.bandwidth()) / 2}
                  y={rows ? start - (step - band.bandwidth()) / 2 : 0}
                  width={rows ? plotWidth + marginRight : step}
                  height={rows ? step : height}
                  fill={chartColor('gray.6')}
                  fillOpacity={active?.index === index ? 0.12 : 0}
                />
                {series.map((s) => {
                  const value = s.value(row);
                  const from = values.scale(base);
                  base += value;
                  const to = values.scale(base);
                  return value > 0 ? (
                    <rect
                      key={s.key}
                      className="tally-chart-bar"
                      x={rows ? from : start}
                      y={rows ? start : to}
                      width={rows ? to - from : band.bandwidth()}
                      height={rows ? band.bandwidth() : from - to}
                      fill={chartColor(s.color)}
                    />
                  ) : null;
                })}
                {rows && barLabel ? (
                  // One line right of the bar, whatever the bar's length (a phone's bars are short).
                  <text
                    x={values.scale(totals[index] ?? 0) + 6}
                    y={start + band.bandwidth() / 2}
                    dominantBaseline="central"
                    fontSize={CHART_FONT_PX}
                    fill="var(--mantine-color-text)"
                  >
                    {barLabel(row)}
                  </text>
                ) : null}
              </g>
            );
          })}
          {rows ? (
            <>
              {data.map((row, index) => {
                const name = category(row);
                const shown = truncate(name, marginLeft - 12);
                return (
                  <text
                    key={index}
                    x={-8}
                    y={bandStart(index) + band.bandwidth() / 2}
                    textAnchor="end"
                    dominantBaseline="central"
                    fontSize={CHART_FONT_PX}
                    fill="var(--mantine-color-text)"
                  >
                    {shown !== name ? <title>{name}</title> : null}
                    {shown}
                  </text>
                );
              })}
              <AxisBottom
                axisClassName="tally-chart-x-axis"
                top={height}
                scale={values.scale}
                tickValues={values.ticks}
                tickFormat={(value) => format(Number(value))}
                tickComponent={AxisTickLabel}
                tickLength={TICK_PX}
                hideTicks
                hideAxisLine
              />
            </>
          ) : (
            <>
              <AxisLeft
                axisClassName="tally-chart-y-axis"
                scale={values.scale}
                tickValues={values.ticks}
                tickFormat={(value) => format(Number(value))}
                tickComponent={AxisTickLabel}
                tickLength={TICK_PX}
                tickStroke={CHART_LINE}
                hideAxisLine
              />
              <AxisBottom
                axisClassName="tally-chart-x-axis"
                top={height}
                scale={band}
                tickValues={categoryTicks}
                tickFormat={(value) => names[Number(value)] ?? ''}
                tickComponent={AxisTickLabel}
                tickLength={TICK_PX}
                hideTicks
                hideAxisLine
              />
            </>
          )}
        </Group>
      )}
    />
  );
}
