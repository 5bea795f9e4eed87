import {
  formatChange,
  formatCount,
  formatDuration,
  formatRate,
  formatDayRange,
} from '../src/modules/analytics/analytics-format';

describe('one way of writing numbers on every analytics page (analytics-format.ts)', () => {
  it('writes counts with thousands separators', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1611)).toBe('1,611');
    expect(formatCount(1_234_567)).toBe('1,234,567');
  });

  it.each([
    [null, '—'],
    [undefined, '—'],
    [Number.NaN, '—'],
    [0, '0 ms'],
    [150, '150 ms'],
    [999.4, '999 ms'],
    [999.6, '1.0 s'],
    [1000, '1.0 s'],
    [5_250, '5.3 s'],
    [54_900, '54.9 s'],
    [59_960, '1 m 00 s'],
    [183_000, '3 m 03 s'],
    [3_599_000, '59 m 59 s'],
    [3_720_000, '1 h 02 m'],
    [90_000_000, '25 h 00 m'],
  ])('writes the duration %p ms as %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes shares as percentages', () => {
    expect(formatRate(0)).toBe('0 %');
    expect(formatRate(1 / 3)).toBe('33.3 %');
    expect(formatRate(0.5)).toBe('50 %');
    expect(formatRate(0.025)).toBe('2.5 %');
  });

  it('writes the change against the previous period: ▲ / ▼ in whole percent, "new" after nothing, nothing without a previous value', () => {
    expect(formatChange(112, 100)).toEqual({ direction: 'up', text: '▲ 12 %', words: 'up 12 % from 100' });
    expect(formatChange(97, 100)).toEqual({ direction: 'down', text: '▼ 3 %', words: 'down 3 % from 100' });
    expect(formatChange(5, 0)).toMatchObject({ direction: 'new', text: 'new' });
    expect(formatChange(0, 0)).toMatchObject({ direction: 'flat', text: '0 %' });
    expect(formatChange(1001, 1000)).toMatchObject({ direction: 'flat', text: '0 %' });
    expect(formatChange(0, 4)).toMatchObject({ direction: 'down', text: '▼ 100 %' });
    expect(formatChange(30_000, 1000)).toMatchObject({ text: '▲ 2,900 %', words: 'up 2,900 % from 1,000' });
    expect(formatChange(60_000, 30_000, formatDuration)).toMatchObject({ words: 'up 100 % from 30.0 s' });
    expect(formatChange(3, null)).toBeNull();
    expect(formatChange(null, 3)).toBeNull();
    expect(formatChange(3, undefined)).toBeNull();
  });

  it('writes whole days as a range', () => {
    expect(formatDayRange(new Date(2026, 11, 1), new Date(2026, 11, 5))).toBe('Dec 1 – Dec 5, 2026');
    expect(formatDayRange(new Date(2025, 11, 30), new Date(2026, 0, 2))).toBe('Dec 30, 2025 – Jan 2, 2026');
    expect(formatDayRange(new Date(2026, 11, 5), new Date(2026, 11, 5))).toBe('Dec 5, 2026');
  });
});
