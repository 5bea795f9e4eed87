import { EMAIL_CHANGE_EMAIL_JOB } from '../src/modules/accounts/account-changes.service';
import { ACCOUNT_CHANGES_PER_HOUR } from '../src/limits';
import { JOB_SCHEMA } from '../src/platform/jobs/job-queue';
import { createKeySecret, createTeamWithMembers, createUser, uniqueEmail } from './factories';
import { type TestServer, codeOf, startTestServer } from './harness';
import { drainJobs } from './drivers/jobs';
import { type CaughtMail, type MailCatcher, startMailCatcher } from './mail-catcher';

const ME = `{ me { id email name } }`;
const LOG_IN = `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }`;
const REFRESH = `mutation { refreshSession { accessToken } }`;
const UPDATE_PROFILE = `mutation($n: String!) { updateProfile(name: $n) { id name email } }`;
const CHANGE_PASSWORD = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
const REQUEST_EMAIL = `mutation($e: String!, $p: String!) { requestEmailChange(newEmail: $e, currentPassword: $p) }`;
const CONFIRM_EMAIL = `mutation($t: String!) { confirmEmailChange(token: $t) }`;
const DELETE_ACCOUNT = `mutation($p: String!) { deleteAccount(password: $p) }`;

let server: TestServer;
let mail: MailCatcher;
beforeAll(async () => {
  mail = await startMailCatcher();
  server = await startTestServer({ SMTP_URL: mail.url, PUBLIC_URL: 'https://tally.example.com' });
});
afterAll(async () => {
  await server.close();
  await mail.close();
});

function fieldOf(response: { errors?: Array<{ extensions?: Record<string, unknown> }> }): unknown {
  return response.errors?.[0]?.extensions?.['field'];
}

function confirmTokenOf(message: CaughtMail): string {
  const match = /https:\/\/tally\.example\.com\/confirm-email\/([A-Za-z0-9_-]{43})/.exec(message.text);
  if (!match?.[1]) throw new Error(`no confirmation link in: ${message.text}`);
  return match[1];
}

async function secondSession(email: string, password: string): Promise<{ token: string; cookie: string }> {
  const res = await server.gql<{ logIn: { accessToken: string } }>(LOG_IN, { e: email, p: password });
  const token = res.data?.logIn.accessToken;
  const cookie = res.setCookies.find((c) => c.startsWith('tally_refresh='))?.split(';')[0];
  if (!token || !cookie) throw new Error(`log-in failed: ${JSON.stringify(res.errors)}`);
  return { token, cookie };
}

describe('the account page: name', () => {
  it('changes the name (trimmed); refuses an empty or multi-line one and changes nothing', async () => {
    const user = await createUser(server, { name: 'Ada' });
    const done = await server.gql(UPDATE_PROFILE, { n: '  Ada Lovelace ' }, { token: user.accessToken });
    expect(done.data).toEqual({ updateProfile: { id: user.id, name: 'Ada Lovelace', email: user.email } });
    for (const bad of ['   ', 'two\nlines']) {
      const refused = await server.gql(UPDATE_PROFILE, { n: bad }, { token: user.accessToken });
      expect({ code: codeOf(refused), field: fieldOf(refused) }).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
    }
    const me = await server.gql(ME, {}, { token: user.accessToken });
    expect(me.data).toEqual({ me: { id: user.id, email: user.email, name: 'Ada Lovelace' } });
  });

  it('is rate limited per account', async () => {
    const user = await createUser(server);
    const codes: unknown[] = [];
    for (let i = 0; i <= ACCOUNT_CHANGES_PER_HOUR; i += 1) {
      const res = await server.gql(UPDATE_PROFILE, { n: `Name ${i}` }, { token: user.accessToken });
      codes.push(res.errors ? codeOf(res) : 'ok');
    }
    expect(codes.filter((c) => c === 'ok')).toHaveLength(ACCOUNT_CHANGES_PER_HOUR);
    expect(codes.at(-1)).toBe('RATE_LIMITED');
  });
});

