/**
 * The workspace a user last opened, remembered per user in localStorage so that two people
 * sharing a browser do not land in each other's (inaccessible) workspace.
 */
const key = (userId: string) => `tally.lastWorkspace.${userId}`;

export function readLastWorkspace(userId: string): string | null {
  try {
    return window.localStorage.getItem(key(userId));
  } catch {
    return null; // storage disabled (private mode, policies): fall back to the personal workspace
  }
}

export function rememberWorkspace(userId: string, workspaceId: string): void {
  try {
    window.localStorage.setItem(key(userId), workspaceId);
  } catch {
    // Not remembered; nothing else depends on it.
  }
}
