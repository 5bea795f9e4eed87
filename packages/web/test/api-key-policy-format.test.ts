import {
  allowedRole,
  expiryPolicyProblem,
  latestExpiryDate,
  policySummary,
  roleOptions,
  withRoleLabels,
} from '../src/modules/api-keys/api-key-policy-format';
import { expiryFromDateInput } from '../src/modules/api-keys/api-key-format';
import { graceEnd } from '../src/modules/api-keys/roll-api-key-grace';

const NONE = { maxLifetimeDays: null, maxRole: null, requireAllowlist: false } as const;
const STRICT = { maxLifetimeDays: 90, maxRole: 'EDITOR', requireAllowlist: true } as const;
const DAY = 24 * 60 * 60 * 1000;

describe('the key policy in words', () => {
  it('says every rule, or nothing without one', () => {
    expect(policySummary(NONE)).toBeNull();
    expect(policySummary(STRICT)).toBe(
      "This workspace's policy: keys expire within 90 days, at most Editor, an IP allowlist is required.",
    );
    expect(policySummary({ ...NONE, maxLifetimeDays: 1 })).toBe("This workspace's policy: keys expire within 1 day.");
  });

  it('puts role names in the dashboard words', () => {
    expect(withRoleLabels("This workspace's keys may have at most the EDITOR role.")).toBe(
      "This workspace's keys may have at most the Editor role.",
    );
  });
});

describe('choices the policy allows', () => {
  it('disables roles above the highest', () => {
    expect(roleOptions(STRICT, (r) => r).map((o) => [o.value, o.disabled])).toEqual([
      ['ADMIN', true],
      ['EDITOR', false],
      ['VIEWER', false],
    ]);
    expect(allowedRole(STRICT, 'ADMIN')).toBe('EDITOR');
    expect(allowedRole(STRICT, 'VIEWER')).toBe('VIEWER');
    expect(allowedRole(NONE, 'ADMIN')).toBe('ADMIN');
  });

  it('ends the latest expiry day within the maximum lifetime', () => {
    const now = new Date(2031, 2, 9, 23, 30).getTime();
    const latest = latestExpiryDate(STRICT, now);
    expect(latest).toBe('2031-06-06');
    const end = Date.parse(expiryFromDateInput(latest ?? '') ?? '');
    expect(end - now).toBeLessThanOrEqual(90 * DAY);
    expect(latestExpiryDate(NONE, now)).toBeNull();
    expect(expiryPolicyProblem(STRICT, '', now)).toMatch(/must expire within 90 days: choose a date/);
    expect(expiryPolicyProblem(STRICT, '2031-06-07', now)).toMatch(/or earlier/);
    expect(expiryPolicyProblem(STRICT, '2031-06-06', now)).toBeNull();
    expect(expiryPolicyProblem(NONE, '', now)).toBeNull();
  });
});

describe('graceEnd', () => {
  const now = Date.UTC(2031, 0, 1);
  it('is now, or that long from now, never past the old key own expiry', () => {
    expect(graceEnd('now', now, null)).toBe(now);
    expect(graceEnd('24h', now, null)).toBe(now + DAY);
    expect(graceEnd('24h', now, new Date(now + 60_000).toISOString())).toBe(now + 60_000);
    // Seven days less a minute: within the server's bound with a clock a little ahead.
    expect(graceEnd('7d', now, null)).toBe(now + 7 * DAY - 60_000);
  });
});
