import type { JobOverrides, JobQueue } from '../jobs/job-queue';
import { type MailMessage, type Mailer, mailMessageSchema } from './mailer';

/**
 * `mail.send`: delivers one message, retried with exponential backoff (about 5 s, 10 s, 20 s, …
 * eight times, so a server that is down for half an hour still gets it). Send it with
 * `jobs.sendInTransaction(manager, MAIL_SEND_JOB, message)` so that nothing is mailed about a
 * change that rolled back.
 *
 * The message is stored in the job row until it is archived: it must carry no secret. A mail
 * with a one-time link, or one whose failures must show on a domain row, gets a job of its own
 * in its domain, e.g. `invitation.send { invitationId }`, whose handler mints the token and
 * stores its hash in a transaction, calls `mailer.deliver()` before committing (a refused send
 * rolls the new token back), and records the error on the row from the job's `onFailure`
 * (`lastSendError`, `willRetry`). The same retry settings (`MAIL_RETRY`) fit such jobs.
 */
export const MAIL_SEND_JOB = 'mail.send';

export const MAIL_RETRY: Required<JobOverrides> = {
  retryLimit: 8,
  retryDelaySeconds: 5,
  retryBackoff: true,
  expireInSeconds: 120,
};

export function defineMailJobs(jobs: JobQueue, mailer: Mailer): void {
  jobs.define<MailMessage>({
    name: MAIL_SEND_JOB,
    ...MAIL_RETRY,
    concurrency: 2,
    parse: (data) => mailMessageSchema.parse(data),
    handler: (message) => mailer.deliver(message),
  });
}
