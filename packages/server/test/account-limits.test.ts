import { verify } from '@node-rs/argon2';
import { Pool } from 'pg';
import { accountKey } from '../src/modules/accounts/login-limiter';
import type { AppError } from '../src/platform/errors';
import { RateLimit } from '../src/platform/rate-limits/rate-limit';
import { pointsTaken } from './drivers/rate-limits';
import { gqlFrom, newClientAddress } from './client-address';
import { SIGN_UP, createUser, uniqueEmail } from './factories';
import { codeOf, startTestServer, type GqlOptions, type GqlResponse, type TestServer } from './harness';

// Every argon2 verification is counted: the limits must hold *before* the password check.
jest.mock('@node-rs/argon2', () => {
  const actual = jest.requireActual<typeof import('@node-rs/argon2')>('@node-rs/argon2');
  return { ...actual, verify: jest.fn(actual.verify) };
});
const passwordChecks = jest.mocked(verify);

const LOG_IN = `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken user { id } } }`;
const ACCOUNT_LIMIT = 5;
const ADDRESS_LIMIT = 12;
const SIGN_UP_LIMIT = 3;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    LOGIN_MAX_FAILURES_PER_ACCOUNT: String(ACCOUNT_LIMIT),
    LOGIN_MAX_FAILURES_PER_ADDRESS: String(ADDRESS_LIMIT),
  });
});
afterAll(() => server.close());

/**
 * Sends from a client address of its own (a loopback address, so no proxy header is involved):
 * a fresh one per request where only the per-account counter may refuse.
 */
function gqlAt<T = Record<string, unknown>>(
  address: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: GqlOptions = {},
): Promise<GqlResponse<T>> {
  return gqlFrom<T>(server.url, address, query, variables, options);
}

function tally(results: Array<GqlResponse<unknown>>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const res of results) {
    const code = res.errors ? String(codeOf(res)) : 'OK';
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

async function countRows(sql: string, params: unknown[]): Promise<number> {
  const rows: Array<{ n: string }> = await server.tally.db.query(sql, params);
  return Number(rows[0]?.n ?? 0);
}

describe('logins racing the limits (consume first)', () => {
  beforeEach(() => passwordChecks.mockClear());

  it(`checks at most ${ACCOUNT_LIMIT} of 40 parallel wrong passwords for one account; the rest are RATE_LIMITED`, async () => {
    const user = await createUser(server);
    passwordChecks.mockClear();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        gqlAt(newClientAddress(), LOG_IN, { email: user.email, password: `wrong password ${i}` }),
      ),
    );
    expect(tally(results)).toEqual({ UNAUTHENTICATED: ACCOUNT_LIMIT, RATE_LIMITED: 40 - ACCOUNT_LIMIT });
    expect(passwordChecks).toHaveBeenCalledTimes(ACCOUNT_LIMIT);
    const refused = results.find((r) => codeOf(r) === 'RATE_LIMITED');
    expect(refused?.errors?.[0]?.extensions?.['retryAfterSeconds']).toEqual(expect.any(Number));
  });

  it(`checks at most ${ADDRESS_LIMIT} of 40 parallel logins from one address, whatever the accounts`, async () => {
    const address = newClientAddress();
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        gqlAt(address, LOG_IN, { email: uniqueEmail('spray'), password: 'wrong password!' }),
      ),
    );
    expect(tally(results)).toEqual({ UNAUTHENTICATED: ADDRESS_LIMIT, RATE_LIMITED: 40 - ADDRESS_LIMIT });
    // Unknown emails pay for a (dummy) check too, so they are counted the same way.
    expect(passwordChecks).toHaveBeenCalledTimes(ADDRESS_LIMIT);
  });

  it('gives no session to a right password sent in a burst once the limit is used up', async () => {
    const user = await createUser(server);
    const first = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gqlAt(newClientAddress(), LOG_IN, { email: user.email, password: `wrong password ${i}` }),
      ),
    );
    expect(tally(first)).toEqual({ UNAUTHENTICATED: ACCOUNT_LIMIT, RATE_LIMITED: 20 - ACCOUNT_LIMIT });
    passwordChecks.mockClear();
    const burst = await Promise.all([
      ...Array.from({ length: 9 }, (_, i) =>
        gqlAt(newClientAddress(), LOG_IN, { email: user.email, password: `wrong again ${i}` }),
      ),
      gqlAt(newClientAddress(), LOG_IN, { email: user.email, password: user.password }),
    ]);
    expect(tally(burst)).toEqual({ RATE_LIMITED: 10 });
    expect(burst.flatMap((r) => r.setCookies)).toEqual([]);
    expect(passwordChecks).not.toHaveBeenCalled();
    expect(await countRows('SELECT count(*) AS n FROM refresh_tokens WHERE user_id = $1', [user.id])).toBe(1);
  });

  it('lets a right password mixed into 29 parallel wrong ones through only within the limit', async () => {
    const user = await createUser(server);
    passwordChecks.mockClear();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        gqlAt(newClientAddress(), LOG_IN, {
          email: user.email,
          password: i === 17 ? user.password : `wrong password ${i}`,
        }),
      ),
    );
    const failures = tally(results)['UNAUTHENTICATED'] ?? 0;
    const right = results[17];
    const succeeded = right !== undefined && right.errors === undefined;
    // Whichever requests won the race, no more wrong passwords than the limit reached the
    // password check, and the right one either was among the checked or got no session.
    expect(failures).toBeLessThanOrEqual(ACCOUNT_LIMIT);
    expect(passwordChecks).toHaveBeenCalledTimes(failures + (succeeded ? 1 : 0));
    if (!succeeded) {
      expect(codeOf(right ?? {})).toBe('RATE_LIMITED');
      expect(right?.setCookies).toEqual([]);
    }
  });

  it('does not count successes: failures before a success still count, afterwards the limit holds', async () => {
    const user = await createUser(server);
    const logIn = (password: string) => gqlAt(newClientAddress(), LOG_IN, { email: user.email, password });
    for (let i = 0; i < ACCOUNT_LIMIT - 1; i += 1) expect(codeOf(await logIn(`wrong ${i}`))).toBe('UNAUTHENTICATED');
    for (let i = 0; i < 3; i += 1) expect((await logIn(user.password)).errors).toBeUndefined();
    const key = `login_account:${accountKey(user.email)}`;
    expect(await countRows('SELECT points AS n FROM rate_limits WHERE key = $1', [key])).toBe(ACCOUNT_LIMIT - 1);
    // The owner's logins did not wipe the count: one more failure uses the limit up.
    expect(codeOf(await logIn('wrong again'))).toBe('UNAUTHENTICATED');
    const blocked = await logIn(user.password);
    expect(codeOf(blocked)).toBe('RATE_LIMITED');
    expect(blocked.setCookies).toEqual([]);
  });

  it('does not count successes against the address either', async () => {
    const user = await createUser(server);
    const address = newClientAddress();
    for (let i = 0; i < ADDRESS_LIMIT + 3; i += 1) {
      const res = await gqlAt(address, LOG_IN, { email: user.email, password: user.password });
      expect(res.errors).toBeUndefined();
    }
  });
});

