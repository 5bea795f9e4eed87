import { createKey, createRoleTeam, type TestUser } from './factories';
import { codeOf, startTestServer, type TestServer } from './harness';

/**
 * A workspace key policy (issue 22): the longest lifetime, the highest role and whether keys need
 * an IP allowlist. Set by workspace.manage, readable with the keys, enforced on create, roll and
 * allowlist changes; keys made before it are flagged, not stopped.
 */

const SET_POLICY = `mutation($w: ID!, $input: ApiKeyPolicyInput!) {
  setApiKeyPolicy(workspaceId: $w, input: $input) { maxLifetimeDays maxRole requireAllowlist }
}`;
const STATE = `query($id: ID) { workspace(id: $id) {
  apiKeyPolicy { maxLifetimeDays maxRole requireAllowlist }
  apiKeys { id name role expiresAt policyViolations }
} }`;
const AUDIT = `query($id: ID) { workspace(id: $id) { auditLog { nodes { action details } } } }`;
const CREATE = `mutation($w: ID!, $input: CreateApiKeyInput!) { createApiKey(workspaceId: $w, input: $input) { secret apiKey { id policyViolations } } }`;
const ROLL = `mutation($w: ID!, $id: ID!) { rollApiKey(workspaceId: $w, apiKeyId: $id) { apiKey { id expiresAt policyViolations } } }`;
const SET_IPS = `mutation($w: ID!, $id: ID!, $ips: [String!]) { setApiKeyAllowedIps(workspaceId: $w, apiKeyId: $id, allowedIps: $ips) { id } }`;

const DAY = 24 * 60 * 60_000;
const POLICY = { maxLifetimeDays: 90, maxRole: 'EDITOR', requireAllowlist: true };

interface State {
  apiKeyPolicy: { maxLifetimeDays: number | null; maxRole: string | null; requireAllowlist: boolean };
  apiKeys: Array<{ id: string; name: string; role: string; expiresAt: string | null; policyViolations: string[] }>;
}

let server: TestServer;
let owner: TestUser;
let admin: TestUser;
let editor: TestUser;
let viewer: TestUser;
let stranger: TestUser;
let teamId: string;
let before: { id: string };

beforeAll(async () => {
  server = await startTestServer();
  ({ teamId, owner, admin, editor, viewer, stranger } = await createRoleTeam(server, 'Policy Team'));
  // A key made before any policy: ADMIN, no expiry, no allowlist.
  before = (await createKey(server, owner, teamId, { name: 'Old admin key', role: 'ADMIN' })).apiKey;
});
afterAll(() => server.close());

async function state(by: TestUser = owner): Promise<State> {
  const res = await server.gql<{ workspace: State }>(STATE, { id: teamId }, { token: by.accessToken });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.workspace;
}

