import { createHash, randomBytes } from 'node:crypto';
import { LIMITS } from '@tally/shared';
import { isEmail } from 'class-validator';
import { type DataSource, type EntityManager, IsNull } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { badInput, conflict, isUniqueViolation, unauthenticated } from '../../platform/errors';
import type { JobQueue } from '../../platform/jobs/job-queue';
import { html } from '../../platform/mail/html';
import { MAIL_SEND_JOB } from '../../platform/mail/mail-send.job';
import type { MailMessage, Mailer } from '../../platform/mail/mailer';
import type { RateLimit } from '../../platform/rate-limits/rate-limit';
import type { Sealer } from '../../platform/sealer';
import { SINGLE_LINE_NAME, isSingleLineName } from '../../platform/text';
import { type AccountService, normalizeEmail } from './account.service';
import type { LoginLimiter } from './login-limiter';
import { hashPassword, verifyPassword } from './password';
import { newPasswordProblem } from './password-policy';
import { User } from './user.entity';

/** The job that emails the confirmation link of an email change to the new address. */
export const EMAIL_CHANGE_EMAIL_JOB = 'accounts.email-change-email';

interface EmailChangeEmailJob {
  changeId: string;
  /** The link's token, sealed: the job row never holds a usable token. */
  sealedToken: string;
}

/** How long an email change link works. */
export const EMAIL_CHANGE_HOURS = 24;

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const INVALID_LINK = 'This confirmation link is no longer valid. Change your email again from your account page.';
const WRONG_PASSWORD = 'That is not your current password.';

function hashChangeToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Leaving every team and dropping the personal workspace, in the deletion's transaction. The
 * members and workspaces modules are them; accounts import no other domain.
 */
export interface AccountDeletionSteps {
  /** Leaves every team; LAST_OWNER (naming the teams) where the user is the last owner. */
  leaveAllTeams(manager: EntityManager, userId: string, actor: Principal): Promise<void>;
  /** Marks the personal workspace deleted and queues its purge; its id, for `deletedPersonal`. */
  deletePersonal(manager: EntityManager, userId: string): Promise<string | null>;
  /** After commit: this instance drops the workspace at once (the NOTIFY reaches the others). */
  deletedPersonal(workspaceId: string): void;
}

/**
 * What a signed-in person changes about their own account (the account page): name, email
 * (confirmed by a link to the new address; nothing changes before that), password (the current
 * one required; every other session ends) and the account itself (refused while they are the
 * last owner of a team). A check of the current password counts as a login attempt
 * (LoginLimiter: consumed first, given back on success), so a stolen session cannot guess the
 * password faster than the log-in page; every change is also limited per account.
 */
export class AccountChangeService {
  constructor(
    private readonly db: DataSource,
    private readonly jobs: Pick<JobQueue, 'sendInTransaction'>,
    private readonly perUser: RateLimit,
    private readonly logins: Pick<LoginLimiter, 'consume' | 'refund'>,
    private readonly sealer: Sealer,
    private readonly accounts: Pick<AccountService, 'endAllSessions' | 'applyEndedFamilies'>,
    private readonly deletion: AccountDeletionSteps,
    /** The dashboard's address, for the links in the security notices. */
    private readonly publicUrl: string,
  ) {}

  async updateName(userId: string, rawName: string): Promise<User> {
    await this.perUser.consume(userId);
    const name = rawName.trim();
    if (name.length === 0 || name.length > LIMITS.userNameMaxLength) {
      throw badInput(`A name must be 1 to ${LIMITS.userNameMaxLength} characters.`, { field: 'name' });
    }
    if (!isSingleLineName(name)) throw badInput(SINGLE_LINE_NAME, { field: 'name' });
    const users = this.db.getRepository(User);
    const user = await users.findOne({ where: { id: userId, deletedAt: IsNull() } });
    if (!user) throw unauthenticated('Your session has ended. Please log in again.');
    await users.update({ id: userId }, { name });
    user.name = name;
    return user;
  }

