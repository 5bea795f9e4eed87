import { request } from 'node:http';
import { gqlFrom, newClientAddress } from './client-address';
import { createKey, createRoleTeam, type TestUser } from './factories';
import { codeOf, startTestServer, type TestServer } from './harness';

/**
 * IP allowlists of API keys (issue 22): a key with a list is accepted only from its addresses and
 * ranges — on GraphQL (UNAUTHENTICATED) and REST (401) alike, also when the key was cached before
 * its list changed — and the list is checked, normalized, audited and copied by a roll. Requests
 * leave from distinct loopback addresses (client-address.ts), so the server sees real peers.
 */

const OWN_WORKSPACE = `{ workspace { id } }`;
const SET = `mutation($workspaceId: ID!, $apiKeyId: ID!, $allowedIps: [String!]) {
  setApiKeyAllowedIps(workspaceId: $workspaceId, apiKeyId: $apiKeyId, allowedIps: $allowedIps) { id allowedIps }
}`;
const ROLL = `mutation($workspaceId: ID!, $apiKeyId: ID!) {
  rollApiKey(workspaceId: $workspaceId, apiKeyId: $apiKeyId) { secret apiKey { id allowedIps } }
}`;
const KEYS = `query($id: ID) { workspace(id: $id) {
  apiKeys { id allowedIps }
  auditLog { nodes { action targetId details } }
} }`;

let server: TestServer;
let owner: TestUser;
let admin: TestUser;
let editor: TestUser;
let viewer: TestUser;
let stranger: TestUser;
let teamId: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ teamId, owner, admin, editor, viewer, stranger } = await createRoleTeam(server, 'Allowlist Team'));
});
afterAll(() => server.close());

