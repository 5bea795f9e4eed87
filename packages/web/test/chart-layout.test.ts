import { integerTicks, labelWidth, placeLabels, spacedTicks } from '../src/app/ui/charts/chart-layout';

describe('where the charts put their labels (chart-layout.ts)', () => {
  it('labels every n-th bucket, counted back from the newest, so that labels keep apart', () => {
    // 8 buckets 100 px apart, labels 40 px wide: every one.
    expect(spacedTicks(8, 100, 40)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // 31 buckets 20 px apart, labels 45 px wide (+16 px gap): every 4th, the last always labelled.
    expect(spacedTicks(31, 20, 45)).toEqual([2, 6, 10, 14, 18, 22, 26, 30]);
    // One bucket (no spacing), none.
    expect(spacedTicks(1, 0, 40)).toEqual([0]);
    expect(spacedTicks(0, 10, 40)).toEqual([]);
  });

  it('keeps only whole-number ticks on a count axis', () => {
    expect(integerTicks([0, 0.5, 1, 1.5, 2])).toEqual([0, 1, 2]);
  });

  it('places reference labels in as few rows as keep them apart, written away from the nearer edge', () => {
    const x = (index: number) => index * 100;
    const text = 'Deploy'; // about 39 px, 47 with its margin
    // Right of a line in the left half of the plot, left of it in the right half.
    const placed = placeLabels(
      [
        { index: 5, text },
        { index: 0, text },
        { index: 1, text: 'A much longer release note' },
        { index: 8, text },
      ],
      x,
      800,
    );
    expect(placed).toEqual([
      { index: 0, text, row: 0, leftwards: false },
      // 100–277: clears the first (0–47) in row 0.
      { index: 1, text: 'A much longer release note', row: 0, leftwards: false },
      // 500 is past the middle: written leftwards (453–500), clear of both.
      { index: 5, text, row: 0, leftwards: true },
      { index: 8, text, row: 0, leftwards: true },
    ]);
    // Two labels on one line take two rows.
    const same = placeLabels(
      [
        { index: 2, text },
        { index: 2, text: 'Rollback' },
      ],
      x,
      800,
    );
    expect(same.map((label) => label.row)).toEqual([0, 1]);
    expect(labelWidth(text)).toBe(39);
  });
});
