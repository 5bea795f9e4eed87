import {
  ErrorCode,
  MEMBER_ROLE_RANK,
  MemberRole,
  WorkspaceKind,
  canManageMember,
  canStepDown,
  grantableRoles,
} from '@tally/shared';
import type { DataSource, EntityManager } from 'typeorm';
import { AppError, badInput, forbidden, isUuid, notFound } from '../../platform/errors';
import type { Principal } from '../../auth/principal';
import { userIdOf } from '../../auth/principal';
import { AuditAction, type AuditService } from '../audit/audit.service';
import { revokeInvitationsBeyondInviter } from '../invitations/inviter-revocation';
import { lockMembers, lockWorkspace } from '../workspaces/team-lock';
import { Membership } from '../workspaces/member.entity';

const PERSONAL_HAS_NO_MEMBERS = 'A personal workspace has no other members: create a team to work with others.';

export function lastOwner(message: string, details?: Record<string, unknown>): AppError {
  return new AppError(ErrorCode.LAST_OWNER, message, details);
}

function ownerCount(members: Map<string, MemberRole>): number {
  let owners = 0;
  for (const role of members.values()) if (role === MemberRole.OWNER) owners += 1;
  return owners;
}

/**
 * Who belongs to a workspace, and the member changes of team rules 5–7. Every change locks
 * the workspace row and then its memberships (team-lock.ts) and re-reads the actor's own role
 * under that lock, so racing requests see each other's effects: a team never loses its last
 * OWNER, and a member demoted a moment ago cannot use the role they just lost.
 */
