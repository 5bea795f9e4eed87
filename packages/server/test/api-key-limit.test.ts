import { LIMITS } from '@tally/shared';
import { API_KEYS_LISTED } from '../src/modules/api-keys/api-key.service';
import { createRoleTeam, type TestUser } from './factories';
import { codeOf, startTestServer, type TestServer } from './harness';

const CREATE = `mutation($workspaceId: ID!, $input: CreateApiKeyInput!) {
  createApiKey(workspaceId: $workspaceId, input: $input) { apiKey { id status } }
}`;
const REVOKE = `mutation($workspaceId: ID!, $apiKeyId: ID!) { revokeApiKey(workspaceId: $workspaceId, apiKeyId: $apiKeyId) { id } }`;
const LIST = `query($id: ID) { workspace(id: $id) { apiKeys { id status } } }`;

let server: TestServer;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  ({ owner } = await createRoleTeam(server, 'Cast'));
});
afterAll(() => server.close());

/** A team of its own, so each test counts only its keys. */
async function team(): Promise<string> {
  const rows: Array<{ id: string }> = await server.tally.db.query(
    `INSERT INTO workspaces (kind, name) VALUES ('TEAM', 'Keys') RETURNING id`,
  );
  const id = rows[0]?.id;
  if (!id) throw new Error('team insert failed');
  await server.tally.db.query(`INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')`, [
    id,
    owner.id,
  ]);
  return id;
}

/** Keys written straight to the database: `revoked` or not, `expired` or not. */
async function insertKeys(workspaceId: string, count: number, state: { revoked?: boolean; expired?: boolean } = {}) {
  await server.tally.db.query(
    `INSERT INTO api_keys (workspace_id, name, role, prefix, secret_hash, expires_at, revoked_at)
     SELECT $1, 'bulk ' || g, 'VIEWER', 'tly_bulk' || g, sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
            CASE WHEN $3 THEN now() - interval '1 day' END, CASE WHEN $2 THEN now() END
     FROM generate_series(1, $4) AS g`,
    [workspaceId, state.revoked ?? false, state.expired ?? false, count],
  );
}

function create(workspaceId: string, name = 'Key') {
  return server.gql<{ createApiKey: { apiKey: { id: string } } }>(
    CREATE,
    { workspaceId, input: { name, role: 'VIEWER' } },
    { token: owner.accessToken },
  );
}

async function heldKeys(workspaceId: string): Promise<number> {
  const rows: Array<{ n: string }> = await server.tally.db.query(
    'SELECT count(*) AS n FROM api_keys WHERE workspace_id = $1 AND revoked_at IS NULL',
    [workspaceId],
  );
  return Number(rows[0]?.n);
}

describe('keys per workspace', () => {
  it(`refuses a key beyond ${LIMITS.apiKeysPerWorkspace} that are not revoked, with BAD_USER_INPUT, until one is revoked`, async () => {
    const workspaceId = await team();
    // Expired keys count until they are revoked; revoked ones never do.
    await insertKeys(workspaceId, LIMITS.apiKeysPerWorkspace - 11, {});
    await insertKeys(workspaceId, 10, { expired: true });
    await insertKeys(workspaceId, 30, { revoked: true });

    const last = await create(workspaceId, 'the hundredth');
    expect(last.errors).toBeUndefined();
    const over = await create(workspaceId, 'one too many');
    expect(codeOf(over)).toBe('BAD_USER_INPUT');
    expect(over.errors?.[0]?.message).toMatch(/at most 100 API keys that are not revoked/);
    expect(over.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: LIMITS.apiKeysPerWorkspace });
    expect(over.data ?? null).toBeNull();
    expect(await heldKeys(workspaceId)).toBe(LIMITS.apiKeysPerWorkspace);

    const revoked = await server.gql(
      REVOKE,
      { workspaceId, apiKeyId: last.data?.createApiKey.apiKey.id },
      { token: owner.accessToken },
    );
    expect(revoked.errors).toBeUndefined();
    expect((await create(workspaceId, 'in its place')).errors).toBeUndefined();
  });

  it('lets only one of several racing requests take the last place', async () => {
    const workspaceId = await team();
    await insertKeys(workspaceId, LIMITS.apiKeysPerWorkspace - 1);
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => create(workspaceId, `racer ${i}`)));
    expect(results.filter((res) => res.errors === undefined)).toHaveLength(1);
    expect(results.map(codeOf).filter((code) => code === 'BAD_USER_INPUT')).toHaveLength(3);
    expect(await heldKeys(workspaceId)).toBe(LIMITS.apiKeysPerWorkspace);
  });
});

describe('Workspace.apiKeys', () => {
  it(`is bounded: every key that is not revoked, then the newest revoked, ${API_KEYS_LISTED} in all`, async () => {
    const workspaceId = await team();
    await insertKeys(workspaceId, 5);
    await insertKeys(workspaceId, 3 * API_KEYS_LISTED, { revoked: true });
    const res = await server.gql<{ workspace: { apiKeys: Array<{ id: string; status: string }> } }>(
      LIST,
      { id: workspaceId },
      { token: owner.accessToken },
    );
    expect(res.errors).toBeUndefined();
    const keys = res.data?.workspace.apiKeys ?? [];
    expect(keys).toHaveLength(API_KEYS_LISTED);
    expect(keys.filter((key) => key.status === 'ACTIVE')).toHaveLength(5);
  });

  it('is priced as a list of that many keys', async () => {
    const workspaceId = await team();
    // Each alias costs 1 + API_KEYS_LISTED × 2 (id, name): 401. Thirteen of them are over 5,000.
    const lists = Array.from({ length: 13 }, (_, i) => `k${i}: apiKeys { id name }`).join(' ');
    const res = await server.gql(
      `query($id: ID) { workspace(id: $id) { ${lists} } }`,
      { id: workspaceId },
      { token: owner.accessToken },
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.['complexity']).toBe(1 + 13 * (1 + API_KEYS_LISTED * 2));
    expect(res.data ?? null).toBeNull();

    const one = await server.gql(
      `query($id: ID) { workspace(id: $id) { apiKeys { id name } } }`,
      { id: workspaceId },
      { token: owner.accessToken },
    );
    expect(one.errors).toBeUndefined();
  });
});
