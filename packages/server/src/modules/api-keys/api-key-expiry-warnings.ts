import {
  API_KEY_EXPIRED_NOTICE_WINDOW_MS,
  API_KEY_EXPIRY_THRESHOLDS,
  API_KEY_EXPIRY_WARNING_MS,
  ApiKeyExpiryThreshold,
  MemberRole,
  WorkspaceKind,
} from '@tally/shared';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../platform/clock';
import { AuditAction, type AuditService } from '../audit/audit.service';
import type { JobQueue } from '../../platform/jobs/job-queue';
import { html } from '../../platform/mail/html';
import { MAIL_SEND_JOB } from '../../platform/mail/mail-send.job';
import type { MailMessage } from '../../platform/mail/mailer';
import { singleLineName } from '../../platform/text';

/**
 * Expiry warnings (issue 22): seven days and one day before a key expires, and once it has, the
 * OWNERs and ADMINs of its workspace (a personal workspace: its owner) get an email.
 *
 * A scheduled job looks for keys that crossed a threshold and were not yet warned about it (nor
 * about a nearer one), and in one transaction per batch records `api_key_expiry_notices` rows and
 * enqueues one `mail.send` per recipient: the notices and the emails commit together, so a crash
 * or restart neither sends a warning twice nor loses one (the mail jobs then retry on their own).
 * Only the nearest threshold is sent: a key made two hours before its end gets the one-day
 * warning, never the seven days' as well. Revoked keys, rolled keys (whose end is the roll's
 * grace, chosen on purpose) and keys of deleted teams get none; an expired key is warned about
 * only within a week of its expiry, so keys that ended long before the check existed stay quiet.
 */
export const API_KEY_EXPIRY_WARNINGS_JOB = 'api-keys.expiry-warnings';

/** Every five minutes (UTC): a one-day warning is at most minutes late, an expiry notice too. */
export const API_KEY_EXPIRY_WARNINGS_CRON = '*/5 * * * *';

/** Keys handled per transaction. */
const BATCH = 100;

/** Nearest last: a notice at a later index covers the ones before it. */
const ORDER = [ApiKeyExpiryThreshold.SEVEN_DAYS, ApiKeyExpiryThreshold.ONE_DAY, ApiKeyExpiryThreshold.EXPIRED];

function beforeMs(threshold: ApiKeyExpiryThreshold): number {
  return API_KEY_EXPIRY_THRESHOLDS.find((t) => t.threshold === threshold)?.beforeMs ?? 0;
}

interface DueKey {
  workspace_id: string;
  id: string;
  name: string;
  prefix: string;
  expires_at: Date;
  threshold: ApiKeyExpiryThreshold;
  workspace_name: string;
  workspace_kind: WorkspaceKind;
}

export interface ExpiryWarningRun {
  /** Keys warned about (a notice recorded). */
  keys: number;
  /** Emails enqueued. */
  emails: number;
  /** False when stopped early by `signal`; the next run continues. */
  done: boolean;
}

/** A name as it goes into the email: on one line, in quotes (as in the invitation email). */
function quoted(name: string): string {
  return `"${singleLineName(name)}"`;
}

function timeLeft(expiresAt: Date, now: number): string {
  const hours = (expiresAt.getTime() - now) / (60 * 60 * 1000);
  if (hours >= 36) return `${Math.round(hours / 24)} days`;
  if (hours >= 2) return `${Math.round(hours)} hours`;
  return 'less than 2 hours';
}

