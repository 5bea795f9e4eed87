import { apiKeyExpiryThreshold, apiKeyUnused } from './api-key-expiry';

const now = new Date('2026-12-01T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const at = (ms: number) => new Date(now.getTime() + ms);

describe('apiKeyExpiryThreshold', () => {
  it('is null for a key without expiry or with more than seven days left', () => {
    expect(apiKeyExpiryThreshold(null, now)).toBeNull();
    expect(apiKeyExpiryThreshold(undefined, now)).toBeNull();
    expect(apiKeyExpiryThreshold(at(7 * DAY + 1), now)).toBeNull();
  });

  it('gives the nearest threshold crossed, at its very moment', () => {
    expect(apiKeyExpiryThreshold(at(7 * DAY), now)).toBe('SEVEN_DAYS');
    expect(apiKeyExpiryThreshold(at(DAY + 1), now)).toBe('SEVEN_DAYS');
    expect(apiKeyExpiryThreshold(at(DAY), now)).toBe('ONE_DAY');
    expect(apiKeyExpiryThreshold(at(1), now)).toBe('ONE_DAY');
    expect(apiKeyExpiryThreshold(now, now)).toBe('EXPIRED');
    expect(apiKeyExpiryThreshold(at(-DAY).toISOString(), now.getTime())).toBe('EXPIRED');
  });

  it('forgets keys that expired more than seven days ago', () => {
    expect(apiKeyExpiryThreshold(at(-7 * DAY), now)).toBe('EXPIRED');
    expect(apiKeyExpiryThreshold(at(-7 * DAY - 1), now)).toBeNull();
  });
});

describe('apiKeyUnused', () => {
  it('counts from the last use, or from creation when never used', () => {
    expect(apiKeyUnused({ lastUsedAt: at(-30 * DAY), createdAt: at(-90 * DAY) }, now)).toBe(true);
    expect(apiKeyUnused({ lastUsedAt: at(-29 * DAY), createdAt: at(-90 * DAY) }, now)).toBe(false);
    expect(apiKeyUnused({ lastUsedAt: null, createdAt: at(-31 * DAY).toISOString() }, now)).toBe(true);
    expect(apiKeyUnused({ lastUsedAt: null, createdAt: at(-DAY) }, now)).toBe(false);
  });
});
