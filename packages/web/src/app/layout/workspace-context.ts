import { useOutletContext } from 'react-router';
import type { WorkspaceSummary } from '../../modules/workspaces/workspace-list';

/** What the workspace layout hands to the page it renders. */
export interface WorkspaceOutletContext {
  workspace: WorkspaceSummary;
}

/** The workspace in the address, as listed by `workspaces` (with the caller's role and scopes). */
export function useCurrentWorkspace(): WorkspaceSummary {
  return useOutletContext<WorkspaceOutletContext>().workspace;
}
