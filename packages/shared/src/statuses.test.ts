import { invitationStatus, keyStatus } from './statuses';

const now = new Date('2026-01-01T12:00:00Z');

describe('keyStatus', () => {
  it('is ACTIVE without revocation or expiry', () => {
    expect(keyStatus(null, null, now)).toBe('ACTIVE');
  });
  it('is ACTIVE before expiry', () => {
    expect(keyStatus(null, new Date('2026-01-01T12:00:01Z'), now)).toBe('ACTIVE');
  });
  it('is EXPIRED exactly at expiresAt and after', () => {
    expect(keyStatus(null, now, now)).toBe('EXPIRED');
    expect(keyStatus(null, '2025-12-31T00:00:00Z', now)).toBe('EXPIRED');
  });
  it('is REVOKED when revoked, even if also expired', () => {
    expect(keyStatus(new Date('2025-06-01'), new Date('2025-01-01'), now)).toBe('REVOKED');
  });
});

describe('invitationStatus', () => {
  const future = new Date('2026-01-08T12:00:00Z');
  it('is PENDING until it expires', () => {
    expect(invitationStatus({ acceptedAt: null, revokedAt: null, expiresAt: future }, now)).toBe('PENDING');
    expect(invitationStatus({ acceptedAt: null, revokedAt: null, expiresAt: now }, now)).toBe('EXPIRED');
  });
  it('keeps ACCEPTED and REVOKED final', () => {
    expect(invitationStatus({ acceptedAt: now, revokedAt: null, expiresAt: new Date(0) }, now)).toBe('ACCEPTED');
    expect(invitationStatus({ acceptedAt: null, revokedAt: now, expiresAt: new Date(0) }, now)).toBe('REVOKED');
  });
});
