/**
 * The time, in epoch milliseconds. Whatever decides by the clock (a key's expiry, how long a cache
 * remembers) takes one of these instead of calling `Date.now()` itself, so that tests move time
 * forward instead of sleeping. A plain function: it runs on hot paths (every API key check).
 */
export type Clock = () => number;

export const systemClock: Clock = Date.now;
