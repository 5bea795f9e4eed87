import { ANALYTICS_LIMITS } from '@tally/shared';
import {
  aheadForPolling,
  customRange,
  defaultInterval,
  intervalsFor,
  partialBuckets,
  presetRange,
  readRange,
} from '../src/modules/analytics/analytics-range';

// Calendar presets are in the browser's time zone: the expected times are made with local dates,
// so these hold in whatever zone the tests run (CI: UTC; a laptop: its own).
const local = (...parts: [number, number, number, number?, number?]) => new Date(...parts).toISOString();

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Sat Dec 5 2026, 14:20:30 local time. */
const NOW = new Date(2026, 11, 5, 14, 20, 30).getTime();
const length = (range: { from: string; to: string }) => Date.parse(range.to) - Date.parse(range.from);

describe('date range presets (analytics-range.ts)', () => {
  it('end at the next whole minute, or at a local midnight', () => {
    const end = local(2026, 11, 5, 14, 21);
    expect(presetRange('24h', NOW)).toEqual({ from: new Date(Date.parse(end) - DAY).toISOString(), to: end });
    expect(presetRange('today', NOW)).toEqual({ from: local(2026, 11, 5), to: end });
    expect(presetRange('yesterday', NOW)).toEqual({ from: local(2026, 11, 4), to: local(2026, 11, 5) });
    expect(length(presetRange('7d', NOW))).toBe(7 * DAY);
    expect(length(presetRange('30d', NOW))).toBe(30 * DAY);
    expect(length(presetRange('90d', NOW))).toBe(90 * DAY);
    expect(presetRange('7d', NOW).to).toBe(end);
    expect(presetRange('month', NOW)).toEqual({ from: local(2026, 11, 1), to: end });
    expect(presetRange('last-month', NOW)).toEqual({ from: local(2026, 10, 1), to: local(2026, 11, 1) });
    expect(presetRange('12mo', NOW)).toEqual({ from: local(2026, 0, 1), to: end });
  });

  it('never ask for more than the server takes: 12 months holding a 29 February, on its last minute', () => {
    // Mar 1 2027 … Feb 29 2028, 23:59:30: the running minute ends on Mar 1 2028, 366 days on.
    const late = new Date(2028, 1, 29, 23, 59, 30).getTime();
    const range = presetRange('12mo', late);
    expect(length(range)).toBeLessThanOrEqual(ANALYTICS_LIMITS.maxRangeDays * DAY);
    expect(range.to).toBe(local(2028, 2, 1));
  });

  it('offer HOUR up to 7 days, and start per HOUR up to two days', () => {
    expect(intervalsFor(presetRange('7d', NOW))).toEqual(['HOUR', 'DAY']);
    expect(intervalsFor(presetRange('30d', NOW))).toEqual(['DAY']);
    expect(defaultInterval(presetRange('today', NOW))).toBe('HOUR');
    expect(defaultInterval(presetRange('yesterday', NOW))).toBe('HOUR');
    expect(defaultInterval(presetRange('24h', NOW))).toBe('HOUR');
    expect(defaultInterval(presetRange('7d', NOW))).toBe('DAY');
    expect(defaultInterval(presetRange('12mo', NOW))).toBe('DAY');
  });
});

describe('custom ranges and the address', () => {
  it('cover whole local days, both included, never past the running minute', () => {
    expect(customRange('2026-11-01', '2026-11-03', NOW)).toEqual({ from: local(2026, 10, 1), to: local(2026, 10, 4) });
    // In either order; one day alone; today ends now.
    expect(customRange('2026-11-03', '2026-11-01', NOW)).toEqual(customRange('2026-11-01', '2026-11-03', NOW));
    expect(customRange('2026-12-05', '2026-12-05', NOW)).toEqual(presetRange('today', NOW));
    expect(customRange('2026-12-06', '2026-12-09', NOW)).toBeNull();
    expect(customRange('2026-02-30', '2026-03-01', NOW)).toBeNull();
    expect(customRange('yesterday', null, NOW)).toBeNull();
    // Two years asked: the last 366 days of them.
    expect(length(customRange('2024-01-01', '2025-12-31', NOW) ?? { from: '', to: '' })).toBe(366 * DAY);
  });

  it('read from the address with their interval; HOUR asked over 30 days gives DAY', () => {
    const read = (query: string) => readRange(new URLSearchParams(query), NOW);
    expect(read('')).toMatchObject({ preset: '7d', interval: 'DAY', days: null });
    expect(read('range=24h')).toMatchObject({ preset: '24h', interval: 'HOUR' });
    expect(read('range=7d&interval=HOUR')).toMatchObject({ preset: '7d', interval: 'HOUR' });
    expect(read('range=30d&interval=HOUR')).toMatchObject({ preset: '30d', interval: 'DAY' });
    expect(read('range=nonsense')).toMatchObject({ preset: '7d' });
    expect(read('range=custom&from=2026-11-01&to=2026-11-03')).toMatchObject({
      preset: 'custom',
      interval: 'DAY',
      days: { first: '2026-11-01', last: '2026-11-03' },
      range: { from: local(2026, 10, 1), to: local(2026, 10, 4) },
    });
    expect(read('range=custom&from=2026-11-02&to=2026-11-02')).toMatchObject({ interval: 'HOUR' });
    // A custom range without real days: the default preset.
    expect(read('range=custom&from=soon')).toMatchObject({ preset: '7d', days: null });
  });

  it('mark a first or last bucket the range covers only in part', () => {
    const series = [
      { at: '2026-12-05T17:00:00.000Z' },
      { at: '2026-12-05T18:00:00.000Z' },
      { at: '2026-12-05T19:00:00.000Z' },
    ];
    expect(partialBuckets(series, { from: '2026-12-05T17:30:00.000Z', to: '2026-12-05T19:21:00.000Z' }, true)).toEqual({
      first: true,
      last: true,
    });
    expect(partialBuckets(series, { from: '2026-12-05T17:00:00.000Z', to: '2026-12-05T20:00:00.000Z' }, true)).toEqual({
      first: false,
      last: false,
    });
    expect(partialBuckets([], { from: '2026-12-05T17:00:00.000Z', to: '2026-12-05T20:00:00.000Z' }, true)).toEqual({
      first: false,
      last: false,
    });
  });
});

describe('Activity polling', () => {
  it('moves the end of a range that ends now a day ahead, within the longest range; a past range stays', () => {
    const week = presetRange('7d', NOW);
    expect(aheadForPolling(week, NOW)).toEqual({
      from: week.from,
      to: new Date(Date.parse(week.to) + DAY).toISOString(),
    });
    const year = presetRange('12mo', NOW);
    expect(length(aheadForPolling(year, NOW))).toBeLessThanOrEqual(ANALYTICS_LIMITS.maxRangeDays * DAY);
    const yesterday = presetRange('yesterday', NOW);
    expect(aheadForPolling(yesterday, NOW)).toEqual(yesterday);
  });
});
