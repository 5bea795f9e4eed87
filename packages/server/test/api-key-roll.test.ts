import { createTally } from '../src/server';
import { manualClock } from './drivers/clock';
import { createKey, createRoleTeam, type TestUser } from './factories';
import { codeOf, gqlRequest, startTestServer, testConfig, type TestServer } from './harness';

/**
 * Rolling a key with a grace period (issue 22): the new key's secret once, the old key working
 * until the grace ends and refused as EXPIRED from then on (on a clock the test moves), the
 * relation between the two, the audit entry, and every refusal changing nothing.
 */

const ROLL = `mutation($workspaceId: ID!, $apiKeyId: ID!, $graceUntil: DateTime) {
  rollApiKey(workspaceId: $workspaceId, apiKeyId: $apiKeyId, graceUntil: $graceUntil) {
    secret
    apiKey { id name description role status expiresAt prefix rolledFrom { id } replacedBy { id } }
  }
}`;
const REVOKE = `mutation($workspaceId: ID!, $apiKeyId: ID!) { revokeApiKey(workspaceId: $workspaceId, apiKeyId: $apiKeyId) { id } }`;
const KEYS = `query($id: ID) { workspace(id: $id) {
  apiKeys { id status expiresAt rolledFrom { id name } replacedBy { id name } }
  auditLog { nodes { action targetId details } }
} }`;
const OWN_WORKSPACE = `{ workspace { id } }`;

interface Rolled {
  secret: string;
  apiKey: {
    id: string;
    name: string;
    description: string | null;
    role: string;
    status: string;
    expiresAt: string | null;
    prefix: string;
    rolledFrom: { id: string } | null;
    replacedBy: { id: string } | null;
  };
}
interface KeyRow {
  id: string;
  status: string;
  expiresAt: string | null;
  rolledFrom: { id: string; name: string } | null;
  replacedBy: { id: string; name: string } | null;
}

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

let server: TestServer;
let owner: TestUser;
let admin: TestUser;
let editor: TestUser;
let viewer: TestUser;
let stranger: TestUser;
let teamId: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ teamId, owner, admin, editor, viewer, stranger } = await createRoleTeam(server, 'Roll Team'));
});
afterAll(() => server.close());

const roll = (target: Pick<TestServer, 'gql'>, by: { accessToken: string }, vars: Record<string, unknown>) =>
  target.gql<{ rollApiKey: Rolled }>(ROLL, { workspaceId: teamId, ...vars }, { token: by.accessToken });

async function keys(target: Pick<TestServer, 'gql'> = server): Promise<{
  apiKeys: KeyRow[];
  audit: Array<{ action: string; targetId: string | null; details: Record<string, unknown> | null }>;
}> {
  const res = await target.gql<{
    workspace: {
      apiKeys: KeyRow[];
      auditLog: { nodes: Array<{ action: string; targetId: string | null; details: Record<string, unknown> | null }> };
    };
  }>(KEYS, { id: teamId }, { token: owner.accessToken });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return { apiKeys: res.data.workspace.apiKeys, audit: res.data.workspace.auditLog.nodes };
}

/** A server on a clock the test moves, sharing the main server's database. */
async function serverOnClock(clock: ReturnType<typeof manualClock>) {
  const tally = await createTally(testConfig(server.databaseUrl), { clock: clock.now });
  const url = await tally.listen();
  const target = { ...server, url, tally, gql: ((q, v, o) => gqlRequest(url, q, v, o)) as TestServer['gql'] };
  return target;
}