export class MembershipService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * The user's role in a live workspace, read from the database on every request (the
   * context caches it for that request only), so a role change or removal counts at once.
   */
  async roleOf(userId: string, workspaceId: string): Promise<MemberRole | null> {
    if (!isUuid(workspaceId)) return null;
    const rows: Array<{ role: MemberRole }> = await this.db.query(
      `SELECT m.role FROM members m JOIN workspaces w ON w.id = m.workspace_id
        WHERE m.workspace_id = $1 AND m.user_id = $2 AND w.deleted_at IS NULL`,
      [workspaceId, userId],
    );
    return rows[0]?.role ?? null;
  }

  /** Members, owners first, then by when they joined. */
  async list(workspaceId: string): Promise<Membership[]> {
    const members = await this.db.getRepository(Membership).find({ where: { workspaceId } });
    return members.sort(
      (a, b) =>
        MEMBER_ROLE_RANK[b.role] - MEMBER_ROLE_RANK[a.role] ||
        a.joinedAt.getTime() - b.joinedAt.getTime() ||
        a.userId.localeCompare(b.userId),
    );
  }

  /**
   * Rule 5: an ADMIN changes EDITORs and VIEWERs, granting up to ADMIN; only an OWNER grants
   * OWNER or changes an ADMIN or OWNER. Nobody changes their own role except an OWNER stepping
   * down while another OWNER remains (LAST_OWNER otherwise).
   */
  async changeRole(workspaceId: string, targetUserId: string, role: MemberRole, actor: Principal): Promise<Membership> {
    const actorUserId = userIdOf(actor, 'API keys cannot manage members.');
    if (!isUuid(targetUserId)) throw notFound('Member');
    return this.db.transaction(async (manager) => {
      await lockWorkspace(manager, workspaceId, { refusal: PERSONAL_HAS_NO_MEMBERS });
      const members = await lockMembers(manager, workspaceId);
      const actorRole = members.get(actorUserId);
      if (!actorRole) throw notFound('Workspace');
      const current = members.get(targetUserId);
      if (!current) throw notFound('Member');
      if (targetUserId === actorUserId) {
        if (!canStepDown(actorRole)) throw forbidden('You cannot change your own role; ask an owner.');
        if (role !== MemberRole.OWNER && ownerCount(members) <= 1) {
          throw lastOwner('You are the last owner of this team: make another member an owner before stepping down.');
        }
      } else {
        if (!canManageMember(actorRole, current)) {
          throw forbidden(`An ${actorRole} cannot change the role of an ${current}.`);
        }
        if (!grantableRoles(actorRole).includes(role)) throw forbidden(`An ${actorRole} cannot grant ${role}.`);
        if (current === MemberRole.OWNER && role !== MemberRole.OWNER && ownerCount(members) <= 1) {
          throw lastOwner('A team must keep at least one owner.');
        }
      }
      if (current !== role) {
        await manager.update(Membership, { workspaceId, userId: targetUserId }, { role });
        await this.audit.record(manager, {
          workspaceId,
          action: AuditAction.MEMBER_ROLE_CHANGED,
          actor,
          targetType: 'user',
          targetId: targetUserId,
          details: { ...(await personDetails(manager, targetUserId)), from: current, to: role },
        });
        await revokeInvitationsBeyondInviter(manager, this.audit, {
          workspaceId,
          inviterId: targetUserId,
          role,
          actor,
          reason: `the inviter's role changed to ${role}`,
        });
      }
      return this.reload(manager, workspaceId, targetUserId);
    });
  }

  /**
   * Removes another member (managed downwards); leaving is leaveTeam. A role change below
   * ADMIN, a removal and a leave also revoke the invitations the member could no longer send
   * (inviter-revocation.ts), in the same transaction.
   */
  async remove(workspaceId: string, targetUserId: string, actor: Principal): Promise<void> {
    const actorUserId = userIdOf(actor, 'API keys cannot manage members.');
    if (!isUuid(targetUserId)) throw notFound('Member');
    await this.db.transaction(async (manager) => {
      await lockWorkspace(manager, workspaceId, { refusal: PERSONAL_HAS_NO_MEMBERS });
      const members = await lockMembers(manager, workspaceId);
      const actorRole = members.get(actorUserId);
      if (!actorRole) throw notFound('Workspace');
      const current = members.get(targetUserId);
      if (!current) throw notFound('Member');
      if (targetUserId === actorUserId) throw badInput('To leave this team, use Leave Team.');
      if (!canManageMember(actorRole, current)) throw forbidden(`An ${actorRole} cannot remove an ${current}.`);
      if (current === MemberRole.OWNER && ownerCount(members) <= 1) {
        throw lastOwner('A team must keep at least one owner.');
      }
      const details = await personDetails(manager, targetUserId);
      await manager.delete(Membership, { workspaceId, userId: targetUserId });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.MEMBER_REMOVED,
        actor,
        targetType: 'user',
        targetId: targetUserId,
        details: { ...details, role: current },
      });
      await revokeInvitationsBeyondInviter(manager, this.audit, {
        workspaceId,
        inviterId: targetUserId,
        role: null,
        actor,
        reason: 'the inviter was removed from the team',
      });
    });
  }

  /** Rule 7: any member may leave a team; the last OWNER gets LAST_OWNER. */
  async leave(workspaceId: string, actor: Principal): Promise<void> {
    const userId = userIdOf(actor, 'API keys cannot manage members.');
    await this.db.transaction(async (manager) => {
      // Membership first: someone else's personal workspace is NOT_FOUND like any unknown id,
      // never "cannot be left", which would tell that the id exists and is personal.
      const workspace = await lockWorkspace(manager, workspaceId);
      const members = await lockMembers(manager, workspaceId);
      const role = members.get(userId);
      if (!role) throw notFound('Workspace');
      if (workspace.kind !== WorkspaceKind.TEAM) throw badInput('A personal workspace cannot be left.');
      if (role === MemberRole.OWNER && ownerCount(members) <= 1) {
        throw lastOwner('You are the last owner of this team: make another member an owner before you leave.');
      }
      await manager.delete(Membership, { workspaceId, userId });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.MEMBER_LEFT,
        actor,
        targetType: 'user',
        targetId: userId,
        details: { ...(await personDetails(manager, userId)), role },
      });
      await revokeInvitationsBeyondInviter(manager, this.audit, {
        workspaceId,
        inviterId: userId,
        role: null,
        actor,
        reason: 'the inviter left the team',
      });
    });
  }

  /**
   * A deleted account leaves every team it is in, in the deletion's transaction: each team's
   * row and memberships are locked (in id order, so two deletions cannot deadlock), and where
   * the user is the last OWNER nothing is done and LAST_OWNER names every such team. Each
   * departure is audited in its team (`member.left`, reason "account deleted").
   */
  async leaveAllTeams(manager: EntityManager, userId: string, actor: Principal): Promise<void> {
    const teams: Array<{ workspace_id: string }> = await manager.query(
      `SELECT m.workspace_id FROM members m JOIN workspaces w ON w.id = m.workspace_id
        WHERE m.user_id = $1 AND w.kind = 'TEAM' AND w.deleted_at IS NULL ORDER BY m.workspace_id`,
      [userId],
    );
    const leaving: Array<{ workspaceId: string; role: MemberRole }> = [];
    const lastOwnerOf: string[] = [];
    for (const { workspace_id: workspaceId } of teams) {
      const team = await lockWorkspace(manager, workspaceId);
      const members = await lockMembers(manager, workspaceId);
      const role = members.get(userId);
      if (!role) continue;
      if (role === MemberRole.OWNER && ownerCount(members) <= 1) lastOwnerOf.push(team.name);
      else leaving.push({ workspaceId, role });
    }
    if (lastOwnerOf.length > 0) {
      const names = lastOwnerOf.sort((a, b) => a.localeCompare(b)).map((name) => `“${name}”`);
      const list = names.length === 1 ? `the team ${names[0] ?? ''}` : `the teams ${names.join(', ')}`;
      throw lastOwner(
        `You are the last owner of ${list}: make another member an owner, or delete the team, before you delete your account.`,
        { teams: lastOwnerOf },
      );
    }
    const person = await personDetails(manager, userId);
    for (const { workspaceId, role } of leaving) {
      await manager.delete(Membership, { workspaceId, userId });
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.MEMBER_LEFT,
        actor,
        targetType: 'user',
        targetId: userId,
        details: { ...person, role, reason: 'account deleted' },
      });
      await revokeInvitationsBeyondInviter(manager, this.audit, {
        workspaceId,
        inviterId: userId,
        role: null,
        actor,
        reason: 'the inviter deleted their account',
      });
    }
  }

  private async reload(manager: EntityManager, workspaceId: string, userId: string): Promise<Membership> {
    const member = await manager.findOne(Membership, { where: { workspaceId, userId } });
    if (!member) throw notFound('Member');
    return member;
  }
}

/** Name and email of a member, kept in audit details (they outlive the membership). */
async function personDetails(manager: EntityManager, userId: string): Promise<{ name?: string; email?: string }> {
  const rows: Array<{ name: string; email: string }> = await manager.query(
    `SELECT name, email FROM users WHERE id = $1`,
    [userId],
  );
  const row = rows[0];
  return row ? { name: row.name, email: row.email } : {};
}
