import { ErrorCode, InvitationStatus, type MemberRole, invitableRoles, invitationStatus } from '@tally/shared';
import type { DataSource } from 'typeorm';
import { type Principal, userIdOf } from '../../auth/principal';
import { AppError, conflict, forbidden, notFound } from '../../platform/errors';
import { AuditAction, type AuditService } from '../audit/audit.service';
import { Membership } from '../workspaces/member.entity';
import { lockMembers, lockWorkspace } from '../workspaces/team-lock';
import { Workspace } from '../workspaces/workspace.entity';
import { Invitation, type InvitationPreview } from './invitation.entity';
import { hashInvitationToken, isInvitationToken } from './invitation-token';

type AcceptOutcome = { refused: true } | { refused: false; workspace: Workspace; role: MemberRole };

/**
 * The invitee's side of an invitation: accepting it (under the team's locks, like every
 * change of the inviter's side in InvitationService) and the preview its link shows.
 */
export class InvitationAcceptance {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * Rule 4: the signed-in user's email must be the invited one (FORBIDDEN), the invitation
   * must be pending (revoked or accepted: CONFLICT; expired: INVITATION_EXPIRED) and the
   * team alive (NOT_FOUND). Rule 5 is checked now, not when it was sent: an invitation its
   * inviter can no longer send (demoted, removed, gone) is revoked for good and refused with
   * CONFLICT. Returns the team as it was joined, with the role.
   */
  async accept(token: string, actor: Principal): Promise<{ workspace: Workspace; role: MemberRole }> {
    const userId = userIdOf(actor, 'API keys cannot manage invitations.');
    const tokenHash = isInvitationToken(token) ? hashInvitationToken(token) : null;
    const located: Array<{ workspace_id: string }> = tokenHash
      ? await this.db.query(`SELECT workspace_id FROM invitations WHERE token_hash = $1`, [tokenHash])
      : [];
    const workspaceId = located[0]?.workspace_id;
    if (!workspaceId || !tokenHash) throw notFound('Invitation');

    const outcome = await this.db.transaction(async (manager): Promise<AcceptOutcome> => {
      await lockWorkspace(manager, workspaceId);
      const rows = await manager
        .createQueryBuilder(Invitation, 'i')
        .setLock('pessimistic_write')
        .where('i.workspace_id = :workspaceId AND i.token_hash = :tokenHash', { workspaceId, tokenHash })
        .getMany();
      const invitation = rows[0];
      // Resent meanwhile (the token changed): this link no longer exists.
      if (!invitation) throw notFound('Invitation');
      const users: Array<{ email: string }> = await manager.query(`SELECT email FROM users WHERE id = $1`, [userId]);
      if (users[0]?.email !== invitation.email) {
        throw forbidden(`This invitation is for ${invitation.email}: log in with that email address to accept it.`);
      }
      const status = invitationStatus(invitation);
      if (status === InvitationStatus.ACCEPTED) throw conflict('This invitation has already been accepted.');
      if (status === InvitationStatus.REVOKED)
        throw conflict('This invitation was revoked. Ask the team for a new one.');
      if (status === InvitationStatus.EXPIRED) {
        throw new AppError(ErrorCode.INVITATION_EXPIRED, 'This invitation has expired. Ask the team to resend it.');
      }
      const members = await lockMembers(manager, workspaceId);
      // Rule 5 now, not when it was sent: an inviter who lost the right (demoted, removed, left)
      // grants nothing. Such an invitation is revoked for good (committed), then refused.
      const inviterRole = invitation.invitedById ? (members.get(invitation.invitedById) ?? null) : null;
      if (!invitableRoles(inviterRole).includes(invitation.role)) {
        await manager.query(`UPDATE invitations SET revoked_at = now() WHERE workspace_id = $1 AND id = $2`, [
          workspaceId,
          invitation.id,
        ]);
        await this.audit.record(manager, {
          workspaceId,
          action: AuditAction.INVITATION_REVOKED,
          actor: null,
          targetType: 'invitation',
          targetId: invitation.id,
          details: {
            email: invitation.email,
            role: invitation.role,
            invitedBy: invitation.invitedById,
            reason: 'the inviter can no longer invite to this role',
          },
        });
        return { refused: true };
      }
      if (members.has(userId)) throw conflict('You are already a member of this team.');
      await manager.insert(Membership, { workspaceId, userId, role: invitation.role });
      await manager.query(
        `UPDATE invitations SET accepted_at = now(), accepted_by = $3 WHERE workspace_id = $1 AND id = $2`,
        [workspaceId, invitation.id, userId],
      );
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.INVITATION_ACCEPTED,
        actor,
        targetType: 'invitation',
        targetId: invitation.id,
        details: { email: invitation.email, role: invitation.role },
      });
      const workspace = await manager.findOne(Workspace, { where: { id: workspaceId } });
      if (!workspace) throw notFound('Workspace');
      return { refused: false, workspace, role: invitation.role };
    });
    if (outcome.refused) {
      throw conflict(
        'This invitation is no longer valid: whoever sent it can no longer invite to this role. Ask the team for a new one.',
      );
    }
    return outcome;
  }

  /**
   * What the link's landing page shows; null when the link is unknown or the team is gone. Once
   * the invitation was accepted or revoked the link is spent: it then tells only its status (and
   * role and expiry), with the team's, the inviter's and the invited names and email left empty
   * (the contract keeps those fields non-null) — unless the signed-in caller is the invited person.
   */
  async preview(token: string, viewer: Principal | null): Promise<InvitationPreview | null> {
    if (!isInvitationToken(token)) return null;
    const viewerId = viewer?.kind === 'user' ? viewer.userId : null;
    const rows: Array<{
      workspace_name: string;
      email: string;
      role: MemberRole;
      expires_at: Date;
      accepted_at: Date | null;
      revoked_at: Date | null;
      inviter_name: string | null;
      account_exists: boolean;
      viewer_invited: boolean;
    }> = await this.db.query(
      `SELECT w.name AS workspace_name, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at,
              inviter.name AS inviter_name,
              EXISTS (SELECT 1 FROM users u WHERE u.email = i.email) AS account_exists,
              EXISTS (SELECT 1 FROM users v WHERE v.id = $2::uuid AND v.email = i.email) AS viewer_invited
         FROM invitations i
         JOIN workspaces w ON w.id = i.workspace_id AND w.deleted_at IS NULL
         LEFT JOIN users inviter ON inviter.id = i.invited_by
        WHERE i.token_hash = $1`,
      [hashInvitationToken(token), viewerId],
    );
    const row = rows[0];
    if (!row) return null;
    const status = invitationStatus({
      acceptedAt: row.accepted_at,
      revokedAt: row.revoked_at,
      expiresAt: row.expires_at,
    });
    const spent = status === InvitationStatus.ACCEPTED || status === InvitationStatus.REVOKED;
    if (spent && !row.viewer_invited) {
      return {
        workspaceName: '',
        email: '',
        role: row.role,
        status,
        expiresAt: row.expires_at,
        accountExists: false,
        invitedByName: null,
      };
    }
    return {
      workspaceName: row.workspace_name,
      email: row.email,
      role: row.role,
      status,
      expiresAt: row.expires_at,
      accountExists: row.account_exists,
      invitedByName: row.inviter_name,
    };
  }
}
