import type { Clock } from '../../src/platform/clock';

/** A clock that stands still until the test moves it: expiry without sleeping. */
export interface ManualClock {
  readonly now: Clock;
  advance(ms: number): void;
}

export function manualClock(start = Date.now()): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}
