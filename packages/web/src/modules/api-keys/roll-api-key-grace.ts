import { LIMITS } from '@tally/shared';

const HOUR_MS = 60 * 60 * 1000;

/** How long the old key keeps working after a roll: the choices the Roll dialog offers. */
export const ROLL_GRACE_OPTIONS = [
  { value: 'now', label: 'Stop it now', ms: 0 },
  { value: '1h', label: '1 hour', ms: HOUR_MS },
  { value: '24h', label: '24 hours', ms: 24 * HOUR_MS },
  { value: '3d', label: '3 days', ms: 72 * HOUR_MS },
  { value: '7d', label: '7 days', ms: LIMITS.apiKeyRollGraceMaxMs },
] as const;

export type RollGrace = (typeof ROLL_GRACE_OPTIONS)[number]['value'];

export const DEFAULT_ROLL_GRACE: RollGrace = '24h';

/** A minute's room under the server's 7-day bound, for a browser clock a little ahead of it. */
const CLOCK_ROOM_MS = 60 * 1000;

export function isRollGrace(value: string): value is RollGrace {
  return ROLL_GRACE_OPTIONS.some((option) => option.value === value);
}

/**
 * When the old key stops working for a choice: now, or that long from now (never past the old
 * key's own expiry, as the server does it).
 */
export function graceEnd(grace: RollGrace, now: number, expiresAt: string | null): number {
  const option = ROLL_GRACE_OPTIONS.find((o) => o.value === grace);
  const ms = option?.ms ?? 0;
  const end = now + (ms >= LIMITS.apiKeyRollGraceMaxMs ? ms - CLOCK_ROOM_MS : ms);
  return expiresAt === null ? end : Math.min(end, Date.parse(expiresAt));
}