/** POST /v1/events from `address`: the status and whether anything was stored. */
function postEventsFrom(address: string, key: string): Promise<{ status: number; body: string }> {
  const target = new URL('/v1/events', server.url);
  const body = JSON.stringify({ events: [{ name: 'search', type: 'tool_call', sessionId: 'allowlist-session' }] });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress: address,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          authorization: `Bearer ${key}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function storedEvents(): Promise<number> {
  const rows: Array<{ n: string }> = await server.tally.db.query(
    `SELECT count(*) AS n FROM events WHERE workspace_id = $1`,
    [teamId],
  );
  return Number(rows[0]?.n ?? 0);
}

async function state() {
  const res = await server.gql<{
    workspace: {
      apiKeys: Array<{ id: string; allowedIps: string[] | null }>;
      auditLog: { nodes: Array<{ action: string; targetId: string | null; details: Record<string, unknown> | null }> };
    };
  }>(KEYS, { id: teamId }, { token: owner.accessToken });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.workspace;
}

describe('a key with an IP allowlist', () => {
  it('is accepted from its range and refused elsewhere: GraphQL UNAUTHENTICATED, REST 401, nothing stored', async () => {
    const inside = newClientAddress();
    const range = `${inside.split('.').slice(0, 3).join('.')}.0/24`;
    const key = await createKey(server, owner, teamId, { name: 'Office', role: 'EDITOR', allowedIps: [range] });
    expect((await state()).apiKeys.find((k) => k.id === key.apiKey.id)?.allowedIps).toEqual([range]);

    expect((await gqlFrom(server.url, inside, OWN_WORKSPACE, {}, { token: key.secret })).errors).toBeUndefined();
    const outside = await gqlFrom(server.url, '127.0.0.1', OWN_WORKSPACE, {}, { token: key.secret });
    expect(outside.status).toBe(401);
    expect(codeOf(outside)).toBe('UNAUTHENTICATED');
    expect(outside.errors?.[0]?.message).toBe('This API key is not allowed from this address.');

    const before = await storedEvents();
    const refused = await postEventsFrom('127.0.0.1', key.secret);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({
      error: 'UNAUTHENTICATED',
      message: 'This API key is not allowed from this address.',
    });
    expect(await storedEvents()).toBe(before);
    const accepted = await postEventsFrom(inside, key.secret);
    expect(accepted.status).toBe(202);
    expect(await storedEvents()).toBe(before + 1);
  });

  it('a changed list takes effect at once, also for a key already cached; audited; cleared means any address', async () => {
    const key = await createKey(server, owner, teamId, { name: 'Changing', role: 'VIEWER' });
    const elsewhere = newClientAddress();
    // Used (and cached) from anywhere first.
    expect((await gqlFrom(server.url, elsewhere, OWN_WORKSPACE, {}, { token: key.secret })).errors).toBeUndefined();

    const set = await server.gql<{ setApiKeyAllowedIps: { allowedIps: string[] } }>(
      SET,
      { workspaceId: teamId, apiKeyId: key.apiKey.id, allowedIps: ['203.0.113.9', '2001:db8::/32'] },
      { token: admin.accessToken },
    );
    expect(set.errors).toBeUndefined();
    expect(set.data?.setApiKeyAllowedIps.allowedIps).toEqual(['203.0.113.9/32', '2001:db8::/32']);
    expect(codeOf(await gqlFrom(server.url, elsewhere, OWN_WORKSPACE, {}, { token: key.secret }))).toBe(
      'UNAUTHENTICATED',
    );
    const entry = (await state()).auditLog.nodes.find(
      (a) => a.action === 'api_key.allowlist_changed' && a.targetId === key.apiKey.id,
    );
    expect(entry?.details).toMatchObject({ before: null, after: ['203.0.113.9/32', '2001:db8::/32'] });

    const cleared = await server.gql(
      SET,
      { workspaceId: teamId, apiKeyId: key.apiKey.id, allowedIps: [] },
      { token: owner.accessToken },
    );
    expect(cleared.errors).toBeUndefined();
    expect((await gqlFrom(server.url, elsewhere, OWN_WORKSPACE, {}, { token: key.secret })).errors).toBeUndefined();
  });

  it('bad entries and lists over 50 are BAD_USER_INPUT naming the field, and change nothing', async () => {
    const key = await createKey(server, owner, teamId, { name: 'Strict', allowedIps: ['10.0.0.0/8'] });
    const before = await state();
    for (const allowedIps of [
      ['10.0.0.1', 'example.com'],
      ['10.0.0.0/33'],
      Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`),
    ]) {
      const res = await server.gql(
        SET,
        { workspaceId: teamId, apiKeyId: key.apiKey.id, allowedIps },
        {
          token: owner.accessToken,
        },
      );
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('allowedIps');
    }
    expect(await state()).toEqual(before);
    const created = await server.gql(
      `mutation($w: ID!) { createApiKey(workspaceId: $w, input: { name: "Bad", role: VIEWER, allowedIps: ["1.2.3"] }) { secret } }`,
      { w: teamId },
      { token: owner.accessToken },
    );
    expect(codeOf(created)).toBe('BAD_USER_INPUT');
    expect((await state()).apiKeys).toHaveLength(before.apiKeys.length);
  });

  it.each([
    ['EDITOR', () => editor, 'FORBIDDEN'],
    ['VIEWER', () => viewer, 'FORBIDDEN'],
    ['a stranger', () => stranger, 'NOT_FOUND'],
  ])('cannot be changed by %s, and nothing changes', async (_r, who, code) => {
    const key = await createKey(server, owner, teamId, { name: 'Guarded', allowedIps: ['10.0.0.0/8'] });
    const before = await state();
    const res = await server.gql(
      SET,
      { workspaceId: teamId, apiKeyId: key.apiKey.id, allowedIps: null },
      { token: who().accessToken },
    );
    expect(codeOf(res)).toBe(code);
    expect(await state()).toEqual(before);
  });

  it('a roll keeps the list on the new key', async () => {
    const key = await createKey(server, owner, teamId, { name: 'Rolled with list', allowedIps: ['192.0.2.0/24'] });
    const res = await server.gql<{ rollApiKey: { secret: string; apiKey: { allowedIps: string[] } } }>(
      ROLL,
      { workspaceId: teamId, apiKeyId: key.apiKey.id },
      { token: owner.accessToken },
    );
    expect(res.data?.rollApiKey.apiKey.allowedIps).toEqual(['192.0.2.0/24']);
    const fresh = res.data?.rollApiKey.secret ?? '';
    expect(codeOf(await gqlFrom(server.url, newClientAddress(), OWN_WORKSPACE, {}, { token: fresh }))).toBe(
      'UNAUTHENTICATED',
    );
  });
});
