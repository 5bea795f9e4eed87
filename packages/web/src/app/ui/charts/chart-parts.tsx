import { Box, Group, Paper, Text } from '@mantine/core';
import type { TickRendererProps } from '@visx/axis';
import { type KeyboardEvent, type ReactNode, type RefObject, useState } from 'react';
import { CHART_FONT_PX } from './chart-layout';

/**
 * The pieces the dashboard's charts share (time-series-chart.tsx, bar-chart.tsx): the frame
 * around a chart's drawing (ChartFrame), colours from Mantine's theme variables (so dark mode and
 * the theme's contrast fixes apply), tick labels as plain SVG text, a legend, a tooltip that
 * follows the pointer or the arrow keys. Where labels go is in chart-layout.ts.
 *
 * Stable class names for tests and the bench (`tally-chart-*`): `-area` (an area's fill),
 * `-line` (a series' line), `-y-axis`, `-grid` (the plot's grid, its box is the plot),
 * `-reference-line`, `-reference-area`, `-tooltip`, `-legend`, `-bar`.
 */

/** A Mantine colour as `indigo.6`, or any CSS colour: as the theme's variable (`var(--mantine-color-indigo-6)`). */
export function chartColor(color: string): string {
  return /^[a-z]+\.\d$/.test(color) ? `var(--mantine-color-${color.replace('.', '-')})` : color;
}

/** Axis and label text: the theme's dimmed text (AA on the page, both schemes). */
export const CHART_TEXT = 'var(--mantine-color-dimmed)';
/** Grid and axis lines: the theme's default border (gray.3 light, dark.4 dark). */
export const CHART_LINE = 'var(--mantine-color-default-border)';

/** A tick label as plain SVG text (visx's default <Text> measures every word in the page). */
export function AxisTickLabel({ x, y, dx, dy, textAnchor, formattedValue }: TickRendererProps) {
  return (
    <text
      x={x}
      y={y}
      dx={dx}
      dy={dy}
      textAnchor={textAnchor}
      fontSize={CHART_FONT_PX}
      fill={CHART_TEXT}
      style={{ fontVariantNumeric: 'tabular-nums' }}
    >
      {formattedValue}
    </text>
  );
}

export interface LegendItem {
  label: string;
  color: string;
  dashed?: boolean;
}

/** The series' names under the chart, each with its colour (a dashed swatch for a dashed line). */
export function ChartLegend({ items }: { items: readonly LegendItem[] }) {
  return (
    <Group className="tally-chart-legend" gap="md" justify="center" mt={6} wrap="wrap">
      {items.map((item) => (
        <Group key={item.label} gap={6} wrap="nowrap">
          <Box
            component="span"
            w={16}
            h={item.dashed ? 0 : 10}
            style={
              item.dashed
                ? { borderTop: `2px dashed ${chartColor(item.color)}` }
                : { borderRadius: 3, background: chartColor(item.color) }
            }
            aria-hidden
          />
          <Text size="sm">{item.label}</Text>
        </Group>
      ))}
    </Group>
  );
}

/** One value of a tooltip: its colour, its name, the value. */
export function TooltipValue({ color, name, value }: { color: string; name: string; value: string }) {
  return (
    <Group gap="xs" justify="space-between" wrap="nowrap">
      <Group gap={6} wrap="nowrap">
        <Box w={10} h={10} style={{ borderRadius: 10, background: chartColor(color) }} aria-hidden />
        <Text size="sm">{name}</Text>
      </Group>
      <Text size="sm" fw={600}>
        {value}
      </Text>
    </Group>
  );
}

/** The tooltip charts show unless told otherwise: the point's label and each series' value. */
export function DefaultTooltip({
  title,
  values,
}: {
  title: string;
  values: ReadonlyArray<{ label: string; color: string; value: string }>;
}) {
  return (
    <Paper withBorder shadow="md" p="xs" miw={180}>
      <Text size="sm" fw={600} mb={4}>
        {title}
      </Text>
      {values.map((value) => (
        <TooltipValue key={value.label} color={value.color} name={value.label} value={value.value} />
      ))}
    </Paper>
  );
}

/** Which point the tooltip shows, and where (in the chart's own coordinates). */
export interface ActivePoint {
  index: number;
  x: number;
  y: number;
  /** Shown by the pointer (hidden when it leaves) or by the keyboard (hidden on blur or Escape). */
  by: 'pointer' | 'keyboard';
}

/**
 * The active point of a chart of `count` points: set by the pointer, or by the arrow keys while
 * the chart has focus (Left/Right or Up/Down step, Home/End jump, Escape hides), as the charts
 * before did. `place(index)` says where the tooltip of a point reached by keyboard goes.
 */
