import type { ApiKeyRole, MemberRole } from './roles';

/** Every permission Tally knows. Scopes are plain strings on the wire ("analytics.view"). */
export const Scope = {
  EVENTS_TRACK: 'events.track',
  ANALYTICS_VIEW: 'analytics.view',
  ANALYTICS_EXPORT: 'analytics.export',
  WORKSPACE_READ: 'workspace.read',
  FILTERS_MANAGE: 'filters.manage',
  ANNOTATIONS_MANAGE: 'annotations.manage',
  MEMBERS_READ: 'members.read',
  MEMBERS_MANAGE: 'members.manage',
  KEYS_READ: 'keys.read',
  KEYS_MANAGE: 'keys.manage',
  WORKSPACE_MANAGE: 'workspace.manage',
  WORKSPACE_DELETE: 'workspace.delete',
  AUDIT_READ: 'audit.read',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/** In the order of DESIGN.md's table. */
export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

const S = Scope;

/**
 * The one place where roles are turned into scopes (DESIGN.md, "Roles grant scopes").
 * The server's @requiresScopes directives, its auth checker, the web app's buttons and the
 * tests all derive from these two tables.
 */
export const MEMBER_ROLE_SCOPES: Readonly<Record<MemberRole, readonly Scope[]>> = {
  OWNER: [
    S.ANALYTICS_VIEW,
    S.ANALYTICS_EXPORT,
    S.WORKSPACE_READ,
    S.FILTERS_MANAGE,
    S.ANNOTATIONS_MANAGE,
    S.MEMBERS_READ,
    S.MEMBERS_MANAGE,
    S.KEYS_READ,
    S.KEYS_MANAGE,
    S.WORKSPACE_MANAGE,
    S.WORKSPACE_DELETE,
    S.AUDIT_READ,
  ],
  ADMIN: [
    S.ANALYTICS_VIEW,
    S.ANALYTICS_EXPORT,
    S.WORKSPACE_READ,
    S.FILTERS_MANAGE,
    S.ANNOTATIONS_MANAGE,
    S.MEMBERS_READ,
    S.MEMBERS_MANAGE,
    S.KEYS_READ,
    S.KEYS_MANAGE,
    S.WORKSPACE_MANAGE,
    S.AUDIT_READ,
  ],
  EDITOR: [
    S.ANALYTICS_VIEW,
    S.ANALYTICS_EXPORT,
    S.WORKSPACE_READ,
    S.FILTERS_MANAGE,
    S.ANNOTATIONS_MANAGE,
    S.MEMBERS_READ,
    S.KEYS_READ,
  ],
  VIEWER: [S.ANALYTICS_VIEW, S.WORKSPACE_READ, S.MEMBERS_READ, S.KEYS_READ],
};

export const API_KEY_ROLE_SCOPES: Readonly<Record<ApiKeyRole, readonly Scope[]>> = {
  ADMIN: [
    S.EVENTS_TRACK,
    S.ANALYTICS_VIEW,
    S.ANALYTICS_EXPORT,
    S.WORKSPACE_READ,
    S.FILTERS_MANAGE,
    S.ANNOTATIONS_MANAGE,
  ],
  EDITOR: [S.EVENTS_TRACK, S.ANALYTICS_VIEW, S.ANALYTICS_EXPORT, S.FILTERS_MANAGE, S.ANNOTATIONS_MANAGE],
  VIEWER: [S.ANALYTICS_VIEW, S.WORKSPACE_READ],
};

/** Scopes a member role grants, in table order. */
export function scopesForMemberRole(role: MemberRole): readonly Scope[] {
  return MEMBER_ROLE_SCOPES[role];
}

/** Scopes an API key role grants, in table order. */
export function scopesForApiKeyRole(role: ApiKeyRole): readonly Scope[] {
  return API_KEY_ROLE_SCOPES[role];
}

/** A principal's role, tagged so that a key's ADMIN is never read as a member's ADMIN. */
export type RoleRef = { kind: 'member'; role: MemberRole } | { kind: 'apiKey'; role: ApiKeyRole };

export function scopesFor(ref: RoleRef): readonly Scope[] {
  return ref.kind === 'member' ? MEMBER_ROLE_SCOPES[ref.role] : API_KEY_ROLE_SCOPES[ref.role];
}

/** Whether a set or list of held scopes includes `scope`. */
export function can(held: Iterable<string> | undefined | null, scope: Scope): boolean {
  if (!held) return false;
  if (held instanceof Set) return held.has(scope);
  for (const s of held) if (s === scope) return true;
  return false;
}

/** Whether every scope of `required` is held. */
export function canAll(held: Iterable<string> | undefined | null, required: readonly Scope[]): boolean {
  return required.every((scope) => can(held, scope));
}

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (ALL_SCOPES as readonly string[]).includes(value);
}
