import { WorkspaceKind } from '@tally/shared';
import type { MemberRole, WorkspacesQuery } from '../../graphql/generated';
import { readLastWorkspace } from './last-workspace';

export type WorkspaceSummary = WorkspacesQuery['workspaces'][number];

/** The personal workspace first, then teams by name. */
export function sortWorkspaces(workspaces: readonly WorkspaceSummary[]): WorkspaceSummary[] {
  return [...workspaces].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === WorkspaceKind.PERSONAL ? -1 : 1;
    return a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });
  });
}

/** Where to go when no workspace is in the address: the last one opened, else the personal one. */
export function defaultWorkspace(userId: string, workspaces: readonly WorkspaceSummary[]): WorkspaceSummary | null {
  const remembered = readLastWorkspace(userId);
  const sorted = sortWorkspaces(workspaces);
  return sorted.find((w) => w.id === remembered) ?? sorted[0] ?? null;
}

export const WORKSPACE_KIND_LABEL: Readonly<Record<WorkspaceKind, string>> = {
  PERSONAL: 'Personal',
  TEAM: 'Team',
};

export const MEMBER_ROLE_LABEL: Readonly<Record<MemberRole, string>> = {
  OWNER: 'Owner',
  ADMIN: 'Admin',
  EDITOR: 'Editor',
  VIEWER: 'Viewer',
};
