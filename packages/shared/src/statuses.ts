export const ApiKeyStatus = {
  ACTIVE: 'ACTIVE',
  EXPIRED: 'EXPIRED',
  REVOKED: 'REVOKED',
} as const;
export type ApiKeyStatus = (typeof ApiKeyStatus)[keyof typeof ApiKeyStatus];

export const InvitationStatus = {
  PENDING: 'PENDING',
  ACCEPTED: 'ACCEPTED',
  EXPIRED: 'EXPIRED',
  REVOKED: 'REVOKED',
} as const;
export type InvitationStatus = (typeof InvitationStatus)[keyof typeof InvitationStatus];

export const WorkspaceKind = {
  PERSONAL: 'PERSONAL',
  TEAM: 'TEAM',
} as const;
export type WorkspaceKind = (typeof WorkspaceKind)[keyof typeof WorkspaceKind];

type Instant = Date | string | number | null | undefined;

function toMillis(value: Instant): number | null {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

/** Derived, never stored: revoked wins over expired; expiresAt ≤ now is EXPIRED. */
export function keyStatus(revokedAt: Instant, expiresAt: Instant, now: Date | number = Date.now()): ApiKeyStatus {
  if (toMillis(revokedAt) !== null) return ApiKeyStatus.REVOKED;
  const expires = toMillis(expiresAt);
  const nowMs = now instanceof Date ? now.getTime() : now;
  if (expires !== null && expires <= nowMs) return ApiKeyStatus.EXPIRED;
  return ApiKeyStatus.ACTIVE;
}

/** Derived like keyStatus: accepted and revoked are final; a pending one past expiresAt is EXPIRED. */
export function invitationStatus(
  invitation: { acceptedAt: Instant; revokedAt: Instant; expiresAt: Instant },
  now: Date | number = Date.now(),
): InvitationStatus {
  if (toMillis(invitation.acceptedAt) !== null) return InvitationStatus.ACCEPTED;
  if (toMillis(invitation.revokedAt) !== null) return InvitationStatus.REVOKED;
  const expires = toMillis(invitation.expiresAt);
  const nowMs = now instanceof Date ? now.getTime() : now;
  if (expires !== null && expires <= nowMs) return InvitationStatus.EXPIRED;
  return InvitationStatus.PENDING;
}

/** How long an invitation link stays valid after it was last sent. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
