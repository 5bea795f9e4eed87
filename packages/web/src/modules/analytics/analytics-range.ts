import { ANALYTICS_LIMITS, Interval } from '@tally/shared';

/**
 * The date ranges of the analytics pages: presets, and custom ranges of whole days. Calendar
 * presets (Today, Yesterday, This month, …) and custom days are in the browser's time zone; the
 * server's buckets are whole UTC hours and days. No React here: the address (analytics-params.ts)
 * and the route's preload read ranges the same way.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The presets, in the order the range menu lists them. */
export const RANGE_PRESETS = [
  { value: 'today', label: 'Today' },
  { value: 'yesterday', label: 'Yesterday' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
  { value: 'month', label: 'This month' },
  { value: 'last-month', label: 'Last month' },
  { value: '12mo', label: 'Last 12 months' },
] as const;

/** A preset, or `custom`: whole days chosen in the range picker (`from` and `to` in the address). */
export type RangePreset = (typeof RANGE_PRESETS)[number]['value'] | 'custom';

export const CUSTOM_RANGE = { value: 'custom', label: 'Custom range' } as const;

export const DEFAULT_PRESET: RangePreset = '7d';

export function isPreset(value: string | null): value is RangePreset {
  return value === CUSTOM_RANGE.value || RANGE_PRESETS.some((p) => p.value === value);
}

/** The longest range the server takes (ANALYTICS_LIMITS.maxRangeDays). */
export const MAX_RANGE_MS = ANALYTICS_LIMITS.maxRangeDays * DAY_MS;
/** HOUR is offered for ranges up to 7 days (an hour more for a daylight-saving change). */
export const HOURLY_MAX_MS = 7 * DAY_MS + HOUR_MS;
/** Ranges up to two days are shown per HOUR unless DAY is chosen. */
const HOURLY_BY_DEFAULT_MS = 2 * DAY_MS + HOUR_MS;

export interface Range {
  from: string;
  to: string;
}

/** The end of the ranges that end now: the next whole minute, so variables stay the same within a minute. */
export function rangeEnd(now: number): number {
  return Math.ceil((now + 1) / MINUTE_MS) * MINUTE_MS;
}

/** Local midnight of `time`'s day, `days` days later (daylight-saving safe). */
function localDay(time: number, days = 0): number {
  const date = new Date(time);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days).getTime();
}

/** The first of `time`'s month, `months` months later, at local midnight. */
function localMonth(time: number, months = 0): number {
  const date = new Date(time);
  return new Date(date.getFullYear(), date.getMonth() + months, 1).getTime();
}

/** Never longer than the server takes (a 12-month range holding a 29 February, plus the running minute). */
function capped(from: number, to: number): Range {
  return { from: new Date(Math.max(from, to - MAX_RANGE_MS)).toISOString(), to: new Date(to).toISOString() };
}

/** A preset's range at `now` (custom: the last 7 days; see customRange). */
export function presetRange(preset: RangePreset, now: number = Date.now()): Range {
  const end = rangeEnd(now);
  switch (preset) {
    case 'today':
      return capped(localDay(now), end);
    case 'yesterday':
      return capped(localDay(now, -1), localDay(now));
    case '24h':
      return capped(end - DAY_MS, end);
    case '30d':
      return capped(end - 30 * DAY_MS, end);
    case '90d':
      return capped(end - 90 * DAY_MS, end);
    case 'month':
      return capped(localMonth(now), end);
    case 'last-month':
      return capped(localMonth(now, -1), localMonth(now));
    case '12mo':
      return capped(localMonth(now, -11), end);
    case '7d':
    case 'custom':
      return capped(end - 7 * DAY_MS, end);
  }
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A `YYYY-MM-DD` day at local midnight; null when it is not a real day. */
export function parseDay(value: string | null | undefined): Date | null {
  const match = value ? DAY_PATTERN.exec(value) : null;
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const date = new Date(year, month, day);
  return date.getFullYear() === year && date.getMonth() === month && date.getDate() === day ? date : null;
}

/** A local day as `YYYY-MM-DD`. */
export function formatDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(date.getFullYear())}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * Whole local days `first`…`last` (both included, in either order), ending no later than the
 * running minute; null when the days are not real or lie wholly in the future.
 */
