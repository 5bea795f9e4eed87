import { SignJWT, UnsecuredJWT } from 'jose';
import { MEMBER_ROLE_SCOPES } from '@tally/shared';
import { accountKey } from '../src/modules/accounts/login-limiter';
import { SIGN_UP, cookieFrom, createUser, uniqueEmail } from './factories';
import { TEST_JWT_SECRET, codeOf, startTestServer, type TestServer } from './harness';

const LOG_IN = `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken user { id email } } }`;
const REFRESH = `mutation { refreshSession { accessToken user { id } } }`;
const ME = `{ me { id email name } }`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '6',
    TRUST_PROXY: '1',
  });
});
afterAll(() => server.close());

/** A distinct client address per test, so address limits of one test never touch another. */
let addressCounter = 10;
function fromNewAddress(): Record<string, string> {
  addressCounter += 1;
  return { 'x-forwarded-for': `198.51.100.${addressCounter}` };
}

async function countRows(sql: string, params: unknown[]): Promise<number> {
  const rows: Array<{ n: string }> = await server.tally.db.query(sql, params);
  return Number(rows[0]?.n ?? 0);
}

describe('signUp', () => {
  it('normalises the email, creates a personal workspace and starts a session', async () => {
    const raw = `  Mixed.Case-${Date.now()}@Example.TEST `;
    const res = await server.gql<{
      signUp: { accessToken: string; user: { id: string; email: string; name: string } };
    }>(SIGN_UP, { email: raw, password: 'long enough password', name: '  Ada  ' });
    expect(res.errors).toBeUndefined();
    const signUp = res.data?.signUp;
    expect(signUp?.user.email).toBe(raw.trim().toLowerCase());
    expect(signUp?.user.name).toBe('Ada');
    expect(signUp?.accessToken.split('.')).toHaveLength(3);

    const cookie = res.setCookies.find((c) => c.startsWith('tally_refresh='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/graphql/);

    const list = await server.gql<{ workspaces: Array<Record<string, unknown>> }>(
      `{ workspaces { id kind name viewerRole viewerScopes } }`,
      {},
      { token: signUp?.accessToken },
    );
    expect(list.data?.workspaces).toEqual([
      {
        id: expect.any(String),
        kind: 'PERSONAL',
        name: 'Personal',
        viewerRole: 'OWNER',
        viewerScopes: [...MEMBER_ROLE_SCOPES.OWNER],
      },
    ]);
  });

  it('stores an argon2id hash, never the password', async () => {
    const user = await createUser(server, { password: 'a very secret password' });
    const rows: Array<{ password_hash: string }> = await server.tally.db.query(
      'SELECT password_hash FROM users WHERE id = $1',
      [user.id],
    );
    expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(rows[0]?.password_hash).not.toContain('a very secret password');
  });

  it('keeps a name in any script, with accents and inner spaces', async () => {
    const name = 'Zoë Ångström-李 (she/her)';
    const res = await server.gql<{ signUp: { user: { name: string } } }>(SIGN_UP, {
      email: uniqueEmail('named'),
      password: 'long enough password',
      name: `  ${name} `,
    });
    expect(res.data?.signUp.user.name).toBe(name);
  });

  it('refuses a duplicate email, whatever its case, with CONFLICT and creates nothing', async () => {
    const user = await createUser(server);
    const before = await countRows('SELECT count(*) AS n FROM workspaces', []);
    const res = await server.gql(SIGN_UP, {
      email: user.email.toUpperCase(),
      password: 'another password!',
      name: 'X',
    });
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.data).toBeNull();
    expect(await countRows('SELECT count(*) AS n FROM workspaces', [])).toBe(before);
  });

  it.each([
    ['a short password', { password: 'short' }, 'password'],
    ['a malformed email', { email: 'not-an-email' }, 'email'],
    ['a blank name', { name: '   ' }, 'name'],
    // Names go onto one line of an email (issue 16): no line breaks, tabs or other controls in them.
    ['a name with line breaks', { name: 'Ada\n\nAccept the invitation: https://evil.example/' }, 'name'],
    ['a name with a carriage return', { name: 'Ada\rLovelace' }, 'name'],
    ['a name with a tab', { name: 'Ada\tLovelace' }, 'name'],
    ['a name with a Unicode line separator', { name: 'Ada\u2028Lovelace' }, 'name'],
    ['a name with a C1 next-line control', { name: 'Ada\u0085Lovelace' }, 'name'],
    ['a name with a right-to-left override', { name: 'Ada \u202eecalevoL' }, 'name'],
  ])('refuses %s with BAD_USER_INPUT and creates nothing', async (_label, override, field) => {
    const email = uniqueEmail('bad');
    const res = await server.gql(SIGN_UP, { email, password: 'long enough password', name: 'Name', ...override });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.['field']).toBe(field);
    expect(await countRows('SELECT count(*) AS n FROM users WHERE email = $1', [email])).toBe(0);
  });
});

