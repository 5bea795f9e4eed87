import { workspacePath } from '../../app/paths';

/** A tool's (an event name's) own page, the range and filters of `search` carried. */
export function toolPath(workspaceId: string, name: string, search = ''): string {
  return `${workspacePath(workspaceId, 'tools')}/${encodeURIComponent(name)}${search}`;
}