/** The warning email: which key, in which workspace, when it ends, and where to replace it. */
export function apiKeyExpiryEmail(input: {
  to: string;
  threshold: ApiKeyExpiryThreshold;
  keyName: string;
  keyPrefix: string;
  workspaceName: string;
  workspaceKind: WorkspaceKind;
  expiresAt: Date;
  now: number;
  link: string;
}): MailMessage {
  const key = quoted(input.keyName);
  const workspace =
    input.workspaceKind === WorkspaceKind.PERSONAL
      ? 'your personal workspace'
      : `the team ${quoted(input.workspaceName)}`;
  const when = input.expiresAt.toUTCString();
  const expired = input.threshold === ApiKeyExpiryThreshold.EXPIRED;
  const headline = expired
    ? `The API key ${key} (${input.keyPrefix}…) in ${workspace} expired on ${when}.`
    : `The API key ${key} (${input.keyPrefix}…) in ${workspace} expires in ${timeLeft(input.expiresAt, input.now)}, on ${when}.`;
  const consequence = expired
    ? 'Requests made with it are refused (401). Create a new key for whatever still uses it, and revoke this one.'
    : 'After that, requests made with it are refused (401). Roll the key (Tally gives a new secret and keeps the old one working for a grace period) or create a new one, and update whatever uses it.';
  const subject = expired
    ? `API key ${key} has expired`
    : `API key ${key} expires in ${timeLeft(input.expiresAt, input.now)}`;
  const text = [
    headline,
    '',
    consequence,
    '',
    `Manage the workspace's API keys: ${input.link}`,
    '',
    'You receive this as an Owner or Admin of the workspace.',
  ].join('\n');
  const body = html`<!doctype html>
    <html>
      <body style="font-family:sans-serif;line-height:1.5">
        <p>${headline}</p>
        <p>${consequence}</p>
        <p><a href="${input.link}">Manage the workspace's API keys</a></p>
        <p style="color:#555">
          Or open this link: ${input.link}<br />
          You receive this as an Owner or Admin of the workspace.
        </p>
      </body>
    </html>`;
  return { to: input.to, subject, text, html: body.value };
}

/**
 * One pass: every key due a warning, in batches that each commit their notices and emails
 * together. Safe to run on several instances at once (the notices' primary key and the key rows'
 * locks let each warning through once) and to run again (it finds nothing left).
 */
export async function sendApiKeyExpiryWarnings(
  deps: {
    db: DataSource;
    jobs: Pick<JobQueue, 'sendInTransaction'>;
    audit: Pick<AuditService, 'record'>;
    clock: Clock;
    publicUrl: string;
  },
  signal?: AbortSignal,
): Promise<ExpiryWarningRun> {
  const run: ExpiryWarningRun = { keys: 0, emails: 0, done: true };
  for (;;) {
    if (signal?.aborted) return { ...run, done: false };
    const now = deps.clock();
    const batch = await deps.db.transaction(async (manager) => {
      const due = await dueKeys(manager, now);
      let emails = 0;
      let keys = 0;
      for (const key of due) {
        const sent = await warn(manager, deps, key, now);
        if (sent !== null) {
          keys += 1;
          emails += sent;
        }
      }
      return { found: due.length, keys, emails };
    });
    run.keys += batch.keys;
    run.emails += batch.emails;
    if (batch.found < BATCH) return run;
  }
}

/** Keys that crossed a threshold (the nearest one) and have no notice for it or a nearer one. */
function dueKeys(manager: EntityManager, now: number): Promise<DueKey[]> {
  return manager.query(
    `SELECT k.workspace_id, k.id, k.name, k.prefix, k.expires_at, w.name AS workspace_name, w.kind AS workspace_kind,
            CASE WHEN k.expires_at <= $1 THEN $5
                 WHEN k.expires_at <= $2 THEN $6
                 ELSE $7 END AS threshold
       FROM api_keys k
       JOIN workspaces w ON w.id = k.workspace_id AND w.deleted_at IS NULL
      WHERE k.expires_at IS NOT NULL AND k.revoked_at IS NULL AND k.replaced_by_id IS NULL
        AND k.expires_at <= $3 AND k.expires_at >= $4
        AND NOT EXISTS (
          SELECT 1 FROM api_key_expiry_notices n
           WHERE n.workspace_id = k.workspace_id AND n.api_key_id = k.id
             AND array_position($8::text[], n.threshold) >= array_position($8::text[],
                 CASE WHEN k.expires_at <= $1 THEN $5 WHEN k.expires_at <= $2 THEN $6 ELSE $7 END))
      ORDER BY k.expires_at, k.id
      LIMIT $9
      FOR KEY SHARE OF k SKIP LOCKED`,
    [
      new Date(now),
      new Date(now + beforeMs(ApiKeyExpiryThreshold.ONE_DAY)),
      new Date(now + API_KEY_EXPIRY_WARNING_MS),
      new Date(now - API_KEY_EXPIRED_NOTICE_WINDOW_MS),
      ApiKeyExpiryThreshold.EXPIRED,
      ApiKeyExpiryThreshold.ONE_DAY,
      ApiKeyExpiryThreshold.SEVEN_DAYS,
      ORDER,
      BATCH,
    ],
  );
}