  /**
   * Sets a new password when the current one is right, and ends every other session of the
   * account on every instance (the caller's own login goes on). Open reset links are used up.
   */
  async changePassword(actor: Principal, ip: string, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.checkPassword(actor, ip, currentPassword, 'currentPassword');
    const problem = newPasswordProblem(newPassword);
    if (problem) throw badInput(problem, { field: 'newPassword' });
    if (newPassword === currentPassword) {
      throw badInput('Choose a password different from the current one.', { field: 'newPassword' });
    }
    const passwordHash = await hashPassword(newPassword);
    const keep = actor.kind === 'user' ? actor.familyId : undefined;
    const families = await this.db.transaction(async (manager) => {
      await manager.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [user.id, passwordHash]);
      await manager.query(`UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [
        user.id,
      ]);
      // The account's address hears of it, so that a change by someone else does not go unseen.
      await this.jobs.sendInTransaction(manager, MAIL_SEND_JOB, passwordChangedNotice(user.email, this.publicUrl));
      return this.accounts.endAllSessions(manager, user.id, keep);
    });
    this.accounts.applyEndedFamilies(families);
  }

  /**
   * Stores a 24-hour link for the new address (only the latest one works) and queues its email,
   * in one transaction. The email stays as it is until the link is opened.
   */
  async requestEmailChange(actor: Principal, ip: string, rawEmail: string, currentPassword: string): Promise<void> {
    const user = await this.checkPassword(actor, ip, currentPassword, 'currentPassword');
    const email = normalizeEmail(rawEmail);
    if (!isEmail(email) || email.length > LIMITS.emailMaxLength) {
      throw badInput('Enter a valid email address.', { field: 'newEmail' });
    }
    if (email === user.email) throw badInput('This is already your email address.', { field: 'newEmail' });
    const taken: unknown[] = await this.db.query(`SELECT 1 FROM users WHERE email = $1`, [email]);
    if (taken.length > 0) throw conflict('An account with this email already exists.');
    const token = randomBytes(32).toString('base64url');
    await this.db.transaction(async (manager) => {
      await manager.query(`UPDATE email_changes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [user.id]);
      const rows: Array<{ id: string }> = await manager.query(
        `INSERT INTO email_changes (user_id, new_email, token_hash, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(hours => $4)) RETURNING id`,
        [user.id, email, hashChangeToken(token), EMAIL_CHANGE_HOURS],
      );
      const changeId = rows[0]?.id;
      if (!changeId) throw new Error('email change insert returned no row');
      const job: EmailChangeEmailJob = { changeId, sealedToken: this.sealer.seal(token) };
      await this.jobs.sendInTransaction(manager, EMAIL_CHANGE_EMAIL_JOB, job);
    });
  }

  /**
   * The link's token sets the new email, once, within its 24 hours; the old address is told, in
   * the same transaction (a notice with no link to act on, only what happened and what to do).
   */
  async confirmEmailChange(token: string): Promise<void> {
    if (!TOKEN_PATTERN.test(token)) throw badInput(INVALID_LINK, { field: 'token' });
    try {
      await this.db.transaction(async (manager) => {
        const rows: Array<{ id: string; user_id: string; new_email: string; old_email: string }> = await manager.query(
          `SELECT c.id, c.user_id, c.new_email, u.email AS old_email FROM email_changes c JOIN users u ON u.id = c.user_id
            WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > now() AND u.deleted_at IS NULL
            FOR UPDATE OF c`,
          [hashChangeToken(token)],
        );
        const change = rows[0];
        if (!change) throw badInput(INVALID_LINK, { field: 'token' });
        await manager.query(`UPDATE users SET email = $2 WHERE id = $1`, [change.user_id, change.new_email]);
        await manager.query(`UPDATE email_changes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [
          change.user_id,
        ]);
        await this.jobs.sendInTransaction(
          manager,
          MAIL_SEND_JOB,
          emailChangedNotice(change.old_email, change.new_email, this.publicUrl),
        );
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('An account with this email already exists.');
      throw error;
    }
  }

  /**
   * Deletes the account, in one transaction: refused (LAST_OWNER, naming the teams) while the
   * person is the last owner of a team; otherwise they leave every team (audited there), their
   * personal workspace is deleted and purged by the workspace purge job, every session ends,
   * open links are used up, and the row becomes an anonymised tombstone (audit entries, keys
   * and invitations still point at it) whose email is free for a new account.
   */
  async deleteAccount(actor: Principal, ip: string, password: string): Promise<void> {
    const user = await this.checkPassword(actor, ip, password, 'password');
    const outcome = await this.db.transaction(async (manager) => {
      // The user's row first: two deletions of one account run one after the other.
      const live: unknown[] = await manager.query(
        `SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
        [user.id],
      );
      if (live.length === 0) throw unauthenticated('Your session has ended. Please log in again.');
      await this.deletion.leaveAllTeams(manager, user.id, actor);
      const personalId = await this.deletion.deletePersonal(manager, user.id);
      const families = await this.accounts.endAllSessions(manager, user.id);
      await manager.query(`UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [
        user.id,
      ]);
      await manager.query(`UPDATE email_changes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [user.id]);
      await manager.query(
        `UPDATE users SET deleted_at = now(), name = 'Deleted user', email = 'deleted-' || id || '@deleted.invalid',
                password_hash = '!', last_workspace_id = NULL
          WHERE id = $1`,
        [user.id],
      );
      return { families, personalId };
    });
    this.accounts.applyEndedFamilies(outcome.families);
    if (outcome.personalId) this.deletion.deletedPersonal(outcome.personalId);
  }

  /**
   * The signed-in user, when `password` is theirs. Counted like a log-in (consumed first, given
   * back on success): a wrong one is BAD_USER_INPUT on `field`, never UNAUTHENTICATED, which
   * would read as a lost session.
   */
  private async checkPassword(
    actor: Principal,
    ip: string,
    password: string,
    field: string,
  ): Promise<{ id: string; email: string }> {
    if (actor.kind !== 'user') throw unauthenticated();
    await this.perUser.consume(actor.userId);
    const rows: Array<{ id: string; email: string; password_hash: string }> = await this.db.query(
      `SELECT id, email, password_hash FROM users WHERE id = $1 AND deleted_at IS NULL`,
      [actor.userId],
    );
    const user = rows[0];
    if (!user) throw unauthenticated('Your session has ended. Please log in again.');
    await this.logins.consume(user.email, ip);
    if (!(await verifyPassword(user.password_hash, password))) throw badInput(WRONG_PASSWORD, { field });
    await this.logins.refund(user.email, ip);
    return { id: user.id, email: user.email };
  }
}

