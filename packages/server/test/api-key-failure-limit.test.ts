import { generateSecret } from '../src/modules/api-keys/api-key-secret';
import { gqlFrom, newClientAddress } from './client-address';
import { pointsTaken } from './drivers/rate-limits';
import { createKeySecret, createUser, type TestUser } from './factories';
import { codeOf, startTestServer, type TestServer, waitFor } from './harness';

const OWN_WORKSPACE = `{ workspace { id } }`;
const LIMIT = 5;

let server: TestServer;
let owner: TestUser;
beforeAll(async () => {
  server = await startTestServer({
    API_KEY_MAX_FAILURES_PER_ADDRESS: String(LIMIT),
    API_KEY_FAILURE_WINDOW_SECONDS: '600',
  });
  owner = await createUser(server);
});
afterAll(() => server.close());

/** A request with the key, from a client address of its own. */
function withKey(secret: string, address: string) {
  return gqlFrom(server.url, address, OWN_WORKSPACE, {}, { headers: { 'x-api-key': secret } });
}

function failuresCounted(address: string): Promise<number> {
  return pointsTaken(server.tally, 'api_key_failures_address', address);
}

/** Key lookups in the database (the query the limit protects). */
function keyLookups(spy: jest.SpyInstance): number {
  return spy.mock.calls.filter(([sql]) => String(sql).includes('FROM api_keys')).length;
}

describe('failed API key checks per address', () => {
  let querySpy: jest.SpyInstance;
  beforeEach(() => {
    querySpy = jest.spyOn(server.tally.db, 'query');
  });
  afterEach(() => querySpy.mockRestore());

  it(`looks up at most ${LIMIT} unknown keys per address, then answers RATE_LIMITED (429) from memory`, async () => {
    const address = newClientAddress();
    for (let i = 0; i < LIMIT; i += 1) {
      const res = await withKey(generateSecret(), address);
      expect(res.status).toBe(401);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
    }
    const refused = await withKey(generateSecret(), address);
    expect(refused.status).toBe(429);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.errors?.[0]?.extensions?.['retryAfterSeconds']).toEqual(expect.any(Number));
    expect(keyLookups(querySpy)).toBe(LIMIT);
    expect(await failuresCounted(address)).toBe(LIMIT + 1);

    // Once refused, this instance refuses the address without the database: no lookup, no count.
    querySpy.mockClear();
    for (let i = 0; i < 5; i += 1) expect(codeOf(await withKey(generateSecret(), address))).toBe('RATE_LIMITED');
    expect(keyLookups(querySpy)).toBe(0);
    expect(await failuresCounted(address)).toBe(LIMIT + 1);

    // Another address is not affected.
    expect(codeOf(await withKey(generateSecret(), newClientAddress()))).toBe('UNAUTHENTICATED');
  });

  it(`holds when 30 unknown keys race from one address: ${LIMIT} lookups, the rest RATE_LIMITED`, async () => {
    const address = newClientAddress();
    const results = await Promise.all(Array.from({ length: 30 }, () => withKey(generateSecret(), address)));
    const codes = results.map(codeOf);
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(LIMIT);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(30 - LIMIT);
    expect(results.filter((r) => r.status === 429)).toHaveLength(30 - LIMIT);
    expect(keyLookups(querySpy)).toBe(LIMIT);
  });

  it('counts a repeated unknown key once: repeats are answered from the negative cache', async () => {
    const address = newClientAddress();
    const unknown = generateSecret();
    for (let i = 0; i < LIMIT + 3; i += 1) expect(codeOf(await withKey(unknown, address))).toBe('UNAUTHENTICATED');
    expect(await failuresCounted(address)).toBe(1);
  });

  it('does not count a real key’s first lookup, and serves a cached key even to a blocked address', async () => {
    const secret = await createKeySecret(server, owner, owner.personalWorkspaceId, 'VIEWER');
    const address = newClientAddress();
    expect((await withKey(secret, address)).errors).toBeUndefined();
    // The point taken before the lookup is given back off the request's path.
    await waitFor(async () => (await failuresCounted(address)) === 0, 5_000, 'the point given back');

    for (let i = 0; i <= LIMIT; i += 1) await withKey(generateSecret(), address);
    expect(codeOf(await withKey(generateSecret(), address))).toBe('RATE_LIMITED');
    querySpy.mockClear();
    const cached = await withKey(secret, address);
    expect(cached.errors).toBeUndefined();
    expect(cached.data).toEqual({ workspace: { id: owner.personalWorkspaceId } });
    expect(keyLookups(querySpy)).toBe(0);
  });

  it('still refuses a malformed key or a wrong checksum with 401, before any counting', async () => {
    const address = newClientAddress();
    const secret = generateSecret();
    const typo = `${secret.slice(0, -1)}${secret.at(-1) === 'a' ? 'b' : 'a'}`;
    for (let i = 0; i < LIMIT + 2; i += 1) {
      const res = await withKey(i % 2 === 0 ? typo : 'tly_short', address);
      expect(res.status).toBe(401);
    }
    expect(await failuresCounted(address)).toBe(0);
  });
});
