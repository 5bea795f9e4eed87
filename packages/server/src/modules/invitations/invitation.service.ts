import {
  INVITABLE_ROLES,
  InvitationStatus,
  LIMITS,
  type MemberRole,
  invitableRoles,
  invitationStatus,
} from '@tally/shared';
import { isEmail } from 'class-validator';
import type { DataSource, EntityManager } from 'typeorm';
import { AppError, badInput, conflict, forbidden, isUuid, notFound } from '../../platform/errors';
import type { Principal } from '../../auth/principal';
import { userIdOf } from '../../auth/principal';
import { ErrorCode } from '@tally/shared';
import type { Sealer } from '../../platform/sealer';
import { normalizeEmail } from '../accounts/account.service';
import { AuditAction, type AuditService } from '../audit/audit.service';
import type { JobQueue } from '../../platform/jobs/job-queue';
import { type RateLimit, consumeEach, hashedKey } from '../../platform/rate-limits/rate-limit';
import { lockMembers, lockWorkspace } from '../workspaces/team-lock';
import { Workspace } from '../workspaces/workspace.entity';
import { Invitation, type InvitationPreview } from './invitation.entity';
import { InvitationAcceptance } from './invitation-acceptance';
import { hashInvitationToken, newInvitationToken } from './invitation-token';

/** The job that emails an invitation's link (invitation-email.ts). */
export const INVITATION_EMAIL_JOB = 'invitation.email';

export interface InvitationEmailJob {
  workspaceId: string;
  invitationId: string;
  /** The link's token, sealed: the job row never holds a usable token. */
  sealedToken: string;
}

/** The most invitations `Workspace.invitations` returns (newest first); priced as a list of this many. */
export const INVITATIONS_LISTED = 200;

const INVITATION_TTL = `interval '7 days'`;

export interface InvitationLimits {
  perInviter: RateLimit;
  perWorkspace: RateLimit;
  perEmail: RateLimit;
}

/**
 * Team rules 1–4: invite, resend, revoke, and (through InvitationAcceptance, the invitee's side)
 * accept and the preview an invitation link shows.
 * Tokens are 256 random bits, kept only as SHA-256 hashes; each is single use and lives 7
 * days from its last send. Every change locks the team's workspace row first (team-lock.ts),
 * so an accept cannot interleave with a revoke, a resend or the team's deletion, and two
 * accepts of one token give one membership. Emails go out through the job queue, enqueued in
 * the same transaction: a committed invitation always gets its email (retried until the mail
 * server takes it), a rolled-back one never does.
 */
