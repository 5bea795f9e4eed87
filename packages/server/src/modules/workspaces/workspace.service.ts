import { LIMITS, MemberRole, WorkspaceKind } from '@tally/shared';
import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import { badInput, isUuid, notFound } from '../../errors';
import { Membership } from '../members/member.entity';
import { Workspace } from './workspace.entity';

export interface WorkspaceWithRole {
  workspace: Workspace;
  role: MemberRole;
}

/** Normalises and checks a workspace name: trimmed, 1–100 characters. */
export function workspaceName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > LIMITS.workspaceNameMaxLength) {
    throw badInput(`A workspace name must be 1 to ${LIMITS.workspaceNameMaxLength} characters.`, { field: 'name' });
  }
  return name;
}

export class WorkspaceService {
  constructor(private readonly db: DataSource) {}

  /** A user's private workspace, created in the sign-up transaction. */
  async createPersonal(manager: EntityManager, userId: string): Promise<Workspace> {
    const workspace = await manager.save(
      manager.create(Workspace, { kind: WorkspaceKind.PERSONAL, name: 'Personal', personalOwnerId: userId }),
    );
    await manager.insert(Membership, { workspaceId: workspace.id, userId, role: MemberRole.OWNER });
    return workspace;
  }

  /** The user's workspaces with their role in each: personal first, then teams by name. */
  async listForUser(userId: string): Promise<WorkspaceWithRole[]> {
    const rows = await this.db
      .getRepository(Workspace)
      .createQueryBuilder('w')
      .innerJoin(Membership, 'm', 'm.workspace_id = w.id AND m.user_id = :userId', { userId })
      .addSelect('m.role', 'member_role')
      .where('w.deleted_at IS NULL')
      .orderBy('w.kind', 'ASC') // PERSONAL < TEAM
      .addOrderBy('lower(w.name)', 'ASC')
      .addOrderBy('w.id', 'ASC')
      .getRawAndEntities<{ member_role: MemberRole }>();
    return rows.entities.map((workspace, i) => ({ workspace, role: rowRole(rows.raw[i]) }));
  }

  /** One workspace with the user's role in it; null when the user is not a member. */
  async findForUser(userId: string, workspaceId: string): Promise<WorkspaceWithRole | null> {
    if (!isUuid(workspaceId)) return null;
    const rows = await this.db
      .getRepository(Workspace)
      .createQueryBuilder('w')
      .innerJoin(Membership, 'm', 'm.workspace_id = w.id AND m.user_id = :userId', { userId })
      .addSelect('m.role', 'member_role')
      .where('w.id = :workspaceId AND w.deleted_at IS NULL', { workspaceId })
      .getRawAndEntities<{ member_role: MemberRole }>();
    const workspace = rows.entities[0];
    return workspace ? { workspace, role: rowRole(rows.raw[0]) } : null;
  }

  /** A live (not deleted) workspace by id. */
  async findLive(workspaceId: string): Promise<Workspace | null> {
    if (!isUuid(workspaceId)) return null;
    return this.db.getRepository(Workspace).findOne({ where: { id: workspaceId, deletedAt: IsNull() } });
  }

  async rename(workspaceId: string, rawName: string): Promise<Workspace> {
    const name = workspaceName(rawName);
    const workspace = await this.findLive(workspaceId);
    if (!workspace) throw notFound('Workspace');
    workspace.name = name;
    await this.db.getRepository(Workspace).update({ id: workspace.id }, { name });
    return workspace;
  }
}

function rowRole(raw: { member_role: MemberRole } | undefined): MemberRole {
  if (!raw) throw new Error('workspace row without a role');
  return raw.member_role;
}
