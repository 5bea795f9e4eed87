import { type MemberRole, type Scope, scopesForMemberRole } from '@tally/shared';
import type { WorkspaceAccess } from './principal';

/**
 * Where a user's role in a workspace comes from. The members module implements it
 * (MembershipService.roleOf); auth knows no domain.
 */
export interface RoleSource {
  roleOf(userId: string, workspaceId: string): Promise<MemberRole | null>;
}

/** One scope set per member role, built once: every access check shares these sets. */
const MEMBER_ACCESS = new Map<MemberRole, WorkspaceAccess>();

/** What a member of this role holds in the workspace. */
export function memberAccess(role: MemberRole): WorkspaceAccess {
  let access = MEMBER_ACCESS.get(role);
  if (!access) {
    access = { role, scopes: new Set<Scope>(scopesForMemberRole(role)) };
    MEMBER_ACCESS.set(role, access);
  }
  return access;
}
