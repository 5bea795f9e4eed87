import { type MemberRole, invitableRoles } from '@tally/shared';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { AuditAction, type AuditService } from '../audit/audit.service';

/**
 * Team rule 5 over time: an invitation grants no more than its inviter may grant now. When a
 * member's role drops, or they are removed or leave, the open invitations they sent (pending or
 * expired: an expired one could still be resent and then accepted) whose role they could no
 * longer invite are revoked, in the caller's transaction, which holds the team's workspace row
 * and member rows (team-lock.ts), so an accept cannot slip in between. One `invitation.revoked`
 * audit entry each, with the reason. `role` is the inviter's role from now on (null: gone).
 */
export async function revokeInvitationsBeyondInviter(
  manager: EntityManager,
  audit: AuditService,
  change: { workspaceId: string; inviterId: string; role: MemberRole | null; actor: Principal | null; reason: string },
): Promise<number> {
  const stillInvitable = [...invitableRoles(change.role)];
  // A CTE, so the driver hands back the rows (a bare UPDATE … RETURNING comes back as [rows, count]).
  const revoked: Array<{ id: string; email: string; role: MemberRole }> = await manager.query(
    `WITH revoked AS (
       UPDATE invitations SET revoked_at = now()
        WHERE workspace_id = $1 AND invited_by = $2 AND accepted_at IS NULL AND revoked_at IS NULL
          AND NOT (role = ANY($3::text[]))
        RETURNING id, email, role
     ) SELECT id, email, role FROM revoked ORDER BY id`,
    [change.workspaceId, change.inviterId, stillInvitable],
  );
  for (const invitation of revoked) {
    await audit.record(manager, {
      workspaceId: change.workspaceId,
      action: AuditAction.INVITATION_REVOKED,
      actor: change.actor,
      targetType: 'invitation',
      targetId: invitation.id,
      details: { email: invitation.email, role: invitation.role, invitedBy: change.inviterId, reason: change.reason },
    });
  }
  return revoked.length;
}
