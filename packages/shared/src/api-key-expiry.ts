/**
 * When the OWNERs and ADMINs of a workspace are warned that one of its keys expires (issue 22,
 * "Expiry warnings"): seven days before, one day before, and when it has expired. The server's
 * scheduled check mails them; the dashboard's banner on API Keys shows the keys inside the first.
 */
export const ApiKeyExpiryThreshold = {
  SEVEN_DAYS: 'SEVEN_DAYS',
  ONE_DAY: 'ONE_DAY',
  EXPIRED: 'EXPIRED',
} as const;
export type ApiKeyExpiryThreshold = (typeof ApiKeyExpiryThreshold)[keyof typeof ApiKeyExpiryThreshold];

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long before its expiry each threshold is crossed, latest first (the nearest wins). */
export const API_KEY_EXPIRY_THRESHOLDS: ReadonlyArray<{ threshold: ApiKeyExpiryThreshold; beforeMs: number }> = [
  { threshold: ApiKeyExpiryThreshold.EXPIRED, beforeMs: 0 },
  { threshold: ApiKeyExpiryThreshold.ONE_DAY, beforeMs: DAY_MS },
  { threshold: ApiKeyExpiryThreshold.SEVEN_DAYS, beforeMs: 7 * DAY_MS },
];

/** The banner and the first email: a key expiring within this long is "expiring soon". */
export const API_KEY_EXPIRY_WARNING_MS = 7 * DAY_MS;

/** An expired key is warned about only this long after its expiry (not one that ended long before). */
export const API_KEY_EXPIRED_NOTICE_WINDOW_MS = 7 * DAY_MS;

/** A key unused (or, never used, created) this long ago gets "Consider revoking" ("Monitor usage"). */
export const API_KEY_UNUSED_MS = 30 * DAY_MS;

function millis(value: Date | string | number): number {
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}

/**
 * The nearest threshold a key with this expiry has crossed at `now`, or null (no expiry, more
 * than seven days left, or expired longer ago than the notice window). A key made a few hours
 * before its end is at ONE_DAY at once: it gets that warning only, never the seven days' too.
 */
export function apiKeyExpiryThreshold(
  expiresAt: Date | string | number | null | undefined,
  now: Date | number,
): ApiKeyExpiryThreshold | null {
  if (expiresAt === null || expiresAt === undefined) return null;
  const left = millis(expiresAt) - millis(now);
  if (Number.isNaN(left) || left < -API_KEY_EXPIRED_NOTICE_WINDOW_MS) return null;
  return API_KEY_EXPIRY_THRESHOLDS.find((t) => left <= t.beforeMs)?.threshold ?? null;
}

/** Whether a key looks abandoned: not used (or, never used, not created) in the last 30 days. */
export function apiKeyUnused(
  key: { lastUsedAt?: Date | string | null; createdAt: Date | string },
  now: Date | number,
): boolean {
  const since = millis(key.lastUsedAt ?? key.createdAt);
  return !Number.isNaN(since) && millis(now) - since >= API_KEY_UNUSED_MS;
}