export function customRange(first: string | null, last: string | null, now: number = Date.now()): Range | null {
  const a = parseDay(first);
  const b = parseDay(last ?? first);
  if (!a || !b) return null;
  const [start, stop] = a <= b ? [a, b] : [b, a];
  const end = Math.min(localDay(stop.getTime(), 1), rangeEnd(now));
  if (start.getTime() >= end) return null;
  return capped(start.getTime(), end);
}

function lengthOf(range: Range): number {
  return Date.parse(range.to) - Date.parse(range.from);
}

/** The intervals a range offers: HOUR only up to 7 days. */
export function intervalsFor(range: Range): Interval[] {
  return lengthOf(range) <= HOURLY_MAX_MS ? [Interval.HOUR, Interval.DAY] : [Interval.DAY];
}

/** The interval a range starts with: HOUR up to two days, DAY beyond. */
export function defaultInterval(range: Range): Interval {
  return lengthOf(range) <= HOURLY_BY_DEFAULT_MS ? Interval.HOUR : Interval.DAY;
}

/** The interval asked for when the range offers it, else the range's own. */
export function chooseInterval(asked: string | null, range: Range): Interval {
  const offered = intervalsFor(range);
  return offered.find((interval) => interval === asked) ?? defaultInterval(range);
}

/** What the address says about the range: the preset (or custom days) and the interval. */
export interface RangeChoice {
  preset: RangePreset;
  range: Range;
  interval: Interval;
  /** The chosen days of a custom range (`YYYY-MM-DD`), null for a preset. */
  days: { first: string; last: string } | null;
}

/**
 * The range of an address's `range`, `from`, `to` and `interval` at `now` (the time the page
 * opened, or the range was last chosen or refreshed). A custom range whose days are missing or
 * not real falls back to the default preset.
 */
export function readRange(params: URLSearchParams, now: number): RangeChoice {
  const raw = params.get('range');
  const preset: RangePreset = isPreset(raw) ? raw : DEFAULT_PRESET;
  if (preset === 'custom') {
    const first = params.get('from');
    const last = params.get('to') ?? first;
    const range = customRange(first, last, now);
    if (range && first && last) {
      const [a, b] = first <= last ? [first, last] : [last, first];
      return { preset, range, interval: chooseInterval(params.get('interval'), range), days: { first: a, last: b } };
    }
    const fallback = presetRange(DEFAULT_PRESET, now);
    return {
      preset: DEFAULT_PRESET,
      range: fallback,
      interval: chooseInterval(params.get('interval'), fallback),
      days: null,
    };
  }
  const range = presetRange(preset, now);
  return { preset, range, interval: chooseInterval(params.get('interval'), range), days: null };
}

/**
 * The first and last bucket of a series when the range covers only part of them: a range that
 * starts or ends inside an hour (or day) shows that bucket as incomplete rather than as a drop.
 */
export function partialBuckets(
  series: ReadonlyArray<{ at: string }>,
  range: Range,
  hourly: boolean,
): { first: boolean; last: boolean } {
  const size = hourly ? HOUR_MS : DAY_MS;
  const firstAt = series[0] ? Date.parse(series[0].at) : NaN;
  const lastAt = series.at(-1) ? Date.parse(series.at(-1)?.at ?? '') : NaN;
  return {
    first: Number.isFinite(firstAt) && Date.parse(range.from) > firstAt,
    last: Number.isFinite(lastAt) && Date.parse(range.to) < lastAt + size,
  };
}

/**
 * A range that ends now, with its end a day ahead (so that polling with the same variables
 * brings events sent since), never longer than the server takes; a range that ended in the past
 * (Yesterday, Last month, custom days) is left as it is.
 */
export function aheadForPolling(range: Range, now: number = Date.now()): Range {
  const to = Date.parse(range.to);
  if (to < rangeEnd(now) - MINUTE_MS * 2) return range;
  return { from: range.from, to: new Date(Math.min(to + DAY_MS, Date.parse(range.from) + MAX_RANGE_MS)).toISOString() };
}