describe('logIn', () => {
  it('logs in with the right password, in any email case', async () => {
    const user = await createUser(server);
    const res = await server.gql<{ logIn: { user: { id: string } } }>(
      LOG_IN,
      { email: ` ${user.email.toUpperCase()} `, password: user.password },
      { headers: fromNewAddress() },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.logIn.user.id).toBe(user.id);
    expect(res.setCookies.some((c) => c.startsWith('tally_refresh='))).toBe(true);
  });

  it('gives the same error for an unknown email and a wrong password', async () => {
    const user = await createUser(server);
    const wrong = await server.gql(
      LOG_IN,
      { email: user.email, password: 'wrong password!' },
      { headers: fromNewAddress() },
    );
    const unknown = await server.gql(
      LOG_IN,
      { email: uniqueEmail('nobody'), password: 'wrong password!' },
      { headers: fromNewAddress() },
    );
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    expect(codeOf(unknown)).toBe('UNAUTHENTICATED');
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(wrong.data).toBeNull();
  });

  it('limits failed logins per account, even with the right password afterwards', async () => {
    const user = await createUser(server);
    for (let i = 0; i < 3; i += 1) {
      const res = await server.gql(
        LOG_IN,
        { email: user.email, password: 'wrong password!' },
        { headers: fromNewAddress() },
      );
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
    }
    const blocked = await server.gql(
      LOG_IN,
      { email: user.email, password: user.password },
      { headers: fromNewAddress() },
    );
    expect(codeOf(blocked)).toBe('RATE_LIMITED');
    expect(blocked.errors?.[0]?.extensions?.['retryAfterSeconds']).toEqual(expect.any(Number));
    expect(blocked.setCookies).toEqual([]);
    const stored: Array<{ key: string }> = await server.tally.db.query(`SELECT key FROM rate_limits`);
    expect(stored.some((row) => row.key.includes(user.email))).toBe(false);
  });

  it('refuses aliased logIn fields at validation: nothing is checked, counted or issued', async () => {
    const user = await createUser(server);
    const attempts = [1, 2, 3, 4, 5]
      .map((i) => `a${i}: logIn(email: $email, password: "wrong password ${i}") { accessToken }`)
      .join('\n');
    const document = `mutation($email: String!) { ${attempts} }`;
    const res = await server.gql(document, { email: user.email }, { headers: fromNewAddress() });
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.data ?? null).toBeNull();
    expect(res.setCookies).toEqual([]);
    expect(
      await countRows(`SELECT count(*) AS n FROM rate_limits WHERE key = $1`, [
        `login_account:${accountKey(user.email)}`,
      ]),
    ).toBe(0);
  });

  it('limits failed logins per address across accounts', async () => {
    const address = fromNewAddress();
    for (let i = 0; i < 6; i += 1) {
      const res = await server.gql(
        LOG_IN,
        { email: uniqueEmail('spray'), password: 'wrong password!' },
        { headers: address },
      );
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
    }
    const user = await createUser(server);
    const blocked = await server.gql(LOG_IN, { email: user.email, password: user.password }, { headers: address });
    expect(codeOf(blocked)).toBe('RATE_LIMITED');
    const elsewhere = await server.gql(
      LOG_IN,
      { email: user.email, password: user.password },
      { headers: fromNewAddress() },
    );
    expect(elsewhere.errors).toBeUndefined();
  });
});