export class InvitationService {
  private readonly acceptance: InvitationAcceptance;

  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly jobs: Pick<JobQueue, 'sendInTransaction'>,
    private readonly limits: InvitationLimits,
    private readonly sealer: Sealer,
  ) {
    this.acceptance = new InvitationAcceptance(db, audit);
  }

  /** Newest first; `status` filters by the derived status. Bounded to INVITATIONS_LISTED. */
  list(workspaceId: string, status?: InvitationStatus | null): Promise<Invitation[]> {
    const query = this.db
      .getRepository(Invitation)
      .createQueryBuilder('i')
      .where('i.workspace_id = :workspaceId', { workspaceId })
      .orderBy('i.created_at', 'DESC')
      .addOrderBy('i.id', 'ASC')
      .limit(INVITATIONS_LISTED);
    if (status === InvitationStatus.ACCEPTED) query.andWhere('i.accepted_at IS NOT NULL');
    if (status === InvitationStatus.REVOKED) query.andWhere('i.revoked_at IS NOT NULL AND i.accepted_at IS NULL');
    if (status === InvitationStatus.PENDING) {
      query.andWhere('i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()');
    }
    if (status === InvitationStatus.EXPIRED) {
      query.andWhere('i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at <= now()');
    }
    return query.getMany();
  }

  async invite(workspaceId: string, rawEmail: string, role: MemberRole, actor: Principal): Promise<Invitation> {
    const inviterId = userIdOf(actor, 'API keys cannot manage invitations.');
    const email = normalizeEmail(rawEmail);
    if (!isEmail(email) || email.length > LIMITS.emailMaxLength) {
      throw badInput('Enter a valid email address.', { field: 'email' });
    }
    if (!INVITABLE_ROLES.includes(role)) {
      throw badInput('OWNER cannot be invited: invite as ADMIN, then make them an owner.', { field: 'role' });
    }
    if (!isUuid(workspaceId)) throw notFound('Workspace');
    const token = newInvitationToken();
    // Consume first: however many invitations race, the limits hold.
    const id = await this.counted(inviterId, workspaceId, email, () =>
      this.db.transaction(async (manager) => {
        await lockWorkspace(manager, workspaceId, {
          refusal: 'A personal workspace cannot invite: create a team first.',
        });
        await this.assertMayInvite(manager, workspaceId, inviterId, role);
        const member: unknown[] = await manager.query(
          `SELECT 1 FROM members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND u.email = $2`,
          [workspaceId, email],
        );
        if (member.length > 0) throw conflict(`${email} is already a member of this team.`);
        const open: Array<{ id: string; pending: boolean }> = await manager.query(
          `SELECT id, expires_at > now() AS pending FROM invitations
          WHERE workspace_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL FOR UPDATE`,
          [workspaceId, email],
        );
        const previous = open[0];
        if (previous?.pending) throw conflict(`An invitation to ${email} is already pending: resend it instead.`);
        if (previous) {
          // An expired invitation to the same email gives way to the new one.
          await manager.query(`UPDATE invitations SET revoked_at = now() WHERE workspace_id = $1 AND id = $2`, [
            workspaceId,
            previous.id,
          ]);
          await this.audit.record(manager, {
            workspaceId,
            action: AuditAction.INVITATION_REVOKED,
            actor,
            targetType: 'invitation',
            targetId: previous.id,
            details: { email, reason: 'replaced by a new invitation' },
          });
        }
        const rows: Array<{ id: string }> = await manager.query(
          `INSERT INTO invitations (workspace_id, email, role, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + ${INVITATION_TTL}) RETURNING id`,
          [workspaceId, email, role, hashInvitationToken(token), inviterId],
        );
        const created = rows[0];
        if (!created) throw new Error('invitation insert returned no row');
        await this.audit.record(manager, {
          workspaceId,
          action: AuditAction.MEMBER_INVITED,
          actor,
          targetType: 'invitation',
          targetId: created.id,
          details: { email, role },
        });
        await this.enqueueEmail(manager, workspaceId, created.id, token);
        return created.id;
      }),
    );
    return this.reload(workspaceId, id);
  }

  /** Rule 3: a new token (the old link stops working), 7 more days, and the email again. */
  async resend(workspaceId: string, invitationId: string, actor: Principal): Promise<Invitation> {
    const inviterId = userIdOf(actor, 'API keys cannot manage invitations.');
    const found = await this.find(workspaceId, invitationId);
    const token = newInvitationToken();
    await this.counted(inviterId, workspaceId, found.email, () =>
      this.db.transaction(async (manager) => {
        await lockWorkspace(manager, workspaceId, { refusal: 'A personal workspace has no invitations.' });
        const invitation = await this.lockInvitation(manager, workspaceId, invitationId);
        await this.assertMayInvite(manager, workspaceId, inviterId, invitation.role);
        const status = invitationStatus(invitation);
        if (status === InvitationStatus.ACCEPTED || status === InvitationStatus.REVOKED) {
          throw conflict(`This invitation was ${status.toLowerCase()}; it cannot be resent.`);
        }
        await manager.query(
          `UPDATE invitations SET token_hash = $3, last_sent_at = now(), expires_at = now() + ${INVITATION_TTL},
                delivered_at = NULL, last_send_error = NULL, send_attempts = 0
          WHERE workspace_id = $1 AND id = $2`,
          [workspaceId, invitationId, hashInvitationToken(token)],
        );
        await this.audit.record(manager, {
          workspaceId,
          action: AuditAction.INVITATION_RESENT,
          actor,
          targetType: 'invitation',
          targetId: invitationId,
          details: { email: invitation.email, role: invitation.role },
        });
        await this.enqueueEmail(manager, workspaceId, invitationId, token);
      }),
    );
    return this.reload(workspaceId, invitationId);
  }

  /** Rule 3: a pending (or expired) invitation becomes REVOKED; its link stops working. */
  async revoke(workspaceId: string, invitationId: string, actor: Principal): Promise<Invitation> {
    const actorId = userIdOf(actor, 'API keys cannot manage invitations.');
    await this.db.transaction(async (manager) => {
      await lockWorkspace(manager, workspaceId, { refusal: 'A personal workspace has no invitations.' });
      const invitation = await this.lockInvitation(manager, workspaceId, invitationId);
      await this.assertMayInvite(manager, workspaceId, actorId, invitation.role);
      const status = invitationStatus(invitation);
      if (status === InvitationStatus.ACCEPTED || status === InvitationStatus.REVOKED) {
        throw conflict(`This invitation was already ${status.toLowerCase()}.`);
      }
      await manager.query(`UPDATE invitations SET revoked_at = now() WHERE workspace_id = $1 AND id = $2`, [
        workspaceId,
        invitationId,
      ]);
      await this.audit.record(manager, {
        workspaceId,
        action: AuditAction.INVITATION_REVOKED,
        actor,
        targetType: 'invitation',
        targetId: invitationId,
        details: { email: invitation.email, role: invitation.role },
      });
    });
    return this.reload(workspaceId, invitationId);
  }

  /** Rule 4 (InvitationAcceptance.accept). */
  accept(token: string, actor: Principal): Promise<{ workspace: Workspace; role: MemberRole }> {
    return this.acceptance.accept(token, actor);
  }

  /** What the link's landing page shows (InvitationAcceptance.preview). */
  preview(token: string, viewer: Principal | null): Promise<InvitationPreview | null> {
    return this.acceptance.preview(token, viewer);
  }

  /**
   * Rule 2 around one invite or resend: a point from each limit before the work (so racing
   * requests cannot outrun them), given back when the work ends in CONFLICT (nothing was sent).
   * The email is counted per team: one team's invitations to an address never use up another's.
   */
  private async counted<T>(inviterId: string, workspaceId: string, email: string, work: () => Promise<T>): Promise<T> {
    const counters = [
      [this.limits.perInviter, inviterId],
      [this.limits.perWorkspace, workspaceId],
      [this.limits.perEmail, hashedKey(`${workspaceId}:${email}`)],
    ] as const;
    await consumeEach(counters);
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.CONFLICT) {
        await Promise.all(counters.map(([limit, key]) => limit.refund(key)));
      }
      throw error;
    }
  }

  /** The actor's role, re-read under the lock: invitations go downwards (an ADMIN up to ADMIN). */
  private async assertMayInvite(
    manager: EntityManager,
    workspaceId: string,
    userId: string,
    role: MemberRole,
  ): Promise<void> {
    const members = await lockMembers(manager, workspaceId);
    const actorRole = members.get(userId);
    if (!actorRole) throw notFound('Workspace');
    if (!invitableRoles(actorRole).includes(role)) throw forbidden(`An ${actorRole} cannot invite an ${role}.`);
  }

  private async enqueueEmail(manager: EntityManager, workspaceId: string, invitationId: string, token: string) {
    const job: InvitationEmailJob = { workspaceId, invitationId, sealedToken: this.sealer.seal(token) };
    await this.jobs.sendInTransaction(manager, INVITATION_EMAIL_JOB, job);
  }

  private async lockInvitation(manager: EntityManager, workspaceId: string, invitationId: string) {
    if (!isUuid(invitationId)) throw notFound('Invitation');
    const invitation = await manager.findOne(Invitation, {
      where: { workspaceId, id: invitationId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!invitation) throw notFound('Invitation');
    return invitation;
  }

  private async find(workspaceId: string, invitationId: string): Promise<Invitation> {
    if (!isUuid(invitationId) || !isUuid(workspaceId)) throw notFound('Invitation');
    const invitation = await this.db.getRepository(Invitation).findOne({ where: { workspaceId, id: invitationId } });
    if (!invitation) throw notFound('Invitation');
    return invitation;
  }

  private reload(workspaceId: string, invitationId: string): Promise<Invitation> {
    return this.find(workspaceId, invitationId);
  }
}
