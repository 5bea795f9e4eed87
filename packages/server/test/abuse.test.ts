import { createHmac, generateKeyPairSync } from 'node:crypto';
import { verify } from '@node-rs/argon2';
import { SignJWT, decodeJwt } from 'jose';
import { createTally, type Tally } from '../src/server';
import { postEvents } from './analytics-fixtures';
import { gqlFrom, newClientAddress } from './client-address';
import { createRoleTeam, createUser, type TestUser, uniqueEmail, createKeySecret } from './factories';
import {
  codeOf,
  FAST_JOBS,
  gqlRequest,
  type GqlResponse,
  startTestServer,
  TEST_JWT_SECRET,
  testConfig,
  type TestServer,
} from './harness';

/**
 * Issue 11, item 6: limits hold across aliases and across two instances on one database, a
 * password inside an alias batch never yields a token, and forged or foreign access tokens are
 * UNAUTHENTICATED. (One instance's login and sign-up limits: account-limits.test.ts; failed key
 * checks: api-key-failure-limit.test.ts.)
 */
jest.mock('@node-rs/argon2', () => {
  const actual = jest.requireActual<typeof import('@node-rs/argon2')>('@node-rs/argon2');
  return { ...actual, verify: jest.fn(actual.verify) };
});
const passwordChecks = jest.mocked(verify);

const ACCOUNT_LIMIT = 4;
const INVITER_LIMIT = 3;
const INGEST_LIMIT = 10;
const ENV = {
  LOGIN_MAX_FAILURES_PER_ACCOUNT: String(ACCOUNT_LIMIT),
  INVITATIONS_PER_INVITER_PER_HOUR: String(INVITER_LIMIT),
  INGEST_EVENTS_PER_KEY_PER_MINUTE: String(INGEST_LIMIT),
};
const LOG_IN = `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }`;
const ME = `{ me { id } }`;

let a: TestServer;
let b: Tally;
let bUrl: string;
beforeAll(async () => {
  a = await startTestServer(ENV);
  b = await createTally(testConfig(a.databaseUrl, ENV), { jobs: FAST_JOBS });
  bUrl = await b.listen();
});
afterAll(async () => {
  await b.close();
  await a.close();
});

function tally(results: Array<GqlResponse<unknown>>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const res of results) {
    const code = res.errors ? String(codeOf(res)) : 'OK';
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const rows: Array<{ n: string }> = await a.tally.db.query(sql, params);
  return Number(rows[0]?.n ?? 0);
}

describe('limits across two instances on one database', () => {
  beforeEach(() => passwordChecks.mockClear());

  it(`checks at most ${ACCOUNT_LIMIT} wrong passwords for one account, whichever instance they reach`, async () => {
    const user = await createUser(a);
    passwordChecks.mockClear();
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        gqlFrom(i % 2 === 0 ? a.url : bUrl, newClientAddress(), LOG_IN, {
          email: user.email,
          password: `wrong password ${i}`,
        }),
      ),
    );
    expect(tally(results)).toEqual({ UNAUTHENTICATED: ACCOUNT_LIMIT, RATE_LIMITED: 24 - ACCOUNT_LIMIT });
    expect(passwordChecks).toHaveBeenCalledTimes(ACCOUNT_LIMIT);
    // The right password, on either instance, now gets no session either.
    for (const url of [a.url, bUrl]) {
      const right = await gqlFrom(url, newClientAddress(), LOG_IN, { email: user.email, password: user.password });
      expect(codeOf(right)).toBe('RATE_LIMITED');
      expect(right.setCookies).toEqual([]);
    }
    expect(await count('SELECT count(*) AS n FROM refresh_tokens WHERE user_id = $1', [user.id])).toBe(1);
  });

  it(`lets an inviter send ${INVITER_LIMIT} invitations, whether aliased in one document or on the other instance`, async () => {
    const { teamId, owner } = await createRoleTeam(a, 'Inviting');
    const emails = Array.from({ length: 6 }, () => uniqueEmail('invited'));
    const fan = emails
      .map((email, i) => `i${i}: inviteMember(workspaceId: $w, email: "${email}", role: VIEWER) { id }`)
      .join(' ');
    const res = await a.gql<Record<string, { id: string } | null>>(
      `mutation($w: ID!) { ${fan} }`,
      { w: teamId },
      { token: owner.accessToken },
    );
    // inviteMember is non-null, so the first refusal nulls the answer; the rows tell what ran.
    expect(res.errors?.map((e) => [e.path?.[0], e.extensions?.['code']])).toEqual([
      [`i${INVITER_LIMIT}`, 'RATE_LIMITED'],
    ]);
    expect(await count('SELECT count(*) AS n FROM invitations WHERE email = ANY($1)', [emails])).toBe(INVITER_LIMIT);

    const other = await gqlRequest(
      bUrl,
      `mutation($w: ID!, $e: String!) { inviteMember(workspaceId: $w, email: $e, role: VIEWER) { id } }`,
      { w: teamId, e: uniqueEmail('elsewhere') },
      { token: owner.accessToken },
    );
    expect(codeOf(other)).toBe('RATE_LIMITED');
    expect(await count('SELECT count(*) AS n FROM invitations WHERE invited_by = $1', [owner.id])).toBe(INVITER_LIMIT);
  });

  it(`accepts at most ${INGEST_LIMIT} events per minute for a key across both instances`, async () => {
    const team = await createRoleTeam(a, 'Ingesting');
    const key = await createKeySecret(a, team.owner, team.teamId, 'EDITOR');
    const batch = (n: number) => ({ events: Array.from({ length: n }, (_, i) => ({ sessionId: 's', name: `e${i}` })) });
    const onB = { ...a, url: bUrl };
    expect((await postEvents(a, key, batch(6))).status).toBe(202);
    await a.tally.services.ingest.flushLimits();
    // B never saw this key: it reads the shared count before deciding.
    expect((await postEvents(onB, key, batch(6))).status).toBe(429);
    expect((await postEvents(onB, key, batch(4))).status).toBe(202);
    await b.services.ingest.flushLimits();
    // A learns of B's share (its own count is read again once a flush interval old).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await postEvents(a, key, batch(1));
    expect(refused.status).toBe(429);
    expect(refused.body['error']).toBe('RATE_LIMITED');
    expect(await count('SELECT count(*) AS n FROM events WHERE workspace_id = $1', [team.teamId])).toBe(INGEST_LIMIT);
  });
});