describe('the workspace key policy', () => {
  it('starts empty; a VIEWER can read it (the create dialog shows it)', async () => {
    expect((await state(viewer)).apiKeyPolicy).toEqual({
      maxLifetimeDays: null,
      maxRole: null,
      requireAllowlist: false,
    });
  });

  it.each([
    ['EDITOR', () => editor, 'FORBIDDEN'],
    ['VIEWER', () => viewer, 'FORBIDDEN'],
    ['a stranger', () => stranger, 'NOT_FOUND'],
  ])('cannot be set by %s (nothing changes)', async (_r, who, code) => {
    const res = await server.gql(SET_POLICY, { w: teamId, input: POLICY }, { token: who().accessToken });
    expect(codeOf(res)).toBe(code);
    expect((await state()).apiKeyPolicy.maxLifetimeDays).toBeNull();
  });

  it('a lifetime outside 1 to 3650 days is BAD_USER_INPUT and changes nothing', async () => {
    for (const maxLifetimeDays of [0, -5, 3651]) {
      const res = await server.gql(
        SET_POLICY,
        { w: teamId, input: { ...POLICY, maxLifetimeDays } },
        { token: owner.accessToken },
      );
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('maxLifetimeDays');
    }
    expect((await state()).apiKeyPolicy.maxLifetimeDays).toBeNull();
  });

  it('an ADMIN sets it; it is audited; keys made before are flagged, not stopped', async () => {
    const res = await server.gql(SET_POLICY, { w: teamId, input: POLICY }, { token: admin.accessToken });
    expect(res.errors).toBeUndefined();
    const now = await state(viewer);
    expect(now.apiKeyPolicy).toEqual(POLICY);
    expect(now.apiKeys.find((k) => k.id === before.id)?.policyViolations).toEqual(['LIFETIME', 'ROLE', 'NO_ALLOWLIST']);
    const audit = await server.gql<{ workspace: { auditLog: { nodes: Array<{ action: string; details: unknown }> } } }>(
      AUDIT,
      { id: teamId },
      { token: owner.accessToken },
    );
    expect(audit.data?.workspace.auditLog.nodes.find((a) => a.action === 'api_key.policy_changed')?.details).toEqual({
      before: { maxLifetimeDays: null, maxRole: null, requireAllowlist: false },
      after: POLICY,
    });
  });

  it('a new key outside it is refused, naming the field to change; nothing is created', async () => {
    const count = (await state()).apiKeys.length;
    const within = { name: 'Within', role: 'EDITOR', allowedIps: ['10.0.0.0/8'], expiresAt: inDays(30) };
    for (const [input, field] of [
      [{ ...within, expiresAt: null }, 'expiresAt'],
      [{ ...within, expiresAt: inDays(91) }, 'expiresAt'],
      [{ ...within, role: 'ADMIN' }, 'role'],
      [{ ...within, allowedIps: null }, 'allowedIps'],
    ] as const) {
      const res = await server.gql(CREATE, { w: teamId, input }, { token: owner.accessToken });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe(field);
    }
    expect((await state()).apiKeys).toHaveLength(count);
    const made = await server.gql<{ createApiKey: { apiKey: { policyViolations: string[] } } }>(
      CREATE,
      { w: teamId, input: within },
      { token: owner.accessToken },
    );
    expect(made.errors).toBeUndefined();
    expect(made.data?.createApiKey.apiKey.policyViolations).toEqual([]);
  });

  it('a roll brings the lifetime within it, and is refused (CONFLICT) for a role above it', async () => {
    const adminRoll = await server.gql(ROLL, { w: teamId, id: before.id }, { token: owner.accessToken });
    expect(codeOf(adminRoll)).toBe('CONFLICT');
    expect(adminRoll.errors?.[0]?.message).toContain('at most the EDITOR role');

    // An EDITOR key with an allowlist and no expiry, made before the policy existed elsewhere: insert it as it was.
    const [row] = (await server.tally.db.query(
      `INSERT INTO api_keys (workspace_id, name, role, prefix, secret_hash, allowed_ips)
       VALUES ($1, 'Unbounded', 'EDITOR', 'tly_policytest', '\\x00', ARRAY['10.0.0.0/8']) RETURNING id`,
      [teamId],
    )) as Array<{ id: string }>;
    const rolled = await server.gql<{ rollApiKey: { apiKey: { expiresAt: string; policyViolations: string[] } } }>(
      ROLL,
      { w: teamId, id: row?.id },
      { token: owner.accessToken },
    );
    expect(rolled.errors).toBeUndefined();
    const lifetime = new Date(rolled.data?.rollApiKey.apiKey.expiresAt ?? 0).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(90 * DAY - 60_000);
    expect(lifetime).toBeLessThanOrEqual(90 * DAY);
    expect(rolled.data?.rollApiKey.apiKey.policyViolations).toEqual([]);
  });

  it('an allowlist cannot be removed while the policy requires one', async () => {
    const key = await server.gql<{ createApiKey: { apiKey: { id: string } } }>(
      CREATE,
      { w: teamId, input: { name: 'Listed', role: 'VIEWER', allowedIps: ['192.0.2.1'], expiresAt: inDays(10) } },
      { token: owner.accessToken },
    );
    const res = await server.gql(
      SET_IPS,
      { w: teamId, id: key.data?.createApiKey.apiKey.id, ips: [] },
      { token: owner.accessToken },
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.field).toBe('allowedIps');
  });

  it('cleared, it stops applying: the old key is within it again', async () => {
    const res = await server.gql(
      SET_POLICY,
      { w: teamId, input: { maxLifetimeDays: null, maxRole: null, requireAllowlist: false } },
      { token: owner.accessToken },
    );
    expect(res.errors).toBeUndefined();
    expect((await state()).apiKeys.find((k) => k.id === before.id)?.policyViolations).toEqual([]);
  });
});

function inDays(days: number): string {
  return new Date(Date.now() + days * DAY).toISOString();
}