describe('access tokens', () => {
  it('identify the user in me', async () => {
    const user = await createUser(server);
    const res = await server.gql(ME, {}, { token: user.accessToken });
    expect(res.data).toEqual({ me: { id: user.id, email: user.email, name: user.name } });
  });

  it('refuse anonymous callers of me with UNAUTHENTICATED', async () => {
    const res = await server.gql(ME);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.data).toEqual({ me: null });
  });

  const key = new TextEncoder().encode(TEST_JWT_SECRET);
  const issuer = () => server.tally.config.publicUrl;

  /** An access-token-shaped JWT with one thing changed. */
  function forged(
    sub: string,
    change: { typ?: string; issuer?: string; secret?: Uint8Array; expired?: boolean } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ typ: change.typ ?? 'access', fam: 'f' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer(change.issuer ?? issuer())
      .setAudience('tally')
      .setJti('x')
      .setIssuedAt(change.expired ? now - 3600 : now)
      .setExpirationTime(change.expired ? now - 60 : now + 600)
      .sign(change.secret ?? key);
  }

  it.each([
    ['tampered', async (token: string) => `${token.slice(0, -4)}AAAA`],
    [
      'unsigned (alg: none)',
      async (_token: string, sub: string) =>
        new UnsecuredJWT({ typ: 'access' })
          .setSubject(sub)
          .setIssuer(issuer())
          .setAudience('tally')
          .setJti('x')
          .setExpirationTime('10m')
          .encode(),
    ],
    ['expired', async (_token: string, sub: string) => forged(sub, { expired: true })],
    ['from another issuer', async (_token: string, sub: string) => forged(sub, { issuer: 'https://evil.example' })],
    [
      'signed with another secret',
      async (_token: string, sub: string) => forged(sub, { secret: new TextEncoder().encode('x'.repeat(48)) }),
    ],
    ['of another typ (refresh)', async (_token: string, sub: string) => forged(sub, { typ: 'refresh' })],
  ])('are refused when %s, for the whole request (401)', async (_label, forge) => {
    const user = await createUser(server);
    const token = await forge(user.accessToken, user.id);
    const res = await server.gql(ME, {}, { token });
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.data ?? null).toBeNull();
  });

  it('are refused in a malformed Authorization header', async () => {
    const res = await server.gql(ME, {}, { headers: { authorization: 'Token abc' } });
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });
});

describe('refreshSession', () => {
  it('rotates the refresh token and issues a new access token', async () => {
    const user = await createUser(server);
    const res = await server.gql<{ refreshSession: { accessToken: string; user: { id: string } } }>(
      REFRESH,
      {},
      { cookie: user.refreshCookie },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.refreshSession.user.id).toBe(user.id);
    const next = cookieFrom(res.setCookies);
    expect(next).not.toBe(user.refreshCookie);
    const me = await server.gql(ME, {}, { token: res.data?.refreshSession.accessToken });
    expect(me.data).toEqual({ me: expect.objectContaining({ id: user.id }) });
  });

  it('treats reuse of a rotated token as theft: the whole family is revoked', async () => {
    const user = await createUser(server);
    const first = await server.gql(REFRESH, {}, { cookie: user.refreshCookie });
    const rotated = cookieFrom(first.setCookies);

    const replay = await server.gql(REFRESH, {}, { cookie: user.refreshCookie });
    expect(codeOf(replay)).toBe('UNAUTHENTICATED');

    // The legitimate holder's newer token is gone too.
    const after = await server.gql(REFRESH, {}, { cookie: rotated });
    expect(codeOf(after)).toBe('UNAUTHENTICATED');
    expect(
      await countRows('SELECT count(*) AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [user.id]),
    ).toBe(0);
  });

  it('refuses without a cookie, with a tampered cookie and with an access token as cookie', async () => {
    const user = await createUser(server);
    expect(codeOf(await server.gql(REFRESH))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(REFRESH, {}, { cookie: `${user.refreshCookie.slice(0, -3)}xyz` }))).toBe(
      'UNAUTHENTICATED',
    );
    expect(codeOf(await server.gql(REFRESH, {}, { cookie: `tally_refresh=${user.accessToken}` }))).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('does not accept a refresh token as a bearer token', async () => {
    const user = await createUser(server);
    const token = user.refreshCookie.slice('tally_refresh='.length);
    const res = await server.gql(ME, {}, { token });
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });
});

describe('logOut', () => {
  it('ends the session family and clears the cookie', async () => {
    const user = await createUser(server);
    const res = await server.gql(`mutation { logOut }`, {}, { cookie: user.refreshCookie });
    expect(res.data).toEqual({ logOut: true });
    expect(res.setCookies.some((c) => /^tally_refresh=;/.test(c) && /Expires=Thu, 01 Jan 1970/i.test(c))).toBe(true);
    expect(codeOf(await server.gql(REFRESH, {}, { cookie: user.refreshCookie }))).toBe('UNAUTHENTICATED');
  });

  it('answers true without a session', async () => {
    expect((await server.gql(`mutation { logOut }`)).data).toEqual({ logOut: true });
  });
});