describe('a password inside an alias batch', () => {
  it('never yields a token, wherever the right one sits', async () => {
    const user = await createUser(a);
    passwordChecks.mockClear();
    for (const order of [
      ['wrong one', user.password],
      [user.password, 'wrong one'],
      [user.password, user.password],
    ]) {
      const fields = order.map((_, i) => `l${i}: logIn(email: $e, password: $p${i}) { accessToken }`).join(' ');
      const res = await gqlFrom(
        bUrl,
        newClientAddress(),
        `mutation($e: String!, $p0: String!, $p1: String!) { ${fields} }`,
        { e: user.email, p0: order[0], p1: order[1] },
      );
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.data ?? null).toBeNull();
      expect(JSON.stringify(res)).not.toMatch(/accessToken"\s*:\s*"/);
      expect(res.setCookies).toEqual([]);
    }
    expect(passwordChecks).not.toHaveBeenCalled();
    expect(await count('SELECT count(*) AS n FROM refresh_tokens WHERE user_id = $1', [user.id])).toBe(1);
  });
});

describe('access tokens', () => {
  let user: TestUser;
  let claims: Record<string, unknown>;
  const key = new TextEncoder().encode(TEST_JWT_SECRET);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** A JWT with any header, signed with HMAC-SHA256 of `secret` whatever the header says. */
  const hand = (header: Record<string, unknown>, payload: Record<string, unknown>, secret = TEST_JWT_SECRET) => {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const resign = (payload: Record<string, unknown>, alg = 'HS256', typ = 'JWT') =>
    new SignJWT(payload).setProtectedHeader({ alg, typ }).sign(key);

  beforeAll(async () => {
    user = await createUser(a);
    claims = decodeJwt(user.accessToken);
  });

  it('a re-signed copy of a real token is accepted (so the refusals below are about what changed)', async () => {
    for (const token of [await resign(claims), hand({ alg: 'HS256', typ: 'JWT' }, claims)]) {
      const res = await a.gql<{ me: { id: string } }>(ME, {}, { token });
      expect(res.data?.me.id).toBe(user.id);
    }
  });

  it.each<[string, () => Promise<string> | string]>([
    ['alg none, unsigned', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
    ['alg none, with a signature', () => hand({ alg: 'none', typ: 'JWT' }, claims)],
    ['alg HS512 with the right secret', () => resign(claims, 'HS512')],
    ['alg HS384 with the right secret', () => resign(claims, 'HS384')],
    ['alg RS256 in the header, HMAC-signed with the secret', () => hand({ alg: 'RS256', typ: 'JWT' }, claims)],
    [
      'alg RS256, signed with an RSA key',
      () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
      },
    ],
    ['another secret', () => hand({ alg: 'HS256', typ: 'JWT' }, claims, `${TEST_JWT_SECRET}-not`)],
    ['header typ other than JWT', () => resign(claims, 'HS256', 'at+jwt')],
    ['typ claim refresh', () => resign({ ...claims, typ: 'refresh' })],
    ['typ claim password-reset', () => resign({ ...claims, typ: 'password_reset' })],
    ['no typ claim', () => resign({ ...claims, typ: undefined })],
    ['another iss', () => resign({ ...claims, iss: 'https://evil.example' })],
    ['another aud', () => resign({ ...claims, aud: 'someone-else' })],
    ['aud as a list without tally', () => resign({ ...claims, aud: ['other'] })],
    ['expired', () => resign({ ...claims, exp: Math.floor(Date.now() / 1000) - 120 })],
    ['no exp', () => resign({ ...claims, exp: undefined })],
    ['not yet valid', () => resign({ ...claims, nbf: Math.floor(Date.now() / 1000) + 3600 })],
  ])('%s: UNAUTHENTICATED', async (_what, forge) => {
    const token = await forge();
    for (const server of [a.url, bUrl]) {
      const res = await gqlRequest(server, ME, {}, { token });
      expect(res.status).toBe(401);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
      expect(res.data ?? null).toBeNull();
    }
  });

  it('the refresh token itself is no access token', async () => {
    const refresh = decodeURIComponent(user.refreshCookie.split('=')[1] ?? '');
    expect(decodeJwt(refresh)['typ']).toBe('refresh');
    const res = await a.gql(ME, {}, { token: refresh });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });
});
