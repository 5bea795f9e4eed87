/** A person's role in a workspace. OWNER is never invitable; a team always keeps one. */
export const MemberRole = {
  OWNER: 'OWNER',
  ADMIN: 'ADMIN',
  EDITOR: 'EDITOR',
  VIEWER: 'VIEWER',
} as const;
export type MemberRole = (typeof MemberRole)[keyof typeof MemberRole];
export const MEMBER_ROLES: readonly MemberRole[] = Object.values(MemberRole);

/** An API key's role. Keys never hold OWNER, nor any member or key management scope. */
export const ApiKeyRole = {
  ADMIN: 'ADMIN',
  EDITOR: 'EDITOR',
  VIEWER: 'VIEWER',
} as const;
export type ApiKeyRole = (typeof ApiKeyRole)[keyof typeof ApiKeyRole];
export const API_KEY_ROLES: readonly ApiKeyRole[] = Object.values(ApiKeyRole);

/** Whether a key of `role` is within a workspace key policy's highest role (VIEWER < EDITOR < ADMIN). */
export function keyRoleWithin(role: ApiKeyRole, highest: ApiKeyRole): boolean {
  const rank: Record<ApiKeyRole, number> = { VIEWER: 0, EDITOR: 1, ADMIN: 2 };
  return rank[role] <= rank[highest];
}

/** Roles an invitation may carry (OWNER cannot be invited). */
export const INVITABLE_ROLES: readonly MemberRole[] = [MemberRole.ADMIN, MemberRole.EDITOR, MemberRole.VIEWER];

/** Higher rank = more power; used to manage members "downwards". */
export const MEMBER_ROLE_RANK: Readonly<Record<MemberRole, number>> = {
  OWNER: 4,
  ADMIN: 3,
  EDITOR: 2,
  VIEWER: 1,
};

export function isMemberRole(value: unknown): value is MemberRole {
  return typeof value === 'string' && (MEMBER_ROLES as readonly string[]).includes(value);
}

export function isApiKeyRole(value: unknown): value is ApiKeyRole {
  return typeof value === 'string' && (API_KEY_ROLES as readonly string[]).includes(value);
}
