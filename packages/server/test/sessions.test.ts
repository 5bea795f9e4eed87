import { decodeJwt } from 'jose';
import { type Tally, createTally } from '../src/server';
import { SESSION_FAMILY_TTL_SECONDS } from '../src/modules/accounts/tokens';
import { cookieFrom, createUser, type TestUser } from './factories';
import { type TestServer, codeOf, eventually, gqlRequest, startTestServer, testConfig, waitFor } from './harness';

const ME = `{ me { id } }`;
const REFRESH = `mutation { refreshSession { accessToken } }`;
const LOG_OUT = `mutation { logOut }`;

let server: TestServer;
let second: Tally;
let secondUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  second = await createTally(testConfig(server.databaseUrl));
  secondUrl = await second.listen();
});
afterAll(async () => {
  await second.close();
  await server.close();
});

async function refresh(cookie: string): Promise<{ accessToken: string; cookie: string }> {
  const res = await server.gql<{ refreshSession: { accessToken: string } }>(REFRESH, {}, { cookie });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return { accessToken: res.data.refreshSession.accessToken, cookie: cookieFrom(res.setCookies) };
}

async function meOn(url: string, token: string) {
  return gqlRequest<{ me: { id: string } }>(url, ME, {}, { token });
}

describe('access tokens of an ended login', () => {
  let user: TestUser;
  beforeEach(async () => {
    user = await createUser(server);
  });

  it('are refused at once where the login ended, on other instances once the change feed delivers it; other logins go on', async () => {
    const other = await server.gql<{ logIn: { accessToken: string } }>(
      `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }`,
      { e: user.email, p: user.password },
    );
    const otherToken = other.data?.logIn.accessToken ?? '';
    expect((await meOn(secondUrl, user.accessToken)).data?.me.id).toBe(user.id);

    const out = await server.gql(LOG_OUT, {}, { cookie: user.refreshCookie });
    expect(out.data).toEqual({ logOut: true });

    for (const url of [server.url, secondUrl]) {
      // The first request on the instance that ended the login; the other learns it by NOTIFY.
      const refused =
        url === server.url
          ? await meOn(url, user.accessToken)
          : await eventually(
              () => meOn(url, user.accessToken),
              (res) => res.status !== 200,
              'the ended login refused by the second instance',
            );
      expect(refused.status).toBe(401);
      expect(codeOf(refused)).toBe('UNAUTHENTICATED');
      expect(refused.errors?.[0]?.message).toBe('Your session has ended. Please log in again.');
      expect((await meOn(url, otherToken)).data?.me.id).toBe(user.id);
    }
  });

  it('are refused once a rotated refresh token is replayed (the whole family ends)', async () => {
    const next = await refresh(user.refreshCookie);
    expect((await meOn(secondUrl, next.accessToken)).data?.me.id).toBe(user.id);
    // The first cookie was rotated; presenting it again ends the family.
    const replay = await server.gql(REFRESH, {}, { cookie: user.refreshCookie });
    expect(codeOf(replay)).toBe('UNAUTHENTICATED');
    for (const token of [user.accessToken, next.accessToken]) {
      expect(codeOf(await meOn(server.url, token))).toBe('UNAUTHENTICATED');
      const there = await eventually(
        () => meOn(secondUrl, token),
        (res) => res.status !== 200,
        'the ended family refused by the second instance',
      );
      expect(codeOf(there)).toBe('UNAUTHENTICATED');
    }
    expect(codeOf(await server.gql(REFRESH, {}, { cookie: next.cookie }))).toBe('UNAUTHENTICATED');
  });

  it('are refused by an instance started after the logOut, and while its change feed is down', async () => {
    await server.gql(LOG_OUT, {}, { cookie: user.refreshCookie });
    const late = await createTally(testConfig(server.databaseUrl));
    const lateUrl = await late.listen();
    try {
      expect(codeOf(await meOn(lateUrl, user.accessToken))).toBe('UNAUTHENTICATED');

      const another = await createUser(server);
      expect((await meOn(lateUrl, another.accessToken)).data?.me.id).toBe(another.id);
      // Every LISTEN connection cut: a logOut now is not announced to `late` by NOTIFY.
      await server.tally.db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tally-change-feed' AND datname = current_database()`,
      );
      await waitFor(() => !late.changes.connected);
      await server.gql(LOG_OUT, {}, { cookie: another.refreshCookie });
      const asked = await meOn(lateUrl, another.accessToken);
      // Still down when it answered (it reconnects after 250 ms): answered from the database, at
      // once. Back already: the NOTIFY may trail the answer, so the bounded wait applies.
      const refused = late.changes.connected
        ? await eventually(
            () => meOn(lateUrl, another.accessToken),
            (res) => res.status !== 200,
            'the ended login refused by the late instance',
          )
        : asked;
      expect(codeOf(refused)).toBe('UNAUTHENTICATED');
      await waitFor(() => late.changes.connected);
      expect(codeOf(await meOn(lateUrl, another.accessToken))).toBe('UNAUTHENTICATED');
    } finally {
      await late.close();
    }
  });
});

describe('login families', () => {
  it('end at an absolute time: refreshing keeps the end and never extends past it', async () => {
    const user = await createUser(server);
    const first = decodeJwt(decodeURIComponent(user.refreshCookie.split('=')[1] ?? ''));
    const familyEnd = first.fex;
    expect(typeof familyEnd).toBe('number');
    expect(Math.abs(Number(familyEnd) - (Date.now() / 1000 + SESSION_FAMILY_TTL_SECONDS))).toBeLessThan(60);

    let cookie = user.refreshCookie;
    for (let i = 0; i < 3; i += 1) {
      ({ cookie } = await refresh(cookie));
      const claims = decodeJwt(decodeURIComponent(cookie.split('=')[1] ?? ''));
      expect(claims.fex).toBe(familyEnd);
      expect(Number(claims.exp)).toBeLessThanOrEqual(Number(familyEnd));
      expect(claims.fam).toBe(first.fam);
    }
    // The stored row ends when the token does.
    const rows: Array<{ ends: number }> = await server.tally.db.query(
      `SELECT extract(epoch FROM max(expires_at))::int AS ends FROM refresh_tokens WHERE family_id = $1`,
      [first.fam],
    );
    expect(rows[0]?.ends).toBeLessThanOrEqual(Number(familyEnd));
  });

  it('a refresh token whose family has ended is refused', async () => {
    const user = await createUser(server);
    const { tokens } = server.tally.services;
    const claims = await tokens.verifyRefresh(decodeURIComponent(user.refreshCookie.split('=')[1] ?? ''));
    // The same token id and family, signed to end a second ago (as at the family's end).
    const ended = await tokens.signRefresh({ ...claims, familyExpiresAt: Math.floor(Date.now() / 1000) - 1 });
    const res = await server.gql(REFRESH, {}, { cookie: `tally_refresh=${ended}` });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });
});
