/**
 * How every analytics page writes its numbers, durations, shares, changes and times: one way
 * everywhere (cards, tables, charts' axes and tooltips), so 1,611 is never 1611 elsewhere.
 */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * The formatter of one set of date options, made once: `toLocaleString(locale, options)` builds
 * a new Intl.DateTimeFormat at every call, a cost that a chart's axis (a label per bucket) and
 * every re-render paid again.
 */
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function formatDateWith(date: Date, options: Intl.DateTimeFormatOptions): string {
  const key = JSON.stringify(options);
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', options);
    dateFormats.set(key, format);
  }
  return format.format(date);
}

/** A count: 1,611. */
export function formatCount(value: number): string {
  return integer.format(value);
}

/** 850 ms, 54.9 s, 3 m 03 s, 1 h 02 m; an em dash when there is none. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (Math.round(ms) < 1000) return `${String(Math.round(Math.max(ms, 0)))} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${String(minutes)} m ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const totalMinutes = Math.round(ms / 60_000);
  return `${formatCount(Math.floor(totalMinutes / 60))} h ${String(totalMinutes % 60).padStart(2, '0')} m`;
}

/** A share from 0 to 1 as a percentage: 0 %, 12.5 %, 50 %. */
export function formatRate(rate: number): string {
  const percent = rate * 100;
  return `${percent === 0 || percent >= 10 ? percent.toFixed(percent % 1 === 0 ? 0 : 1) : percent.toFixed(1)} %`;
}

/** How a total moved against the period before: up, down, the same, or new (nothing before). */
export interface Change {
  direction: 'up' | 'down' | 'flat' | 'new';
  /** What the card shows: ▲ 12 %, ▼ 3 %, 0 %, new. */
  text: string;
  /** The same in words, for screen readers: "up 12 % from 1,234". */
  words: string;
}

/**
 * The change from `previous` to `current` in whole percent; null when there is nothing to compare
 * with (no previous period asked, or no value in one of them, like an average of no sessions).
 * `format` writes the previous value in the words.
 */
export function formatChange(
  current: number | null | undefined,
  previous: number | null | undefined,
  format: (value: number) => string = formatCount,
): Change | null {
  if (current === null || current === undefined || previous === null || previous === undefined) return null;
  if (previous === 0) {
    return current === 0
      ? { direction: 'flat', text: '0 %', words: 'no change from 0' }
      : { direction: 'new', text: 'new', words: 'new: none in the previous period' };
  }
  const percent = Math.round((Math.abs(current - previous) / Math.abs(previous)) * 100);
  const before = format(previous);
  if (percent === 0) return { direction: 'flat', text: '0 %', words: `about the same as ${before}` };
  const amount = `${formatCount(percent)} %`;
  return current > previous
    ? { direction: 'up', text: `▲ ${amount}`, words: `up ${amount} from ${before}` }
    : { direction: 'down', text: `▼ ${amount}`, words: `down ${amount} from ${before}` };
}

/** A bucket's label on the chart's axis, in the viewer's time zone: Dec 5, 3 PM or Dec 5. */
export function formatBucket(iso: string, hourly: boolean): string {
  const date = new Date(iso);
  return hourly
    ? formatDateWith(date, { month: 'short', day: 'numeric', hour: 'numeric' })
    : formatDateWith(date, { month: 'short', day: 'numeric' });
}

/** A bucket in full, for a tooltip: Sat, Dec 5, 2026, 3 PM or Sat, Dec 5, 2026. */
export function formatBucketLong(iso: string, hourly: boolean): string {
  const date = new Date(iso);
  return hourly
    ? formatDateWith(date, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric' })
    : formatDateWith(date, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
}

/** A range of whole days, both included: Dec 1 – Dec 5, 2026 (one day: Dec 5, 2026). */
export function formatDayRange(first: Date, last: Date): string {
  const full: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric', year: 'numeric' };
  if (first.toDateString() === last.toDateString()) return formatDateWith(first, full);
  const sameYear = first.getFullYear() === last.getFullYear();
  const start = formatDateWith(first, sameYear ? { month: 'short', day: 'numeric' } : full);
  return `${start} – ${formatDateWith(last, full)}`;
}

/**
 * A period (epoch milliseconds, end excluded): whole local days as days (Nov 22 – Nov 28, 2026),
 * anything else with its times (Nov 22, 3:00 PM – Nov 29, 3:00 PM).
 */
export function formatPeriod(period: { from: number; to: number }): string {
  const from = new Date(period.from);
  const to = new Date(period.to);
  const midnight = (date: Date) => date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0;
  if (midnight(from) && midnight(to)) return formatDayRange(from, new Date(period.to - 1));
  const withTime: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  return `${formatDateWith(from, withTime)} – ${formatDateWith(to, withTime)}`;
}