describe('the account page: password', () => {
  it('refuses a wrong current password on its field and changes nothing', async () => {
    const user = await createUser(server);
    const other = await secondSession(user.email, user.password);
    const res = await server.gql(
      CHANGE_PASSWORD,
      { c: 'not the password at all', n: 'a brand new long passphrase' },
      { token: user.accessToken },
    );
    expect({ code: codeOf(res), field: fieldOf(res), data: res.data }).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'currentPassword',
      data: null,
    });
    expect((await server.gql(LOG_IN, { e: user.email, p: user.password })).errors).toBeUndefined();
    expect((await server.gql(ME, {}, { token: other.token })).data).toEqual({
      me: { id: user.id, email: user.email, name: user.name },
    });
  });

  it('refuses a weak new password on its field', async () => {
    const user = await createUser(server);
    const res = await server.gql(CHANGE_PASSWORD, { c: user.password, n: 'short' }, { token: user.accessToken });
    expect({ code: codeOf(res), field: fieldOf(res) }).toEqual({ code: 'BAD_USER_INPUT', field: 'newPassword' });
  });

  it('sets the new password and ends every other session, keeping the caller’s', async () => {
    const user = await createUser(server);
    const other = await secondSession(user.email, user.password);
    const res = await server.gql(
      CHANGE_PASSWORD,
      { c: user.password, n: 'a brand new long passphrase' },
      { token: user.accessToken },
    );
    expect(res.data).toEqual({ changePassword: true });
    // The other browser: its access token and its refresh cookie are refused.
    expect(codeOf(await server.gql(ME, {}, { token: other.token }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(REFRESH, {}, { cookie: other.cookie }))).toBe('UNAUTHENTICATED');
    // This one goes on, access token and refresh cookie alike.
    expect((await server.gql(ME, {}, { token: user.accessToken })).data).toEqual({
      me: { id: user.id, email: user.email, name: user.name },
    });
    expect((await server.gql(REFRESH, {}, { cookie: user.refreshCookie })).errors).toBeUndefined();
    expect(codeOf(await server.gql(LOG_IN, { e: user.email, p: user.password }))).toBe('UNAUTHENTICATED');
    expect((await server.gql(LOG_IN, { e: user.email, p: 'a brand new long passphrase' })).errors).toBeUndefined();
  });

  it('tells the account’s address, through the mail queue, with a way back; a refused change sends nothing', async () => {
    const user = await createUser(server);
    const refused = await server.gql(
      CHANGE_PASSWORD,
      { c: 'not the password at all', n: 'a brand new long passphrase' },
      { token: user.accessToken },
    );
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    const done = await server.gql(
      CHANGE_PASSWORD,
      { c: user.password, n: 'a brand new long passphrase' },
      { token: user.accessToken },
    );
    expect(done.data).toEqual({ changePassword: true });
    const notice = await mail.waitFor((m) => m.to.includes(user.email.toLowerCase()));
    expect(notice.subject).toBe('Your Tally password was changed');
    expect(notice.text).toContain('every other session was logged out');
    expect(notice.text).toContain('https://tally.example.com/forgot-password');
    expect(notice.html).toContain('href="https://tally.example.com/forgot-password"');
    // One notice: the refused attempt sent none.
    expect(mail.messages.filter((m) => m.to.includes(user.email.toLowerCase()))).toHaveLength(1);
  });

  it('is refused to an API key', async () => {
    const owner = await createUser(server);
    const key = await createKeySecret(server, owner, owner.personalWorkspaceId, 'ADMIN');
    const res = await server.gql(
      CHANGE_PASSWORD,
      { c: owner.password, n: 'a brand new long passphrase' },
      { token: key },
    );
    expect(codeOf(res)).toBe('FORBIDDEN');
  });
});

