/**
 * Where the charts put their labels, without measuring the page: a 12 px label's width is
 * estimated from its length, enough to keep labels apart (chart-parts.tsx, time-series-chart.tsx,
 * bar-chart.tsx).
 */

export const CHART_FONT_PX = 12;
/** About how wide a 12 px character is: enough to keep labels apart, with no text measured. */
export const CHAR_PX = 6.5;

/** The estimated width of a 12 px label. */
export function labelWidth(text: string): number {
  return text.length * CHAR_PX;
}

/**
 * Which of `count` evenly spaced positions get a label, `spacing` px apart, so that labels about
 * `widest` px wide keep `gap` px between them: every n-th, counted back from the last (the newest
 * bucket always has its label).
 */
export function spacedTicks(count: number, spacing: number, widest: number, gap = 16): number[] {
  if (count <= 0) return [];
  const every = spacing > 0 ? Math.max(1, Math.ceil((widest + gap) / spacing)) : count;
  const ticks: number[] = [];
  for (let i = count - 1; i >= 0; i -= every) ticks.unshift(i);
  return ticks;
}

/** Whole-number ticks of a count axis (no 0.5 events), from the scale's own ticks. */
export function integerTicks(ticks: readonly number[]): number[] {
  return ticks.filter((tick) => Number.isInteger(tick));
}

export interface PlacedLabel {
  index: number;
  text: string;
  row: number;
  /** Written leftwards from its line (the right half of the plot), else rightwards. */
  leftwards: boolean;
}

/**
 * Places reference line labels above the plot, in as few rows as keep them from overlapping:
 * each label takes the first row where it clears the labels already there.
 */
export function placeLabels(
  marks: ReadonlyArray<{ index: number; text: string }>,
  x: (index: number) => number,
  plotWidth: number,
): PlacedLabel[] {
  const rows: Array<Array<[number, number]>> = [];
  return [...marks]
    .sort((a, b) => a.index - b.index)
    .map((mark) => {
      const at = x(mark.index);
      const leftwards = at > plotWidth / 2;
      const span = labelWidth(mark.text) + 8;
      const extent: [number, number] = leftwards ? [at - span, at] : [at, at + span];
      let row = rows.findIndex((taken) => taken.every(([a, b]) => extent[1] < a || extent[0] > b));
      if (row === -1) {
        rows.push([]);
        row = rows.length - 1;
      }
      rows[row]?.push(extent);
      return { ...mark, row, leftwards };
    });
}