export function useActivePoint(count: number, place: (index: number) => { x: number; y: number }) {
  const [active, setActive] = useState<ActivePoint | null>(null);
  const show = (index: number, by: ActivePoint['by'], at?: { x: number; y: number }) => {
    const clamped = Math.min(Math.max(index, 0), count - 1);
    if (clamped < 0) return;
    setActive({ index: clamped, by, ...(at ?? place(clamped)) });
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const current = active?.index;
    const next: Record<string, number | undefined> = {
      ArrowRight: current === undefined ? 0 : current + 1,
      ArrowDown: current === undefined ? 0 : current + 1,
      ArrowLeft: current === undefined ? count - 1 : current - 1,
      ArrowUp: current === undefined ? count - 1 : current - 1,
      Home: 0,
      End: count - 1,
    };
    if (event.key === 'Escape') {
      setActive(null);
      return;
    }
    const index = next[event.key];
    if (index === undefined) return;
    event.preventDefault();
    show(index, 'keyboard');
  };
  return {
    active,
    /** The pointer is over point `index`, at `at`. */
    point: (index: number, at: { x: number; y: number }) => {
      show(index, 'pointer', at);
    },
    /** The pointer left the chart. */
    leave: () => {
      setActive((shown) => (shown?.by === 'pointer' ? null : shown));
    },
    /** Props for the focusable chart: arrow keys, and hidden again on blur. */
    keyboard: {
      tabIndex: 0,
      onKeyDown,
      onBlur: () => {
        setActive((shown) => (shown?.by === 'keyboard' ? null : shown));
      },
    },
  };
}

/**
 * The tooltip box, beside the point and on the side with more room (no measuring: right of the
 * point in the left half, left of it in the right half; below it in the upper half, above it in
 * the lower half). Announced politely for keyboard users.
 */
export function ChartTooltip({
  active,
  width,
  height,
  children,
}: {
  active: ActivePoint | null;
  width: number;
  height: number;
  children: ReactNode;
}) {
  const OFFSET = 12;
  const style = active
    ? {
        left: active.x > width / 2 ? active.x - OFFSET : active.x + OFFSET,
        top: active.y > height / 2 ? active.y - OFFSET : active.y + OFFSET,
        transform: `translate(${active.x > width / 2 ? '-100%' : '0'}, ${active.y > height / 2 ? '-100%' : '0'})`,
      }
    : { left: 0, top: 0 };
  return (
    <div
      className="tally-chart-tooltip"
      aria-live="polite"
      style={{ position: 'absolute', zIndex: 2, pointerEvents: 'none', ...style }}
    >
      {active ? children : null}
    </div>
  );
}

/** The props useActivePoint gives the focusable chart, with a chart's own key handler if it has one. */
export interface ChartKeyboard {
  tabIndex: number;
  onKeyDown: (event: KeyboardEvent) => void;
  onBlur: () => void;
}

/**
 * What every chart is drawn in: a container as wide as its parent (measured with
 * useContainerWidth), holding until it is measured a placeholder of the chart's height and then
 * the focusable SVG (`role="application"`, named by `label`, its keys from useActivePoint), the
 * tooltip of the active point over it, and the legend under it. `plot` draws the SVG's content,
 * only once the width is known.
 */
export function ChartFrame({
  containerRef,
  measured,
  height,
  label,
  keyboard,
  onPointerLeave,
  active,
  tooltip,
  legend,
  plot,
}: {
  containerRef: RefObject<HTMLDivElement | null>;
  /** The container's width; null until measured. */
  measured: number | null;
  /** The SVG's height: the plot, its axes and labels. */
  height: number;
  label: string;
  keyboard: ChartKeyboard;
  /** The pointer left the whole chart (a chart may follow the pointer on its plot alone instead). */
  onPointerLeave?: () => void;
  active: ActivePoint | null;
  /** The tooltip of point `index`. */
  tooltip: (index: number) => ReactNode;
  /** The legend's items; none without. */
  legend: readonly LegendItem[] | null;
  plot: () => ReactNode;
}) {
  const width = measured ?? 0;
  return (
    <div ref={containerRef} style={{ position: 'relative' }}>
      {measured === null ? (
        <div style={{ height }} />
      ) : (
        <svg
          width={width}
          height={height}
          role="application"
          aria-label={label}
          style={{ display: 'block', overflow: 'visible' }}
          {...keyboard}
          onPointerLeave={onPointerLeave}
        >
          {plot()}
        </svg>
      )}
      <ChartTooltip active={active} width={width} height={height}>
        {active ? tooltip(active.index) : null}
      </ChartTooltip>
      {legend ? <ChartLegend items={legend} /> : null}
    </div>
  );
}
