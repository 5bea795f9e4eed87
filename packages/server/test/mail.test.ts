import type { Logger } from 'pino';
import { createLogger } from '../src/platform/logger';
import { html } from '../src/platform/mail/html';
import { MAIL_SEND_JOB } from '../src/platform/mail/mail-send.job';
import type { MailMessage } from '../src/platform/mail/mailer';
import { type Tally, createTally } from '../src/server';
import { FAST_JOBS, createTestDatabase, jsonLogSink, testConfig } from './harness';
import { drainJobs } from './drivers/jobs';
import { type MailCatcher, addressesOf, startMailCatcher } from './mail-catcher';

let database: { url: string; drop(): Promise<void> };
let catcher: MailCatcher;
beforeAll(async () => {
  [database, catcher] = await Promise.all([createTestDatabase(), startMailCatcher()]);
});
afterAll(async () => {
  await Promise.all([database.drop(), catcher.close()]);
});

function startTally(env: Record<string, string>, logger?: Logger): Promise<Tally> {
  return createTally(testConfig(database.url, { PUBLIC_URL: 'https://tally.example.com', ...env }), {
    jobs: FAST_JOBS,
    logger,
  });
}

/** What a team invitation looks like, with a team name that tries to inject markup. */
function invitationMail(to: string, token: string): MailMessage & { link: string; team: string } {
  const team = '<img src=x onerror=alert(1)> Ops & "Friends"';
  const link = `https://tally.example.com/invite/${token}`;
  return {
    to,
    subject: `Join ${team} on Tally`,
    text: `Ada invited you to ${team} as EDITOR.\n\nAccept: ${link}\n`,
    html: html`<p>Ada invited you to <b>${team}</b> as EDITOR.</p>
      <p><a href="${link}">Accept</a></p>`.value,
    link,
    team,
  };
}

describe('mail over SMTP', () => {
  it('delivers a mail.send job through a real SMTP conversation, text and HTML parts intact', async () => {
    const tally = await startTally({ SMTP_URL: catcher.url, MAIL_FROM: 'Tally <no-reply@tally.test>' });
    try {
      expect(tally.services.mailer.sending).toBe(true);
      const { link, team, ...message } = invitationMail('grace@example.com', 'tok-delivered');
      await tally.db.transaction((manager) => tally.jobs.sendInTransaction(manager, MAIL_SEND_JOB, message));
      const mail = await catcher.waitFor((m) => m.to.includes('grace@example.com'));

      expect(mail.to).toEqual(['grace@example.com']);
      expect(addressesOf(mail.parsed.to)).toEqual(['grace@example.com']);
      expect(mail.from).toBe('no-reply@tally.test');
      expect(mail.parsed.from?.value).toEqual([{ address: 'no-reply@tally.test', name: 'Tally' }]);
      expect(mail.subject).toBe(`Join ${team} on Tally`);
      expect(mail.text.trim()).toBe(`Ada invited you to ${team} as EDITOR.\n\nAccept: ${link}`);
      expect(mail.html).toContain(
        '<b>&lt;img src=x onerror=alert(1)&gt; Ops &amp; &quot;Friends&quot;</b> as EDITOR.</p>',
      );
      expect(mail.html).toContain(`<a href="${link}">Accept</a>`);
      expect(mail.html).not.toContain('<img');
      await drainJobs(tally, MAIL_SEND_JOB);
    } finally {
      await tally.close();
    }
  });

  it('retries a send the SMTP server refuses, with growing delays, and delivers it later', async () => {
    const tally = await startTally({ SMTP_URL: catcher.url });
    try {
      catcher.failNext(2, 451);
      const { link, ...message } = invitationMail('retry@example.com', 'tok-retried');
      await tally.jobs.send(MAIL_SEND_JOB, message);
      const mail = await catcher.waitFor((m) => m.to.includes('retry@example.com'), 15_000);

      expect(mail.text).toContain(link);
      const refused = catcher.refused.filter((r) => r.to.includes('retry@example.com'));
      expect(refused.map((r) => r.code)).toEqual([451, 451]);
      const [firstRefusal, secondRefusal] = refused.map((r) => r.refusedAt);
      // Retry delay 1 s with backoff: the first retry waits 1–2 s, the second 2–4 s (plus polling).
      expect((secondRefusal ?? 0) - (firstRefusal ?? 0)).toBeGreaterThanOrEqual(950);
      expect(mail.receivedAt - (secondRefusal ?? 0)).toBeGreaterThanOrEqual(1950);
      await drainJobs(tally, MAIL_SEND_JOB);
      const rows = await tally.db.query(
        `SELECT state::text AS state, retry_count, retry_limit, retry_backoff FROM pgboss.job
          WHERE name = $1 AND data->>'to' = 'retry@example.com'`,
        [MAIL_SEND_JOB],
      );
      expect(rows).toEqual([{ state: 'completed', retry_count: 2, retry_limit: 8, retry_backoff: true }]);
    } finally {
      await tally.close();
    }
  });
});

describe('mail without SMTP_URL', () => {
  it('writes the recipient, subject and text with its link to the log', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = jsonLogSink(lines);
    const tally = await startTally({}, createLogger({ logLevel: 'info', production: false }, sink));
    try {
      expect(tally.services.mailer.sending).toBe(false);
      const { link, team, ...message } = invitationMail('logged@example.com', 'tok-logged');
      await tally.jobs.send(MAIL_SEND_JOB, message);
      await drainJobs(tally, MAIL_SEND_JOB);

      const logged = lines.filter((line) => line.mail !== undefined);
      expect(logged).toEqual([
        expect.objectContaining({
          level: 30,
          mail: { to: 'logged@example.com', subject: `Join ${team} on Tally` },
          msg: expect.stringContaining(`Accept: ${link}`),
        }),
      ]);
      expect(lines.filter((line) => Number(line.level) >= 40)).toEqual([]);
    } finally {
      await tally.close();
    }
  });
});