describe('the account page: email', () => {
  it('changes the email only once the link sent to the new address is opened, once', async () => {
    const user = await createUser(server);
    const next = uniqueEmail('moved');
    const asked = await server.gql(
      REQUEST_EMAIL,
      { e: `  ${next.toUpperCase()} `, p: user.password },
      {
        token: user.accessToken,
      },
    );
    expect(asked.data).toEqual({ requestEmailChange: true });
    const message = await mail.waitFor((m) => m.to.includes(next));
    expect(message.subject).toBe('Confirm your new Tally email address');
    const token = confirmTokenOf(message);
    // Nothing changed yet; only the token's hash is stored; the job row holds no usable token.
    expect((await server.gql(ME, {}, { token: user.accessToken })).data).toMatchObject({ me: { email: user.email } });
    const rows: Array<{ new_email: string; token_hash: Buffer; hours: number }> = await server.tally.db.query(
      `SELECT new_email, token_hash, extract(epoch FROM expires_at - created_at) / 3600 AS hours
         FROM email_changes WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.new_email).toBe(next);
    expect(Number(rows[0]?.hours)).toBe(24);
    expect(rows[0]?.token_hash.toString('base64url')).not.toBe(token);
    await drainJobs(server.tally, EMAIL_CHANGE_EMAIL_JOB, 5_000);
    const jobs: Array<{ data: string }> = await server.tally.db.query(
      `SELECT data::text AS data FROM ${JOB_SCHEMA}.job WHERE name = $1`,
      [EMAIL_CHANGE_EMAIL_JOB],
    );
    expect(JSON.stringify(jobs)).not.toContain(token);

    // The link works without being signed in (it is opened from a mailbox).
    expect((await server.gql(CONFIRM_EMAIL, { t: token })).data).toEqual({ confirmEmailChange: true });
    expect((await server.gql(ME, {}, { token: user.accessToken })).data).toMatchObject({ me: { email: next } });
    expect((await server.gql(LOG_IN, { e: next, p: user.password })).errors).toBeUndefined();
    expect(codeOf(await server.gql(LOG_IN, { e: user.email, p: user.password }))).toBe('UNAUTHENTICATED');
    // Single use.
    const again = await server.gql(CONFIRM_EMAIL, { t: token });
    expect({ code: codeOf(again), field: fieldOf(again) }).toEqual({ code: 'BAD_USER_INPUT', field: 'token' });

    // The old address hears of it (once), naming the new one, with no link that acts on the account.
    const notice = await mail.waitFor((m) => m.to.includes(user.email.toLowerCase()));
    expect(notice.subject).toBe('Your Tally email address was changed');
    expect(notice.text).toContain(`changed to ${next}`);
    expect(notice.html).not.toMatch(/confirm-email|reset-password/);
    expect(mail.messages.filter((m) => m.to.includes(user.email.toLowerCase()))).toHaveLength(1);
    const queued = await server.tally.db.query(
      `SELECT 1 FROM ${JOB_SCHEMA}.job WHERE name = 'mail.send' AND data->>'to' = $1`,
      [user.email],
    );
    expect(queued).toHaveLength(1);
  });

  it('refuses an expired link, a made-up one, and an older link once a newer one was asked for', async () => {
    const user = await createUser(server);
    const first = uniqueEmail('first');
    await server.gql(REQUEST_EMAIL, { e: first, p: user.password }, { token: user.accessToken });
    const firstToken = confirmTokenOf(await mail.waitFor((m) => m.to.includes(first)));
    const second = uniqueEmail('second');
    await server.gql(REQUEST_EMAIL, { e: second, p: user.password }, { token: user.accessToken });
    const secondToken = confirmTokenOf(await mail.waitFor((m) => m.to.includes(second)));
    expect(codeOf(await server.gql(CONFIRM_EMAIL, { t: firstToken }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await server.gql(CONFIRM_EMAIL, { t: 'x'.repeat(43) }))).toBe('BAD_USER_INPUT');
    await server.tally.db.query(
      `UPDATE email_changes SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    expect(codeOf(await server.gql(CONFIRM_EMAIL, { t: secondToken }))).toBe('BAD_USER_INPUT');
    expect((await server.gql(ME, {}, { token: user.accessToken })).data).toMatchObject({ me: { email: user.email } });
    // Nothing changed, so the old address is told nothing.
    const told = await server.tally.db.query(
      `SELECT 1 FROM ${JOB_SCHEMA}.job WHERE name = 'mail.send' AND data->>'to' = $1`,
      [user.email],
    );
    expect(told).toHaveLength(0);
  });

  it('refuses a wrong password, a taken email and the same email; sends nothing', async () => {
    const user = await createUser(server);
    const taken = await createUser(server);
    const next = uniqueEmail('never');
    const wrong = await server.gql(
      REQUEST_EMAIL,
      { e: next, p: 'not the password at all' },
      { token: user.accessToken },
    );
    expect({ code: codeOf(wrong), field: fieldOf(wrong) }).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'currentPassword',
    });
    const conflict = await server.gql(REQUEST_EMAIL, { e: taken.email, p: user.password }, { token: user.accessToken });
    expect(codeOf(conflict)).toBe('CONFLICT');
    const same = await server.gql(REQUEST_EMAIL, { e: user.email, p: user.password }, { token: user.accessToken });
    expect({ code: codeOf(same), field: fieldOf(same) }).toEqual({ code: 'BAD_USER_INPUT', field: 'newEmail' });
    const rows: unknown[] = await server.tally.db.query(`SELECT 1 FROM email_changes WHERE user_id = $1`, [user.id]);
    expect(rows).toHaveLength(0);
  });
});

