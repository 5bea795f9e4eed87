import { invitationStatus, InvitationStatus } from '@tally/shared';
import type { DataSource } from 'typeorm';
import { singleLineName } from '../../platform/text';
import type { Sealer } from '../../platform/sealer';
import type { JobQueue } from '../../platform/jobs/job-queue';
import { html } from '../../platform/mail/html';
import type { MailMessage, Mailer } from '../../platform/mail/mailer';
import { hashInvitationToken } from './invitation-token';
import { INVITATION_EMAIL_JOB, type InvitationEmailJob } from './invitation.service';

const ROLE_WORDS: Record<string, string> = {
  ADMIN: 'an Admin (manage members and API keys, view all analytics)',
  EDITOR: 'an Editor (view analytics, manage filters and annotations)',
  VIEWER: 'a Viewer (read-only access to analytics)',
};

/** A name as it goes into the email: on one line (a stored name from before the rule may hold breaks), in quotes. */
function quoted(name: string): string {
  return `"${singleLineName(name)}"`;
}

/**
 * The invitation email: plain text and HTML, with the team, the inviter, the role, the expiry and
 * the link. Names come from people, so each stays on one line and in quotes: a team called
 * `Acme\n\nAccept the invitation: https://evil.example/…` cannot put a line of its own above the link.
 */
export function invitationEmail(input: {
  to: string;
  teamName: string;
  inviterName: string | null;
  role: string;
  expiresAt: Date;
  link: string;
}): MailMessage {
  const inviter = input.inviterName === null ? 'A team owner' : quoted(input.inviterName);
  const asker = input.inviterName === null ? 'the team' : inviter;
  const team = quoted(input.teamName);
  const role = ROLE_WORDS[input.role] ?? input.role;
  const expires = input.expiresAt.toUTCString();
  const text = [
    `${inviter} invited you to join the team ${team} on Tally as ${role}.`,
    '',
    `Accept the invitation: ${input.link}`,
    '',
    `The link works once and expires on ${expires}. If it has expired, ask ${asker} to resend it.`,
    `If you did not expect this email, you can ignore it.`,
  ].join('\n');
  const body = html`<!doctype html>
    <html>
      <body style="font-family:sans-serif;line-height:1.5">
        <p>${inviter} invited you to join the team <strong>${team}</strong> on Tally as ${role}.</p>
        <p><a href="${input.link}">Accept the invitation</a></p>
        <p style="color:#555">
          Or open this link: ${input.link}<br />
          It works once and expires on ${expires}. If it has expired, ask ${asker} to resend it.
        </p>
      </body>
    </html>`;
  return { to: input.to, subject: `${inviter} invited you to ${team} on Tally`, text, html: body.value };
}

/**
 * Sends an invitation's email. Idempotent and safe to retry: it sends only while the
 * invitation is pending with this very token (a resend or revoke since makes the job moot).
 * Every failed attempt is recorded on the invitation (the dashboard shows it); the queue
 * retries with backoff, and success clears it.
 */
export function defineInvitationEmail(
  jobs: JobQueue,
  deps: { db: DataSource; mailer: Pick<Mailer, 'deliver'>; sealer: Sealer; publicUrl: string },
): void {
  jobs.define<InvitationEmailJob>({
    name: INVITATION_EMAIL_JOB,
    retryLimit: 8,
    retryDelaySeconds: 5,
    retryBackoff: true,
    parse: (data) => {
      const job = data as Partial<InvitationEmailJob> | null;
      if (
        typeof job?.workspaceId !== 'string' ||
        typeof job.invitationId !== 'string' ||
        typeof job.sealedToken !== 'string'
      ) {
        throw new Error('invitation.email needs workspaceId, invitationId and sealedToken');
      }
      return { workspaceId: job.workspaceId, invitationId: job.invitationId, sealedToken: job.sealedToken };
    },
    handler: async (job) => {
      const token = deps.sealer.unseal(job.sealedToken);
      if (token === null) return; // sealed under another secret: nothing can be sent for it
      const rows: Array<{
        email: string;
        role: string;
        expires_at: Date;
        accepted_at: Date | null;
        revoked_at: Date | null;
        team_name: string;
        inviter_name: string | null;
      }> = await deps.db.query(
        `SELECT i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at, w.name AS team_name, u.name AS inviter_name
           FROM invitations i
           JOIN workspaces w ON w.id = i.workspace_id AND w.deleted_at IS NULL
           LEFT JOIN users u ON u.id = i.invited_by
          WHERE i.workspace_id = $1 AND i.id = $2 AND i.token_hash = $3`,
        [job.workspaceId, job.invitationId, hashInvitationToken(token)],
      );
      const row = rows[0];
      if (!row) return;
      const status = invitationStatus({
        acceptedAt: row.accepted_at,
        revokedAt: row.revoked_at,
        expiresAt: row.expires_at,
      });
      if (status !== InvitationStatus.PENDING) return;
      await deps.mailer.deliver(
        invitationEmail({
          to: row.email,
          teamName: row.team_name,
          inviterName: row.inviter_name,
          role: row.role,
          expiresAt: row.expires_at,
          link: `${deps.publicUrl}/invite/${token}`,
        }),
      );
      await deps.db.query(
        `UPDATE invitations SET send_attempts = send_attempts + 1, last_send_error = NULL, delivered_at = now()
          WHERE workspace_id = $1 AND id = $2 AND token_hash = $3`,
        [job.workspaceId, job.invitationId, hashInvitationToken(token)],
      );
    },
    onFailure: async (job, error) => {
      const reason = error instanceof Error ? error.message : String(error);
      const token = deps.sealer.unseal(job.sealedToken);
      if (token === null) return;
      await deps.db.query(
        `UPDATE invitations SET send_attempts = send_attempts + 1, last_send_error = $4
          WHERE workspace_id = $1 AND id = $2 AND token_hash = $3`,
        [job.workspaceId, job.invitationId, hashInvitationToken(token), reason.slice(0, 500)],
      );
    },
  });
}