describe('RateLimit (the consume-first helper)', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: server.databaseUrl, max: 8 });
  });
  afterAll(() => pool.end());

  it('lets exactly `points` of 50 racing consumers through, across two instances', async () => {
    const options = { name: `race_${Date.now()}`, points: 7, windowSeconds: 60, refusal: 'Too many.' };
    const one = new RateLimit(pool, options);
    const other = new RateLimit(pool, options);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? one : other).consume('k')),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(7);
    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as AppError] : []));
    expect(refusals).toHaveLength(43);
    for (const refusal of refusals) {
      expect({ code: refusal.code, ...refusal.details }).toEqual({
        code: 'RATE_LIMITED',
        retryAfterSeconds: expect.any(Number),
      });
    }
  });

  it('gives points back with refund, never below zero', async () => {
    const name = `refund_${Date.now()}`;
    const limit = new RateLimit(pool, { name, points: 2, windowSeconds: 60, refusal: 'No.' });
    await limit.consume('k');
    await limit.consume('k');
    await limit.refund('k');
    await limit.refund('k');
    await limit.refund('k');
    expect(await pointsTaken(server.tally, name, 'k')).toBe(0);
    await limit.consume('k');
    await limit.consume('k');
    await expect(limit.consume('k')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('signUp per address', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ SIGNUP_MAX_PER_ADDRESS: String(SIGN_UP_LIMIT) });
  });
  afterAll(() => limited.close());

  const signUp = (email: string, address: string, password = 'long enough password') =>
    gqlFrom(limited.url, address, SIGN_UP, { email, password, name: 'N' });

  it(`creates at most ${SIGN_UP_LIMIT} accounts from 10 parallel sign-ups from one address`, async () => {
    const address = newClientAddress();
    const emails = Array.from({ length: 10 }, () => uniqueEmail('burst'));
    const results = await Promise.all(emails.map((email) => signUp(email, address)));
    expect(tally(results)).toEqual({ OK: SIGN_UP_LIMIT, RATE_LIMITED: 10 - SIGN_UP_LIMIT });
    const rows: Array<{ n: string }> = await limited.tally.db.query(
      'SELECT count(*) AS n FROM users WHERE email = ANY($1)',
      [emails],
    );
    expect(Number(rows[0]?.n)).toBe(SIGN_UP_LIMIT);
    // Another address is not affected.
    expect((await signUp(uniqueEmail('elsewhere'), newClientAddress())).errors).toBeUndefined();
  });

  it('puts CONFLICT (does this email have an account?) behind the limit', async () => {
    const address = newClientAddress();
    const existing = uniqueEmail('taken');
    expect((await signUp(existing, newClientAddress())).errors).toBeUndefined();
    for (let i = 0; i < SIGN_UP_LIMIT; i += 1) expect(codeOf(await signUp(existing, address))).toBe('CONFLICT');
    const probe = await signUp(existing, address);
    expect(codeOf(probe)).toBe('RATE_LIMITED');
    expect(probe.errors?.[0]?.extensions?.['retryAfterSeconds']).toEqual(expect.any(Number));
  });

  it('counts refused input too: the attempt is taken before any work', async () => {
    const address = newClientAddress();
    for (let i = 0; i < SIGN_UP_LIMIT; i += 1) {
      expect(codeOf(await signUp('not-an-email', address))).toBe('BAD_USER_INPUT');
    }
    expect(codeOf(await signUp(uniqueEmail('late'), address))).toBe('RATE_LIMITED');
  });
});

