import { isEmail } from 'class-validator';
import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from '../config';

export interface MailMessage {
  /** One address. */
  to: string;
  subject: string;
  /** The plain-text part; it carries every link, so it is also what the log shows without SMTP. */
  text: string;
  /** The HTML part; build it with `html\`…\`` (./html.ts) so names cannot inject markup. */
  html: string;
}

export const mailMessageSchema = z.object({
  // The same check accounts and invitations apply to the addresses they accept.
  to: z.string().refine((to) => isEmail(to), 'must be one email address'),
  subject: z.string().min(1).max(998),
  text: z.string(),
  html: z.string(),
});

type Transport = ReturnType<typeof createTransport>;

/**
 * Sends email over `SMTP_URL` with nodemailer. Without SMTP_URL nothing is sent: the message's
 * recipient, subject and text (with its links) are written to the log at info level, so a new
 * user can still follow an invitation link.
 *
 * `deliver` throws when the SMTP server refuses or cannot be reached; callers send through a
 * job (`mail.send`, or a domain's own job that calls `deliver`), which retries with backoff.
 */
export class Mailer {
  private readonly transport: Transport | undefined;

  constructor(
    config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'production'>,
    private readonly logger: Logger,
  ) {
    if (config.smtpUrl) {
      this.transport = createTransport(
        // Short timeouts: a stuck server fails the attempt, and the job retries it later.
        { url: config.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 },
        { from: config.mailFrom },
      );
    } else if (config.production) {
      logger.warn('SMTP_URL is not set: emails are written to the log instead of being sent');
    }
  }

  /** Whether messages go to an SMTP server (else to the log). */
  get sending(): boolean {
    return this.transport !== undefined;
  }

  async deliver(message: MailMessage): Promise<void> {
    const { to, subject, text, html } = mailMessageSchema.parse(message);
    if (!this.transport) {
      this.logger.info(
        { mail: { to, subject } },
        `email not sent (SMTP_URL is not set); to ${to}, "${subject}":\n\n${text}\n`,
      );
      return;
    }
    await this.transport.sendMail({ to, subject, text, html });
  }

  close(): void {
    this.transport?.close();
  }
}
