import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it. */
export interface CaughtMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  from: string;
  subject: string;
  text: string;
  /** The HTML part as sent; '' when there is none. */
  html: string;
  /** Everything mailparser read (headers, the `From:` display name, attachments). */
  parsed: ParsedMail;
  /** When the data arrived (ms since the epoch). */
  receivedAt: number;
}

/** A message refused by failNext. */
export interface RefusedMail {
  to: string[];
  code: number;
  refusedAt: number;
}

export interface MailCatcher {
  /** `smtp://127.0.0.1:<port>`: put it in SMTP_URL. */
  url: string;
  /** Accepted messages, oldest first. */
  messages: CaughtMail[];
  /** Messages refused by failNext, oldest first. */
  refused: RefusedMail[];
  /** The first accepted message that matches (already caught or still to come). */
  waitFor(predicate?: (mail: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  /** Refuses the next `count` messages after their data (451 by default: a temporary failure). */
  failNext(count: number, code?: number): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server in the test process (smtp-server, no auth, no TLS) on a free port of
 * 127.0.0.1: nodemailer holds a whole SMTP conversation with it, and mailparser reads what
 * arrived, so tests assert on what a mail client would show.
 */
export async function startMailCatcher(): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  const refused: RefusedMail[] = [];
  const waiters = new Set<() => void>();
  let refuse: { count: number; code: number } = { count: 0, code: 451 };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      if (refuse.count > 0) {
        refuse = { ...refuse, count: refuse.count - 1 };
        const code = refuse.code;
        refused.push({ to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), code, refusedAt: Date.now() });
        stream.on('end', () => {
          const error: Error & { responseCode?: number } = new Error(
            code >= 500 ? 'Refused by the test mail server' : 'Try again later (test mail server)',
          );
          error.responseCode = code;
          callback(error);
        });
        stream.resume();
        return;
      }
      const receivedAt = Date.now();
      simpleParser(stream).then(
        (parsed) => {
          const from = session.envelope.mailFrom;
          messages.push({
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            from: from ? from.address : '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            parsed,
            receivedAt,
          });
          callback();
          for (const wake of [...waiters]) wake();
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('the mail catcher has no TCP port');
  const port = address.port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refused,
    waitFor(predicate: (mail: CaughtMail) => boolean = () => true, timeoutMs = 10_000): Promise<CaughtMail> {
      return new Promise<CaughtMail>((resolve, reject) => {
        const check = (): boolean => {
          const found = messages.find(predicate);
          if (!found) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(found);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          const seen = messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ') || 'none';
          reject(new Error(`no matching mail within ${timeoutMs} ms (caught: ${seen})`));
        }, timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    failNext(count: number, code = 451): void {
      refuse = { count, code };
    },
    close(): Promise<void> {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The addresses of a parsed header (`to`, `cc`), lower-cased. */
export function addressesOf(header: AddressObject | AddressObject[] | undefined): string[] {
  const list = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return list.flatMap((h) => h.value.map((a) => (a.address ?? '').toLowerCase()));
}