describe('credential mutations in one operation', () => {
  beforeEach(() => passwordChecks.mockClear());

  async function sessionCount(): Promise<number> {
    return countRows('SELECT count(*) AS n FROM refresh_tokens', []);
  }

  it('refuses 400 aliased logIn fields with BAD_USER_INPUT before any runs', async () => {
    const user = await createUser(server);
    const before = await sessionCount();
    const aliases = Array.from(
      { length: 400 },
      (_, i) => `a${i}: logIn(email: $email, password: $password) { accessToken }`,
    ).join(' ');
    const res = await gqlAt(newClientAddress(), `mutation($email: String!, $password: String!) { ${aliases} }`, {
      email: user.email,
      password: user.password,
    });
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.data ?? null).toBeNull();
    expect(res.setCookies).toEqual([]);
    expect(passwordChecks).not.toHaveBeenCalled();
    expect(await sessionCount()).toBe(before);
  });

  it('refuses 20 aliased signUp fields and creates no account', async () => {
    const emails = Array.from({ length: 20 }, () => uniqueEmail('alias'));
    const aliases = emails
      .map(
        (email, i) => `s${i}: signUp(email: "${email}", password: "long enough password", name: "N") { accessToken }`,
      )
      .join(' ');
    const res = await gqlAt(newClientAddress(), `mutation { ${aliases} }`, {});
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/one credential operation per request/);
    expect(await countRows('SELECT count(*) AS n FROM users WHERE email = ANY($1)', [emails])).toBe(0);
  });

  it('refuses two different credential mutations, also when hidden in fragments', async () => {
    const user = await createUser(server);
    const mixed = await gqlAt(
      newClientAddress(),
      `mutation($email: String!, $password: String!) {
        logIn(email: $email, password: $password) { accessToken }
        refreshSession { accessToken }
      }`,
      { email: user.email, password: user.password },
      { cookie: user.refreshCookie },
    );
    expect(codeOf(mixed)).toBe('BAD_USER_INPUT');

    const fragments = await gqlAt(
      newClientAddress(),
      `mutation($email: String!, $password: String!) { ...A ... on Mutation { ...B } }
       fragment A on Mutation { a: logIn(email: $email, password: $password) { accessToken } }
       fragment B on Mutation { b: logIn(email: $email, password: $password) { accessToken } }`,
      { email: user.email, password: user.password },
    );
    expect(codeOf(fragments)).toBe('BAD_USER_INPUT');
    expect(passwordChecks).not.toHaveBeenCalled();
  });

  it('still runs one credential mutation beside other fields', async () => {
    const user = await createUser(server);
    const res = await gqlAt<{ logIn: { user: { id: string } }; logOut: boolean }>(
      newClientAddress(),
      `mutation($email: String!, $password: String!) {
        logOut
        logIn(email: $email, password: $password) { user { id } }
      }`,
      { email: user.email, password: user.password },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.logIn.user.id).toBe(user.id);
    expect(res.setCookies.some((c) => /^tally_refresh=[^;]+;/.test(c))).toBe(true);
  });
});

describe('new passwords', () => {
  it.each([
    ['one character repeated', 'aaaaaaaaaa', /same characters repeated/],
    ['only spaces', ' '.repeat(10), /only spaces/],
    ['a short run repeated', 'abcabcabcabc', /same characters repeated/],
    ['a common password', 'password123', /most common/],
    ['a common password in other case, with blanks around', ' QwertyUiop ', /most common/],
    ['a common number', '1234567890', /most common/],
  ])('refuses %s with BAD_USER_INPUT and creates nothing', async (_label, password, message) => {
    const email = uniqueEmail('weak');
    const res = await server.gql(SIGN_UP, { email, password, name: 'N' });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.['field']).toBe('password');
    expect(res.errors?.[0]?.message).toMatch(message);
    expect(await countRows('SELECT count(*) AS n FROM users WHERE email = $1', [email])).toBe(0);
  });

  it('accepts an uncommon passphrase', async () => {
    const res = await server.gql(SIGN_UP, { email: uniqueEmail('ok'), password: 'violet anchor meadow', name: 'N' });
    expect(res.errors).toBeUndefined();
  });
});