describe('rollApiKey', () => {
  it.each([
    ['OWNER', () => owner],
    ['ADMIN', () => admin],
  ])('lets an %s roll a key: a new secret, the same name, role, description and expiry policy', async (_r, who) => {
    const expiresAt = new Date(Date.now() + 30 * DAY).toISOString();
    const old = await createKey(server, owner, teamId, {
      name: 'Production SDK',
      description: 'web app',
      role: 'EDITOR',
      expiresAt,
    });
    const before = Date.now();
    const res = await roll(server, who(), { apiKeyId: old.apiKey.id });
    expect(res.errors).toBeUndefined();
    const rolled = res.data?.rollApiKey as Rolled;
    expect(rolled.secret).toMatch(/^tly_[0-9A-Za-z]{49}$/);
    expect(rolled.secret).not.toBe(old.secret);
    expect(rolled.apiKey).toMatchObject({
      name: 'Production SDK',
      description: 'web app',
      role: 'EDITOR',
      status: 'ACTIVE',
      rolledFrom: { id: old.apiKey.id },
      replacedBy: null,
    });
    expect(rolled.apiKey.id).not.toBe(old.apiKey.id);
    expect(rolled.secret.startsWith(rolled.apiKey.prefix.replace(/…$/, ''))).toBe(true);
    // The same lifetime as the old key (30 days), counted from the roll.
    const lifetime = new Date(rolled.apiKey.expiresAt ?? 0).getTime() - before;
    expect(lifetime).toBeGreaterThan(30 * DAY - 60_000);
    expect(lifetime).toBeLessThan(30 * DAY + 60_000);

    // Both keys work now; the old one ends 24 hours from now by default.
    expect((await server.gql(OWN_WORKSPACE, {}, { token: old.secret })).errors).toBeUndefined();
    expect((await server.gql(OWN_WORKSPACE, {}, { token: rolled.secret })).errors).toBeUndefined();
    const { apiKeys, audit } = await keys();
    const oldRow = apiKeys.find((k) => k.id === old.apiKey.id) as KeyRow;
    expect(oldRow.replacedBy).toEqual({ id: rolled.apiKey.id, name: 'Production SDK' });
    expect(oldRow.status).toBe('ACTIVE');
    const grace = new Date(oldRow.expiresAt ?? 0).getTime() - before;
    expect(grace).toBeGreaterThan(DAY - 60_000);
    expect(grace).toBeLessThan(DAY + 60_000);
    const entry = audit.find((a) => a.action === 'api_key.rolled' && a.targetId === old.apiKey.id);
    expect(entry?.details).toMatchObject({
      name: 'Production SDK',
      prefix: old.apiKey.prefix,
      newKeyId: rolled.apiKey.id,
      newPrefix: rolled.apiKey.prefix,
      graceUntil: oldRow.expiresAt,
    });
  });

  it('a key without expiry gets a new one without expiry', async () => {
    const old = await createKey(server, owner, teamId, { name: 'Forever' });
    const res = await roll(server, owner, { apiKeyId: old.apiKey.id });
    expect(res.data?.rollApiKey.apiKey.expiresAt).toBeNull();
  });

  it('the old key works until its grace ends and is refused as EXPIRED one second after (time moved)', async () => {
    const clock = manualClock();
    const target = await serverOnClock(clock);
    try {
      const old = await createKey(target, owner, teamId, { name: 'Rotated', role: 'EDITOR' });
      // Used (and so cached by the verifier) before the roll.
      expect((await target.gql(OWN_WORKSPACE, {}, { token: old.secret })).errors).toBeUndefined();
      const graceUntil = new Date(clock.now() + 2 * HOUR).toISOString();
      const res = await roll(target, owner, { apiKeyId: old.apiKey.id, graceUntil });
      expect(res.errors).toBeUndefined();
      const fresh = res.data?.rollApiKey.secret ?? '';

      clock.advance(2 * HOUR - 1000);
      expect((await target.gql(OWN_WORKSPACE, {}, { token: old.secret })).errors).toBeUndefined();
      clock.advance(2000);
      const late = await target.gql(OWN_WORKSPACE, {}, { token: old.secret });
      expect(late.status).toBe(401);
      expect(codeOf(late)).toBe('UNAUTHENTICATED');
      expect(late.errors?.[0]?.message).toBe('This API key has expired.');
      expect((await target.gql(OWN_WORKSPACE, {}, { token: fresh })).errors).toBeUndefined();
      const row = (await keys(target)).apiKeys.find((k) => k.id === old.apiKey.id);
      expect(row?.status).toBe('EXPIRED');
    } finally {
      await target.tally.close();
    }
  });

  it('graceUntil now ends the old key at once, on this instance and through its cache', async () => {
    const old = await createKey(server, owner, teamId, { name: 'Leaked' });
    expect((await server.gql(OWN_WORKSPACE, {}, { token: old.secret })).errors).toBeUndefined();
    const res = await roll(server, owner, { apiKeyId: old.apiKey.id, graceUntil: new Date().toISOString() });
    expect(res.errors).toBeUndefined();
    const refused = await server.gql(OWN_WORKSPACE, {}, { token: old.secret });
    expect(codeOf(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toBe('This API key has expired.');
  });

  it('a grace longer than 7 days is refused and changes nothing', async () => {
    const old = await createKey(server, owner, teamId, { name: 'Too long' });
    const before = await keys();
    const res = await roll(server, owner, {
      apiKeyId: old.apiKey.id,
      graceUntil: new Date(Date.now() + 7 * DAY + HOUR).toISOString(),
    });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.field).toBe('graceUntil');
    const after = await keys();
    expect(after.apiKeys).toEqual(before.apiKeys);
    expect(after.audit).toEqual(before.audit);
  });

  it('a key already rolled, revoked or expired cannot be rolled (CONFLICT, nothing changes)', async () => {
    const rolledOnce = await createKey(server, owner, teamId, { name: 'Once' });
    expect((await roll(server, owner, { apiKeyId: rolledOnce.apiKey.id })).errors).toBeUndefined();
    const revoked = await createKey(server, owner, teamId, { name: 'Revoked' });
    await server.gql(REVOKE, { workspaceId: teamId, apiKeyId: revoked.apiKey.id }, { token: owner.accessToken });
    const gone = await createKey(server, owner, teamId, { name: 'Gone' });
    await roll(server, owner, { apiKeyId: gone.apiKey.id, graceUntil: new Date().toISOString() });
    // `gone` is now rolled and expired; an expired key that was never rolled:
    const clock = manualClock();
    const target = await serverOnClock(clock);
    try {
      const expiring = await createKey(target, owner, teamId, {
        name: 'Expiring',
        expiresAt: new Date(clock.now() + HOUR).toISOString(),
      });
      clock.advance(HOUR + 1000);
      const before = await keys(target);
      for (const [id, message] of [
        [rolledOnce.apiKey.id, 'This key was already rolled: roll the key that replaced it.'],
        [revoked.apiKey.id, 'This key is revoked: create a new key instead of rolling it.'],
        [expiring.apiKey.id, 'This key has expired: create a new key instead of rolling it.'],
      ] as const) {
        const res = await roll(target, owner, { apiKeyId: id });
        expect(codeOf(res)).toBe('CONFLICT');
        expect(res.errors?.[0]?.message).toBe(message);
      }
      const after = await keys(target);
      expect(after.apiKeys).toEqual(before.apiKeys);
      expect(after.audit).toEqual(before.audit);
    } finally {
      await target.tally.close();
    }
  });

  it('two rolls of one key at once: one new key, one CONFLICT', async () => {
    const old = await createKey(server, owner, teamId, { name: 'Raced' });
    const [a, b] = await Promise.all([
      roll(server, owner, { apiKeyId: old.apiKey.id }),
      roll(server, admin, { apiKeyId: old.apiKey.id }),
    ]);
    expect([codeOf(a), codeOf(b)].sort()).toEqual(['CONFLICT', undefined].sort());
    const replacements = (await keys()).apiKeys.filter((k) => k.rolledFrom?.id === old.apiKey.id);
    expect(replacements).toHaveLength(1);
  });

  it.each([
    ['EDITOR', () => editor, 'FORBIDDEN'],
    ['VIEWER', () => viewer, 'FORBIDDEN'],
    ['a stranger', () => stranger, 'NOT_FOUND'],
  ])('is refused to %s, and nothing changes', async (_r, who, code) => {
    const old = await createKey(server, owner, teamId, { name: 'Kept' });
    const before = await keys();
    const res = await roll(server, who(), { apiKeyId: old.apiKey.id });
    expect(codeOf(res)).toBe(code);
    expect(res.data?.rollApiKey ?? null).toBeNull();
    expect(await keys()).toEqual(before);
  });

  it('a key of another workspace is NOT_FOUND, and so is an id that is no key', async () => {
    const other = await createRoleTeam(server, 'Other Roll Team');
    const foreign = await createKey(server, other.owner, other.teamId, { name: 'Foreign' });
    expect(codeOf(await roll(server, owner, { apiKeyId: foreign.apiKey.id }))).toBe('NOT_FOUND');
    expect(codeOf(await roll(server, owner, { apiKeyId: 'not-a-uuid' }))).toBe('NOT_FOUND');
  });

  it('a VIEWER key cannot roll (FORBIDDEN)', async () => {
    const viewerKey = await createKey(server, owner, teamId, { name: 'Viewer key', role: 'VIEWER' });
    const res = await server.gql(
      ROLL,
      { workspaceId: teamId, apiKeyId: viewerKey.apiKey.id },
      { token: viewerKey.secret },
    );
    expect(codeOf(res)).toBe('FORBIDDEN');
  });
});