/** The confirmation email, to the new address: plain text and HTML. */
export function emailChangeEmail(to: string, link: string): MailMessage {
  const text = [
    'Someone asked to use this address for a Tally account.',
    '',
    `Confirm the new address: ${link}`,
    '',
    `The link works once, for ${EMAIL_CHANGE_HOURS} hours. Until it is opened, the account keeps its old address.`,
    'If you did not ask for this, ignore this email.',
  ].join('\n');
  const body = html`<!doctype html>
    <html>
      <body style="font-family:sans-serif;line-height:1.5">
        <p>Someone asked to use this address for a Tally account.</p>
        <p><a href="${link}">Confirm the new address</a></p>
        <p style="color:#555">
          Or open this link: ${link}<br />
          It works once, for ${String(EMAIL_CHANGE_HOURS)} hours. Until it is opened, the account keeps its old
          address.<br />
          If you did not ask for this, ignore this email.
        </p>
      </body>
    </html>`;
  return { to, subject: 'Confirm your new Tally email address', text, html: body.value };
}

/**
 * To the old address once the new one is confirmed: what changed, and what to do when it was
 * not the owner (the old address can no longer reset the password, so the way back is an admin).
 */
export function emailChangedNotice(to: string, newEmail: string, publicUrl: string): MailMessage {
  const text = [
    `The email address of your Tally account was changed to ${newEmail}.`,
    '',
    'From now on, Tally writes to the new address and you log in with it.',
    `If you did not make this change, log in at ${publicUrl}/login with the new address to change it back,`,
    'or ask the person who runs your Tally to restore your account: someone may have your password.',
  ].join('\n');
  const body = html`<!doctype html>
    <html>
      <body style="font-family:sans-serif;line-height:1.5">
        <p>The email address of your Tally account was changed to <strong>${newEmail}</strong>.</p>
        <p>From now on, Tally writes to the new address and you log in with it.</p>
        <p style="color:#555">
          If you did not make this change, <a href="${publicUrl}/login">log in</a> with the new address to change it
          back, or ask the person who runs your Tally to restore your account: someone may have your password.
        </p>
      </body>
    </html>`;
  return { to, subject: 'Your Tally email address was changed', text, html: body.value };
}

/** To the account's address after a password change from the account page. */
export function passwordChangedNotice(to: string, publicUrl: string): MailMessage {
  const link = `${publicUrl}/forgot-password`;
  const text = [
    'The password of your Tally account was changed, and every other session was logged out.',
    '',
    `If you did not make this change, reset your password now: ${link}`,
  ].join('\n');
  const body = html`<!doctype html>
    <html>
      <body style="font-family:sans-serif;line-height:1.5">
        <p>The password of your Tally account was changed, and every other session was logged out.</p>
        <p style="color:#555">If you did not make this change, <a href="${link}">reset your password now</a>.</p>
      </body>
    </html>`;
  return { to, subject: 'Your Tally password was changed', text, html: body.value };
}

/** Sends the link while it is still usable. Idempotent, retried by the queue. */
export function defineEmailChangeEmail(
  jobs: JobQueue,
  deps: { db: DataSource; mailer: Pick<Mailer, 'deliver'>; sealer: Sealer; publicUrl: string },
): void {
  jobs.define<EmailChangeEmailJob>({
    name: EMAIL_CHANGE_EMAIL_JOB,
    retryLimit: 5,
    retryDelaySeconds: 5,
    expireInSeconds: 120,
    parse: (data) => {
      const job = data as Partial<EmailChangeEmailJob> | null;
      if (typeof job?.changeId !== 'string' || typeof job.sealedToken !== 'string') {
        throw new Error(`${EMAIL_CHANGE_EMAIL_JOB} needs changeId and sealedToken`);
      }
      return { changeId: job.changeId, sealedToken: job.sealedToken };
    },
    handler: async (job) => {
      const token = deps.sealer.unseal(job.sealedToken);
      if (token === null) return;
      const rows: Array<{ new_email: string }> = await deps.db.query(
        `SELECT new_email FROM email_changes WHERE id = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > now()`,
        [job.changeId, hashChangeToken(token)],
      );
      const row = rows[0];
      if (!row) return;
      await deps.mailer.deliver(emailChangeEmail(row.new_email, `${deps.publicUrl}/confirm-email/${token}`));
    },
  });
}
