import { INVITABLE_ROLES, MEMBER_ROLES, MemberRole } from './roles';

/**
 * Members are managed downwards (DESIGN.md, team rule 5). The server enforces these and the
 * web app uses the same functions to decide which controls a member sees.
 */

/** Roles `actor` may give by invitation: an OWNER or ADMIN up to ADMIN; OWNER is never invited. */
export function invitableRoles(actor: MemberRole | null | undefined): readonly MemberRole[] {
  return actor === MemberRole.OWNER || actor === MemberRole.ADMIN ? INVITABLE_ROLES : [];
}

/** Roles `actor` may set on another member: an OWNER any; an ADMIN up to ADMIN. */
export function grantableRoles(actor: MemberRole | null | undefined): readonly MemberRole[] {
  if (actor === MemberRole.OWNER) return MEMBER_ROLES;
  if (actor === MemberRole.ADMIN) return INVITABLE_ROLES;
  return [];
}

/** Whether `actor` may change or remove another member who holds `target`. */
export function canManageMember(actor: MemberRole | null | undefined, target: MemberRole): boolean {
  if (actor === MemberRole.OWNER) return true;
  if (actor === MemberRole.ADMIN) return target === MemberRole.EDITOR || target === MemberRole.VIEWER;
  return false;
}

/** Whether a member holding `role` may change their own role: only an OWNER, stepping down. */
export function canStepDown(role: MemberRole | null | undefined): boolean {
  return role === MemberRole.OWNER;
}
