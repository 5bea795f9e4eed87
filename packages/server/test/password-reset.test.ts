import { PASSWORD_RESET_EMAIL_JOB } from '../src/modules/accounts/password-reset.service';
import { JOB_SCHEMA } from '../src/platform/jobs/job-queue';
import { createUser, uniqueEmail } from './factories';
import { type TestServer, codeOf, startTestServer } from './harness';
import { drainJobs } from './drivers/jobs';
import { type CaughtMail, type MailCatcher, startMailCatcher } from './mail-catcher';

const REQUEST = `mutation($e: String!) { requestPasswordReset(email: $e) }`;
const RESET = `mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) }`;
const LOG_IN = `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }`;
const ME = `{ me { id } }`;

let server: TestServer;
let mail: MailCatcher;
beforeAll(async () => {
  mail = await startMailCatcher();
  server = await startTestServer({
    SMTP_URL: mail.url,
    PUBLIC_URL: 'https://tally.example.com',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
  });
});
afterAll(async () => {
  await server.close();
  await mail.close();
});

/** Reset jobs ever queued (completed ones stay in the table for hours). */
async function resetJobs(): Promise<number> {
  const rows: Array<{ n: number }> = await server.tally.db.query(
    `SELECT count(*)::int AS n FROM ${JOB_SCHEMA}.job WHERE name = $1`,
    [PASSWORD_RESET_EMAIL_JOB],
  );
  return rows[0]?.n ?? -1;
}

function tokenOf(message: CaughtMail): string {
  const match = /https:\/\/tally\.example\.com\/reset-password\/([A-Za-z0-9_-]{43})/.exec(message.text);
  if (!match?.[1]) throw new Error(`no reset link in: ${message.text}`);
  return match[1];
}

describe('password reset', () => {
  it('emails a one-hour link, sets the new password, ends every session and unlocks the account', async () => {
    const user = await createUser(server);
    // Locked out by failed logins first.
    for (let i = 0; i < 3; i += 1) await server.gql(LOG_IN, { e: user.email, p: 'not the password at all' });
    expect(codeOf(await server.gql(LOG_IN, { e: user.email, p: user.password }))).toBe('RATE_LIMITED');

    const asked = await server.gql(REQUEST, { e: `  ${user.email.toUpperCase()} ` });
    expect(asked.data).toEqual({ requestPasswordReset: true });
    const message = await mail.waitFor((m) => m.to.includes(user.email));
    expect(message.subject).toBe('Reset your Tally password');
    expect(message.text).toContain('one hour');
    const token = tokenOf(message);
    const rows: Array<{ minutes: number; token_hash: Buffer }> = await server.tally.db.query(
      `SELECT extract(epoch FROM expires_at - created_at) / 60 AS minutes, token_hash FROM password_resets
        WHERE user_id = $1`,
      [user.id],
    );
    expect(Number(rows[0]?.minutes)).toBe(60);
    expect(rows[0]?.token_hash.toString('base64url')).not.toBe(token);

    expect(codeOf(await server.gql(RESET, { t: token, p: 'password' }))).toBe('BAD_USER_INPUT');
    const done = await server.gql(RESET, { t: token, p: 'a brand new long passphrase' });
    expect(done.data).toEqual({ resetPassword: true });
    // Every session ended, the old password is gone, the new one works (the lock is lifted).
    const me = await server.gql(ME, {}, { token: user.accessToken });
    expect(codeOf(me)).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(LOG_IN, { e: user.email, p: user.password }))).toBe('UNAUTHENTICATED');
    const login = await server.gql<{ logIn: { accessToken: string } }>(LOG_IN, {
      e: user.email,
      p: 'a brand new long passphrase',
    });
    expect(login.errors).toBeUndefined();
    // Single use.
    const again = await server.gql(RESET, { t: token, p: 'another new long passphrase' });
    expect(codeOf(again)).toBe('BAD_USER_INPUT');
    expect(again.errors?.[0]?.message).toBe('This reset link is no longer valid. Ask for a new one.');
  });

  it('answers the same for an unknown email and sends nothing', async () => {
    const email = uniqueEmail('nobody');
    const res = await server.gql(REQUEST, { e: email });
    expect(res.data).toEqual({ requestPasswordReset: true });
    await drainJobs(server.tally, PASSWORD_RESET_EMAIL_JOB, 5_000);
    expect(mail.messages.some((m) => m.to.includes(email))).toBe(false);
  });

  it('does the same database work for an unknown email as for an account: one queued job each, no lookup', async () => {
    // Issue 16: an account's request answered 1.5–4.4 ms later (it alone inserted a job).
    const user = await createUser(server);
    const unknown = uniqueEmail('nobody');
    const rows = async () => {
      const found: Array<{ n: number }> = await server.tally.db.query(
        `SELECT count(*)::int AS n FROM password_resets WHERE user_id = $1`,
        [user.id],
      );
      return found[0]?.n ?? -1;
    };
    const start = await resetJobs();
    expect((await server.gql(REQUEST, { e: unknown })).data).toEqual({ requestPasswordReset: true });
    const afterUnknown = await resetJobs();
    expect((await server.gql(REQUEST, { e: user.email })).data).toEqual({ requestPasswordReset: true });
    const afterAccount = await resetJobs();
    expect({ unknown: afterUnknown - start, account: afterAccount - afterUnknown }).toEqual({ unknown: 1, account: 1 });

    // The job does the lookup: the account's link is stored and sent; the unknown address gets nothing.
    const message = await mail.waitFor((m) => m.to.includes(user.email));
    await drainJobs(server.tally, PASSWORD_RESET_EMAIL_JOB, 5_000);
    expect(await rows()).toBe(1);
    expect(mail.messages.some((m) => m.to.includes(unknown))).toBe(false);
    // The job row holds neither the address nor a usable token.
    const stored: Array<{ data: string }> = await server.tally.db.query(
      `SELECT data::text AS data FROM ${JOB_SCHEMA}.job WHERE name = $1`,
      [PASSWORD_RESET_EMAIL_JOB],
    );
    const logged = JSON.stringify(stored);
    expect(logged).not.toContain(user.email);
    expect(logged).not.toContain(unknown);
    expect(logged).not.toContain(tokenOf(message));
  });

  it('refuses an expired link and a made-up one', async () => {
    const user = await createUser(server);
    await server.gql(REQUEST, { e: user.email });
    const token = tokenOf(await mail.waitFor((m) => m.to.includes(user.email)));
    await server.tally.db.query(
      `UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    expect(codeOf(await server.gql(RESET, { t: token, p: 'a brand new long passphrase' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await server.gql(RESET, { t: 'x'.repeat(43), p: 'a brand new long passphrase' }))).toBe(
      'BAD_USER_INPUT',
    );
    const login = await server.gql(LOG_IN, { e: user.email, p: user.password });
    expect(login.errors).toBeUndefined();
  });

  it('is rate limited per email, consumed before the work', async () => {
    const user = await createUser(server);
    const jobsBefore = await resetJobs();
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await server.gql(REQUEST, { e: user.email });
      codes.push(res.errors ? codeOf(res) : 'ok');
    }
    expect(codes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    await drainJobs(server.tally, PASSWORD_RESET_EMAIL_JOB, 5_000);
    const rows: Array<{ n: number }> = await server.tally.db.query(
      `SELECT count(*)::int AS n FROM password_resets WHERE user_id = $1`,
      [user.id],
    );
    expect(rows[0]?.n).toBe(3);
    // A refused request queues nothing.
    expect((await resetJobs()) - jobsBefore).toBe(3);
  });
});
