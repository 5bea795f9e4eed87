import { ANALYTICS_LIMITS } from '@tally/shared';
import { badInput } from '../../platform/errors';
import type { TimeRange } from './event-store';

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

/** A query's range: valid times, `from` before `to`, at most ANALYTICS_LIMITS.maxRangeDays long. */
export function checkRange(from: Date, to: Date, field = 'range'): TimeRange {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw badInput('The range needs valid times.', { field });
  }
  if (!(from < to)) throw badInput('The range must start before it ends.', { field });
  if (to.getTime() - from.getTime() > ANALYTICS_LIMITS.maxRangeDays * DAY_MS) {
    throw badInput(`The range may span at most ${ANALYTICS_LIMITS.maxRangeDays} days.`, { field });
  }
  return { from, to };
}

/** A range cut at whole hours: the middle from the rollups, the ragged ends from raw rows. */
export interface Split {
  rolled: TimeRange | null;
  raw: TimeRange[];
}

export function splitByHours(range: TimeRange): Split {
  const start = Math.ceil(range.from.getTime() / HOUR_MS) * HOUR_MS;
  const end = Math.floor(range.to.getTime() / HOUR_MS) * HOUR_MS;
  if (start >= end) return { rolled: null, raw: [range] };
  const raw: TimeRange[] = [];
  if (range.from.getTime() < start) raw.push({ from: range.from, to: new Date(start) });
  if (end < range.to.getTime()) raw.push({ from: new Date(end), to: range.to });
  return { rolled: { from: new Date(start), to: new Date(end) }, raw };
}

/** Whole UTC days of an hour-aligned range, and the hours before and after them. */
export function splitByDays(range: TimeRange): { daily: TimeRange | null; hourly: TimeRange[] } {
  const start = Math.ceil(range.from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.floor(range.to.getTime() / DAY_MS) * DAY_MS;
  if (start >= end) return { daily: null, hourly: [range] };
  const hourly: TimeRange[] = [];
  if (range.from.getTime() < start) hourly.push({ from: range.from, to: new Date(start) });
  if (end < range.to.getTime()) hourly.push({ from: new Date(end), to: range.to });
  return { daily: { from: new Date(start), to: new Date(end) }, hourly };
}
