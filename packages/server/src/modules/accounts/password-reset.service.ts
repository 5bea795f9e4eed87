import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { badInput } from '../../platform/errors';
import type { Sealer } from '../../platform/sealer';
import type { JobQueue } from '../../platform/jobs/job-queue';
import type { MailMessage, Mailer } from '../../platform/mail/mailer';
import { html } from '../../platform/mail/html';
import { type RateLimit, consumeEach, hashedKey } from '../../platform/rate-limits/rate-limit';
import type { AccountService } from './account.service';
import { normalizeEmail } from './account.service';
import type { LoginLimiter } from './login-limiter';
import { hashPassword } from './password';
import { newPasswordProblem } from './password-policy';

/** The job that looks the email up and, for an account, stores the link and emails it. */
export const PASSWORD_RESET_EMAIL_JOB = 'accounts.password-reset-email';

interface PasswordResetEmailJob {
  /** The normalized email asked for, sealed: the job row holds no address in clear. */
  sealedEmail: string;
  /** The link's token, sealed: the job row never holds a usable token. */
  sealedToken: string;
  /** When it was asked for (ISO 8601): the link's hour counts from then, however late the job runs. */
  requestedAt: string;
}

export interface PasswordResetLimits {
  perAddress: RateLimit;
  perEmail: RateLimit;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const INVALID_LINK = 'This reset link is no longer valid. Ask for a new one.';

function hashResetToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Forgotten passwords. A request answers the same, and does the same work, whether or not the
 * email has an account: it is limited per address and per email (consumed first), then queues
 * one durable job holding the sealed email and a sealed new 256-bit token — no lookup, so
 * neither the answer nor its timing says whether the account exists. The job looks the email
 * up; for an account it stores the token's hash, valid one hour from the request, and emails
 * the link; for none it does nothing. A reset
 * sets the new password, uses up every open link of the account, ends every session of it on
 * every instance, and forgets its failed logins (a locked-out user gets back in this way).
 */
export class PasswordResetService {
  constructor(
    private readonly db: DataSource,
    private readonly jobs: Pick<JobQueue, 'send'>,
    private readonly limits: PasswordResetLimits,
    private readonly sealer: Sealer,
    private readonly accounts: Pick<AccountService, 'endAllSessions' | 'applyEndedFamilies'>,
    private readonly logins: Pick<LoginLimiter, 'forgetAccount'>,
  ) {}

  async request(rawEmail: string, ip: string): Promise<void> {
    const email = normalizeEmail(rawEmail);
    await consumeEach([
      [this.limits.perAddress, ip],
      [this.limits.perEmail, hashedKey(email)],
    ]);
    const token = randomBytes(32).toString('base64url');
    const job: PasswordResetEmailJob = {
      sealedEmail: this.sealer.seal(email),
      sealedToken: this.sealer.seal(token),
      requestedAt: new Date().toISOString(),
    };
    await this.jobs.send(PASSWORD_RESET_EMAIL_JOB, job);
  }

  async reset(token: string, password: string): Promise<void> {
    const problem = newPasswordProblem(password);
    if (problem) throw badInput(problem, { field: 'password' });
    if (!TOKEN_PATTERN.test(token)) throw badInput(INVALID_LINK, { field: 'token' });
    const passwordHash = await hashPassword(password);
    const ended = await this.db.transaction(async (manager) => {
      const rows: Array<{ id: string; user_id: string; email: string }> = await manager.query(
        `SELECT r.id, r.user_id, u.email FROM password_resets r JOIN users u ON u.id = r.user_id
          WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now()
          FOR UPDATE OF r`,
        [hashResetToken(token)],
      );
      const reset = rows[0];
      if (!reset) throw badInput(INVALID_LINK, { field: 'token' });
      await manager.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [reset.user_id, passwordHash]);
      await manager.query(`UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [
        reset.user_id,
      ]);
      const families = await this.accounts.endAllSessions(manager, reset.user_id);
      return { families, email: reset.email };
    });
    this.accounts.applyEndedFamilies(ended.families);
    await this.logins.forgetAccount(ended.email);
  }
}

/** The reset email: plain text and HTML, with the link and its one-hour life. */
export function passwordResetEmail(to: string, link: string): MailMessage {
  const text = [
    'Someone asked to reset the password of your Tally account.',
    '',
    `Set a new password: ${link}`,
    '',
    'The link works once, for one hour. Setting a new password logs you out everywhere.',
    'If you did not ask for this, ignore this email: your password stays as it is.',
  ].join('\n');
  const body = html`<!doctype html>
    <html>
      <body style="font-family:sans-serif;line-height:1.5">
        <p>Someone asked to reset the password of your Tally account.</p>
        <p><a href="${link}">Set a new password</a></p>
        <p style="color:#555">
          Or open this link: ${link}<br />
          It works once, for one hour. Setting a new password logs you out everywhere.<br />
          If you did not ask for this, ignore this email: your password stays as it is.
        </p>
      </body>
    </html>`;
  return { to, subject: 'Reset your Tally password', text, html: body.value };
}

/**
 * For an account with the email asked for: stores the link (once, whatever the retries) and
 * sends it while it is still usable. Idempotent, retried by the queue.
 */
export function definePasswordResetEmail(
  jobs: JobQueue,
  deps: { db: DataSource; mailer: Pick<Mailer, 'deliver'>; sealer: Sealer; publicUrl: string },
): void {
  jobs.define<PasswordResetEmailJob>({
    name: PASSWORD_RESET_EMAIL_JOB,
    retryLimit: 5,
    retryDelaySeconds: 5,
    // A reset link lives an hour: retrying for longer would send a dead link.
    expireInSeconds: 120,
    parse: (data) => {
      const job = data as Partial<PasswordResetEmailJob> | null;
      if (
        typeof job?.sealedEmail !== 'string' ||
        typeof job.sealedToken !== 'string' ||
        typeof job.requestedAt !== 'string' ||
        Number.isNaN(Date.parse(job.requestedAt))
      ) {
        throw new Error(`${PASSWORD_RESET_EMAIL_JOB} needs sealedEmail, sealedToken and requestedAt`);
      }
      return { sealedEmail: job.sealedEmail, sealedToken: job.sealedToken, requestedAt: job.requestedAt };
    },
    handler: async (job) => {
      const email = deps.sealer.unseal(job.sealedEmail);
      const token = deps.sealer.unseal(job.sealedToken);
      if (email === null || token === null) return;
      const tokenHash = hashResetToken(token);
      // No account: no row, nothing sent. A retry finds the row its first attempt stored.
      await deps.db.query(
        `INSERT INTO password_resets (user_id, token_hash, created_at, expires_at)
         SELECT id, $2, $3::timestamptz, $3::timestamptz + interval '1 hour' FROM users WHERE email = $1
         ON CONFLICT (token_hash) DO NOTHING`,
        [email, tokenHash, job.requestedAt],
      );
      const rows: Array<{ email: string }> = await deps.db.query(
        `SELECT u.email FROM password_resets r JOIN users u ON u.id = r.user_id
          WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now()`,
        [tokenHash],
      );
      const row = rows[0];
      if (!row) return;
      await deps.mailer.deliver(passwordResetEmail(row.email, `${deps.publicUrl}/reset-password/${token}`));
    },
  });
}
