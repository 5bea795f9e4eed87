/** The pages of a workspace, in navigation order; the path segment under /w/:workspaceId/. */
export const WORKSPACE_SECTIONS = [
  'overview',
  'sessions',
  'tools',
  'activity',
  'teams',
  'api-keys',
  'settings',
] as const;
export type WorkspaceSection = (typeof WORKSPACE_SECTIONS)[number];

export function isWorkspaceSection(value: unknown): value is WorkspaceSection {
  return typeof value === 'string' && (WORKSPACE_SECTIONS as readonly string[]).includes(value);
}

export function workspacePath(workspaceId: string, section: WorkspaceSection = 'overview'): string {
  return `/w/${encodeURIComponent(workspaceId)}/${section}`;
}

export const LOGIN_PATH = '/login';
export const SIGNUP_PATH = '/signup';
