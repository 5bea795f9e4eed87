import { type MemberRole, WorkspaceKind } from '@tally/shared';
import type { EntityManager } from 'typeorm';
import { badInput, isUuid, notFound } from '../../platform/errors';

export interface LockedTeam {
  id: string;
  name: string;
  kind: WorkspaceKind;
}

/**
 * Every change to a team's members, invitations or existence first takes its workspace row
 * FOR UPDATE, inside the change's transaction. So changes to one team happen one at a time
 * (a deletion cannot interleave with an accept or a role change), and what a change checks
 * is what it writes. A deleted team is NOT_FOUND; `teamOnly` refuses a personal workspace.
 */
export async function lockWorkspace(
  manager: EntityManager,
  workspaceId: string,
  teamOnly?: { refusal: string },
): Promise<LockedTeam> {
  if (!isUuid(workspaceId)) throw notFound('Workspace');
  const rows: LockedTeam[] = await manager.query(
    `SELECT id, name, kind FROM workspaces WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
    [workspaceId],
  );
  const workspace = rows[0];
  if (!workspace) throw notFound('Workspace');
  if (teamOnly && workspace.kind !== WorkspaceKind.TEAM) throw badInput(teamOnly.refusal);
  return workspace;
}

/** The team's memberships, locked FOR UPDATE (after the workspace row): user id → role. */
export async function lockMembers(manager: EntityManager, workspaceId: string): Promise<Map<string, MemberRole>> {
  const rows: Array<{ user_id: string; role: MemberRole }> = await manager.query(
    `SELECT user_id, role FROM members WHERE workspace_id = $1 ORDER BY user_id FOR UPDATE`,
    [workspaceId],
  );
  return new Map(rows.map((row) => [row.user_id, row.role]));
}
