import type { ApolloCache } from '@apollo/client';
import { WorkspaceKind } from '@tally/shared';
import { type MemberRole, type WorkspacesQuery, WorkspacesDocument } from '../../graphql/generated';

export type WorkspaceSummary = WorkspacesQuery['workspaces'][number];

/** The personal workspace first, then teams by name. */
export function sortWorkspaces(workspaces: readonly WorkspaceSummary[]): WorkspaceSummary[] {
  return [...workspaces].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === WorkspaceKind.PERSONAL ? -1 : 1;
    return a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });
  });
}

/** The caller's personal workspace in a `workspaces` answer. */
export function personalWorkspace(workspaces: readonly WorkspaceSummary[]): WorkspaceSummary | null {
  return workspaces.find((w) => w.kind === WorkspaceKind.PERSONAL) ?? null;
}

/**
 * Puts a team the caller just created or joined into the cached workspace list, so that the
 * selector lists it and the layout finds it before any refetch. Nothing cached yet: the
 * layout's own query brings it from the server.
 */
export function addToWorkspaceList(cache: ApolloCache, workspace: WorkspaceSummary): void {
  cache.updateQuery({ query: WorkspacesDocument }, (previous) =>
    previous
      ? { ...previous, workspaces: [...previous.workspaces.filter((w) => w.id !== workspace.id), workspace] }
      : previous,
  );
}

/** Takes a team the caller left or deleted out of the cached workspace list. */
export function removeFromWorkspaceList(cache: ApolloCache, workspaceId: string): void {
  cache.updateQuery({ query: WorkspacesDocument }, (previous) =>
    previous ? { ...previous, workspaces: previous.workspaces.filter((w) => w.id !== workspaceId) } : previous,
  );
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

/** What each role may do, in the user guides' words (the scopes come from @tally/shared). */
export const MEMBER_ROLE_DESCRIPTION: Readonly<Record<MemberRole, string>> = {
  OWNER: 'Full control: delete the team, manage members, create and revoke API keys, view all analytics.',
  ADMIN: 'Manage members, create and revoke API keys, view all analytics — everything except deleting the team.',
  EDITOR: 'Create and edit filters and annotations, and view analytics.',
  VIEWER: 'Read-only access to analytics. Cannot manage members or API keys.',
};

/** "an Admin", "a Viewer". */
export function withArticle(role: MemberRole): string {
  const label = MEMBER_ROLE_LABEL[role];
  return /^[AEIOU]/.test(label) ? `an ${label}` : `a ${label}`;
}