describe('the account page: deleting the account', () => {
  it('is refused while the person is the last owner of a team, naming every such team; nothing changes', async () => {
    const user = await createUser(server);
    const other = await createUser(server);
    await createTeamWithMembers(server, 'Zeta Sole', [{ user, role: 'OWNER' }]);
    await createTeamWithMembers(server, 'Alpha Sole', [
      { user, role: 'OWNER' },
      { user: other, role: 'VIEWER' },
    ]);
    await createTeamWithMembers(server, 'Shared', [
      { user, role: 'OWNER' },
      { user: other, role: 'OWNER' },
    ]);
    const res = await server.gql(DELETE_ACCOUNT, { p: user.password }, { token: user.accessToken });
    expect(codeOf(res)).toBe('LAST_OWNER');
    expect(res.errors?.[0]?.extensions?.['teams']).toEqual(['Alpha Sole', 'Zeta Sole']);
    expect(res.errors?.[0]?.message).toContain('“Alpha Sole”, “Zeta Sole”');
    const members: unknown[] = await server.tally.db.query(`SELECT 1 FROM members WHERE user_id = $1`, [user.id]);
    expect(members).toHaveLength(4);
    expect((await server.gql(ME, {}, { token: user.accessToken })).data).toMatchObject({ me: { id: user.id } });
  });

  it('refuses a wrong password and changes nothing', async () => {
    const user = await createUser(server);
    const res = await server.gql(DELETE_ACCOUNT, { p: 'not the password at all' }, { token: user.accessToken });
    expect({ code: codeOf(res), field: fieldOf(res) }).toEqual({ code: 'BAD_USER_INPUT', field: 'password' });
    expect((await server.gql(ME, {}, { token: user.accessToken })).data).toMatchObject({ me: { id: user.id } });
  });

  it('leaves every team (audited), purges the personal workspace, ends every session and frees the email', async () => {
    const user = await createUser(server, { name: 'Grace Hopper' });
    const owner = await createUser(server);
    const teamId = await createTeamWithMembers(server, 'Stays', [
      { user: owner, role: 'OWNER' },
      { user, role: 'ADMIN' },
    ]);
    const other = await secondSession(user.email, user.password);
    const res = await server.gql(DELETE_ACCOUNT, { p: user.password }, { token: user.accessToken });
    expect(res.data).toEqual({ deleteAccount: true });
    expect(res.setCookies.some((c) => c.startsWith('tally_refresh=;'))).toBe(true);

    const members: Array<{ workspace_id: string }> = await server.tally.db.query(
      `SELECT workspace_id FROM members WHERE user_id = $1 AND workspace_id <> $2`,
      [user.id, user.personalWorkspaceId],
    );
    expect(members).toEqual([]);
    const audit: Array<{ action: string; details: Record<string, unknown> }> = await server.tally.db.query(
      `SELECT action, details FROM audit_entries WHERE workspace_id = $1 AND target_id = $2`,
      [teamId, user.id],
    );
    expect(audit).toEqual([
      {
        action: 'member.left',
        details: { name: 'Grace Hopper', email: user.email, role: 'ADMIN', reason: 'account deleted' },
      },
    ]);
    // The personal workspace is gone at once and purged by the background job.
    const personal: Array<{ deleted: boolean }> = await server.tally.db.query(
      `SELECT deleted_at IS NOT NULL AS deleted FROM workspaces WHERE id = $1`,
      [user.personalWorkspaceId],
    );
    expect(personal).toEqual([{ deleted: true }]);
    await drainJobs(server.tally, 'workspace.purge', 10_000);
    const purged: Array<{ n: number }> = await server.tally.db.query(
      `SELECT count(*)::int AS n FROM members WHERE workspace_id = $1`,
      [user.personalWorkspaceId],
    );
    expect(purged).toEqual([{ n: 0 }]);

    // Every session ended; the old credentials and the old email log nobody in.
    expect(codeOf(await server.gql(ME, {}, { token: user.accessToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(ME, {}, { token: other.token }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(REFRESH, {}, { cookie: other.cookie }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(LOG_IN, { e: user.email, p: user.password }))).toBe('UNAUTHENTICATED');
    // The tombstone keeps no name, email or password; the email can sign up again.
    const tomb: Array<{ name: string; email: string }> = await server.tally.db.query(
      `SELECT name, email FROM users WHERE id = $1`,
      [user.id],
    );
    expect(tomb[0]?.name).toBe('Deleted user');
    expect(tomb[0]?.email).not.toBe(user.email);
    const again = await createUser(server, { email: user.email });
    expect(again.id).not.toBe(user.id);
  });
});
