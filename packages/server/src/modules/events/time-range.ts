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

/**
 * A range cut at whole hours where a ragged end may instead be its whole hour, from the rollups,
 * less the part of that hour outside the range (`less`, read raw and taken away): whichever of the
 * two holds less time up to `now` (the events raw rows would have to be read for). At the newest
 * end that part is mostly the future, so an hour's events, read raw on every dashboard request,
 * become none; at the other end at most half an hour is read. The counts are sums, so either way
 * gives the same answer (each hour's rollups hold exactly its events, in the same snapshot); only
 * what the statement reads differs. Not for distinct counts: those cannot be taken away.
 */
export interface SignedSplit extends Split {
  less: TimeRange[];
}

export function splitAroundHours(range: TimeRange, now: number): SignedSplit {
  const split = splitByHours(range);
  const { rolled } = split;
  if (!rolled) return { ...split, less: [] };
  /** How much of from–to lies before `now`: what reading it raw costs. */
  const cost = (from: number, to: number) => Math.max(0, Math.min(to, now) - from);
  const from = range.from.getTime();
  const to = range.to.getTime();
  let start = rolled.from.getTime();
  let end = rolled.to.getTime();
  const raw: TimeRange[] = [];
  const less: TimeRange[] = [];
  if (from < start) {
    if (cost(start - HOUR_MS, from) < cost(from, start)) {
      start -= HOUR_MS;
      less.push({ from: new Date(start), to: range.from });
    } else raw.push({ from: range.from, to: new Date(start) });
  }
  if (end < to) {
    if (cost(to, end + HOUR_MS) < cost(end, to)) {
      less.push({ from: range.to, to: new Date(end + HOUR_MS) });
      end += HOUR_MS;
    } else raw.push({ from: new Date(end), to: range.to });
  }
  return { rolled: { from: new Date(start), to: new Date(end) }, raw, less };
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
