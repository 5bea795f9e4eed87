/** The pages of a workspace, in navigation order; the path segment under /w/:workspaceId/. */
export const WORKSPACE_SECTIONS = [
  'getting-started',
  'overview',
  'sessions',
  'tools',
  'activity',
  'teams',
  'api-keys',
  'settings',
  'account',
] as const;
export type WorkspaceSection = (typeof WORKSPACE_SECTIONS)[number];

export function isWorkspaceSection(value: unknown): value is WorkspaceSection {
  return typeof value === 'string' && (WORKSPACE_SECTIONS as readonly string[]).includes(value);
}

/**
 * Where a workspace opens: Getting started (a key, a first event, the team), which links on to
 * Overview once events arrive.
 */
export const DEFAULT_SECTION: WorkspaceSection = 'getting-started';

export function workspacePath(workspaceId: string, section: WorkspaceSection = DEFAULT_SECTION): string {
  return `/w/${encodeURIComponent(workspaceId)}/${section}`;
}

/** The tabs of a team's view, under /w/:teamId/teams/<tab> (the team is the workspace in the address). */
export const TEAM_TABS = ['members', 'api-keys', 'settings', 'audit'] as const;
export type TeamTab = (typeof TEAM_TABS)[number];

export function isTeamTab(value: unknown): value is TeamTab {
  return typeof value === 'string' && (TEAM_TABS as readonly string[]).includes(value);
}

export function teamPath(teamId: string, tab: TeamTab = 'members'): string {
  return `${workspacePath(teamId, 'teams')}/${tab}`;
}

/** The landing page of an invitation email's link. */
export function invitationPath(token: string): string {
  return `/invite/${encodeURIComponent(token)}`;
}

export const LOGIN_PATH = '/login';
export const SIGNUP_PATH = '/signup';
export const FORGOT_PASSWORD_PATH = '/forgot-password';

/** The landing page of a password reset email's link. */
export function resetPasswordPath(token: string): string {
  return `/reset-password/${encodeURIComponent(token)}`;
}

/** The landing page of the link sent to a new email address (account page). */
export function confirmEmailPath(token: string): string {
  return `/confirm-email/${encodeURIComponent(token)}`;
}
