import { ANALYTICS_LIMITS } from '@tally/shared';
import { badInput } from '../../platform/errors';
import type { TimeRange } from './event-store';

const DAY_MS = 24 * 60 * 60 * 1000;

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