/**
 * Records the notice and enqueues the emails, in the caller's transaction. Null when another
 * run recorded it first (its emails are that run's).
 */
async function warn(
  manager: EntityManager,
  deps: { jobs: Pick<JobQueue, 'sendInTransaction'>; audit: Pick<AuditService, 'record'>; publicUrl: string },
  key: DueKey,
  now: number,
): Promise<number | null> {
  const recipients: Array<{ email: string }> = await manager.query(
    `SELECT u.email FROM members m JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL
      WHERE m.workspace_id = $1 AND m.role = ANY($2::text[])
      ORDER BY u.email`,
    [key.workspace_id, [MemberRole.OWNER, MemberRole.ADMIN]],
  );
  const inserted: unknown[] = await manager.query(
    `INSERT INTO api_key_expiry_notices (workspace_id, api_key_id, threshold, key_expires_at, recipients, noticed_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING RETURNING api_key_id`,
    [key.workspace_id, key.id, key.threshold, key.expires_at, recipients.length, new Date(now)],
  );
  if (inserted.length === 0) return null;
  // The Audit tab says it too: who was told, of which key, and when it ends.
  await deps.audit.record(manager, {
    workspaceId: key.workspace_id,
    action: AuditAction.API_KEY_EXPIRY_WARNED,
    actor: null,
    actorName: 'Tally',
    targetType: 'api_key',
    targetId: key.id,
    details: {
      name: key.name,
      prefix: key.prefix,
      threshold: key.threshold,
      expiresAt: key.expires_at.toISOString(),
      recipients: recipients.length,
    },
  });
  const link = `${deps.publicUrl}/w/${key.workspace_id}/api-keys`;
  for (const { email } of recipients) {
    await deps.jobs.sendInTransaction(
      manager,
      MAIL_SEND_JOB,
      apiKeyExpiryEmail({
        to: email,
        threshold: key.threshold,
        keyName: key.name,
        keyPrefix: key.prefix,
        workspaceName: key.workspace_name,
        workspaceKind: key.workspace_kind,
        expiresAt: key.expires_at,
        now,
        link,
      }),
    );
  }
  return recipients.length;
}

export async function defineApiKeyExpiryWarnings(
  jobs: JobQueue,
  deps: { db: DataSource; audit: Pick<AuditService, 'record'>; clock: Clock; publicUrl: string; logger: Logger },
): Promise<void> {
  jobs.define<Record<string, never>>({
    name: API_KEY_EXPIRY_WARNINGS_JOB,
    retryLimit: 2,
    retryDelaySeconds: 30,
    expireInSeconds: 5 * 60,
    // At most one queued and one running at once, however many instances send it.
    policy: 'stately',
    handler: async (_data, job) => {
      const run = await sendApiKeyExpiryWarnings({ ...deps, jobs }, job.signal);
      if (run.keys > 0) deps.logger.info(run, 'API key expiry warnings enqueued');
    },
  });
  await jobs.schedule(API_KEY_EXPIRY_WARNINGS_JOB, API_KEY_EXPIRY_WARNINGS_CRON);
}
