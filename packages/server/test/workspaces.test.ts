import { MEMBER_ROLE_SCOPES, MemberRole } from '@tally/shared';
import { createRoleTeam, createTeamWithMembers, createUser, type TestUser } from './factories';
import { codeOf, startTestServer, type TestServer } from './harness';

const WORKSPACE = `query($id: ID) { workspace(id: $id) { id kind name createdAt viewerRole viewerScopes } }`;
const RENAME = `mutation($workspaceId: ID!, $name: String!) { renameWorkspace(workspaceId: $workspaceId, name: $name) { id name } }`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function nameOf(id: string): Promise<string | undefined> {
  const rows: Array<{ name: string }> = await server.tally.db.query('SELECT name FROM workspaces WHERE id = $1', [id]);
  return rows[0]?.name;
}

describe('workspace(id)', () => {
  it('returns a workspace the user belongs to, with their role and scopes', async () => {
    const user = await createUser(server);
    const res = await server.gql(WORKSPACE, { id: user.personalWorkspaceId }, { token: user.accessToken });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      workspace: {
        id: user.personalWorkspaceId,
        kind: 'PERSONAL',
        name: 'Personal',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        viewerRole: 'OWNER',
        viewerScopes: [...MEMBER_ROLE_SCOPES.OWNER],
      },
    });
  });

  it("is NOT_FOUND for another user's personal workspace, and shows none of it", async () => {
    const owner = await createUser(server);
    const stranger = await createUser(server);
    const res = await server.gql(WORKSPACE, { id: owner.personalWorkspaceId }, { token: stranger.accessToken });
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect(res.data).toEqual({ workspace: null });
  });

  it.each(['not-a-uuid', '00000000-0000-4000-8000-000000000000'])('is NOT_FOUND for the unknown id %s', async (id) => {
    const user = await createUser(server);
    const res = await server.gql(WORKSPACE, { id }, { token: user.accessToken });
    expect(codeOf(res)).toBe('NOT_FOUND');
  });

  it('asks a user for the id (BAD_USER_INPUT); only API keys may leave it out', async () => {
    const user = await createUser(server);
    expect(codeOf(await server.gql(WORKSPACE, {}, { token: user.accessToken }))).toBe('BAD_USER_INPUT');
  });

  it('is UNAUTHENTICATED without a credential', async () => {
    const user = await createUser(server);
    const res = await server.gql(WORKSPACE, { id: user.personalWorkspaceId });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.data).toEqual({ workspace: null });
  });

  it('follows a role change on the very next request, whatever token the user holds', async () => {
    const owner = await createUser(server);
    const member = await createUser(server);
    const teamId = await createTeamWithMembers(server, 'Role Change', [
      { user: owner, role: MemberRole.OWNER },
      { user: member, role: MemberRole.ADMIN },
    ]);
    const before = await server.gql<{ workspace: { viewerRole: string } }>(
      WORKSPACE,
      { id: teamId },
      { token: member.accessToken },
    );
    expect(before.data?.workspace.viewerRole).toBe('ADMIN');

    await server.tally.db.query(`UPDATE members SET role = 'VIEWER' WHERE workspace_id = $1 AND user_id = $2`, [
      teamId,
      member.id,
    ]);
    const after = await server.gql<{ workspace: { viewerRole: string; viewerScopes: string[] } }>(
      WORKSPACE,
      { id: teamId },
      { token: member.accessToken },
    );
    expect(after.data?.workspace.viewerRole).toBe('VIEWER');
    expect(after.data?.workspace.viewerScopes).toEqual([...MEMBER_ROLE_SCOPES.VIEWER]);

    await server.tally.db.query(`DELETE FROM members WHERE workspace_id = $1 AND user_id = $2`, [teamId, member.id]);
    expect(codeOf(await server.gql(WORKSPACE, { id: teamId }, { token: member.accessToken }))).toBe('NOT_FOUND');
  });

  it('treats a deleted team as NOT_FOUND', async () => {
    const owner = await createUser(server);
    const teamId = await createTeamWithMembers(server, 'Gone', [{ user: owner, role: MemberRole.OWNER }]);
    await server.tally.db.query(`UPDATE workspaces SET deleted_at = now() WHERE id = $1`, [teamId]);
    expect(codeOf(await server.gql(WORKSPACE, { id: teamId }, { token: owner.accessToken }))).toBe('NOT_FOUND');
    const list = await server.gql<{ workspaces: Array<{ id: string }> }>(
      `{ workspaces { id } }`,
      {},
      { token: owner.accessToken },
    );
    expect(list.data?.workspaces.map((w) => w.id)).toEqual([owner.personalWorkspaceId]);
  });
});

describe('workspaces', () => {
  it('lists the personal workspace first, then teams by name, each with the viewer role', async () => {
    const user = await createUser(server);
    const other = await createUser(server);
    await createTeamWithMembers(server, 'zeta team', [{ user, role: MemberRole.VIEWER }]);
    await createTeamWithMembers(server, 'Alpha team', [{ user, role: MemberRole.EDITOR }]);
    await createTeamWithMembers(server, 'Not mine', [{ user: other, role: MemberRole.OWNER }]);
    const res = await server.gql<{ workspaces: Array<{ name: string; kind: string; viewerRole: string }> }>(
      `{ workspaces { name kind viewerRole } }`,
      {},
      { token: user.accessToken },
    );
    expect(res.data?.workspaces).toEqual([
      { name: 'Personal', kind: 'PERSONAL', viewerRole: 'OWNER' },
      { name: 'Alpha team', kind: 'TEAM', viewerRole: 'EDITOR' },
      { name: 'zeta team', kind: 'TEAM', viewerRole: 'VIEWER' },
    ]);
  });
});

describe('renameWorkspace', () => {
  let owner: TestUser;
  let admin: TestUser;
  let editor: TestUser;
  let viewer: TestUser;
  let stranger: TestUser;
  let teamId: string;

  beforeAll(async () => {
    ({ teamId, owner, admin, editor, viewer, stranger } = await createRoleTeam(server, 'Original'));
  });

  it.each([
    ['OWNER', () => owner],
    ['ADMIN', () => admin],
  ])('lets an %s rename (workspace.manage), trimming the name', async (_role, who) => {
    const res = await server.gql(
      RENAME,
      { workspaceId: teamId, name: `  Renamed by ${_role} ` },
      { token: who().accessToken },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ renameWorkspace: { id: teamId, name: `Renamed by ${_role}` } });
    expect(await nameOf(teamId)).toBe(`Renamed by ${_role}`);
  });

  it.each([
    ['EDITOR', () => editor],
    ['VIEWER', () => viewer],
  ])('refuses an %s with FORBIDDEN and changes nothing', async (_role, who) => {
    const before = await nameOf(teamId);
    const res = await server.gql(RENAME, { workspaceId: teamId, name: 'Hijacked' }, { token: who().accessToken });
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(res.errors?.[0]?.extensions?.['requiredScopes']).toEqual(['workspace.manage']);
    expect(await nameOf(teamId)).toBe(before);
  });

  it('records team.renamed with the old and new name', async () => {
    await server.gql(RENAME, { workspaceId: teamId, name: 'Before audit' }, { token: owner.accessToken });
    await server.gql(RENAME, { workspaceId: teamId, name: 'After audit' }, { token: admin.accessToken });
    const rows: Array<Record<string, unknown>> = await server.tally.db.query(
      `SELECT action, actor_user_id, target_id, details FROM audit_entries WHERE workspace_id = $1 ORDER BY at DESC LIMIT 1`,
      [teamId],
    );
    expect(rows).toEqual([
      {
        action: 'team.renamed',
        actor_user_id: admin.id,
        target_id: teamId,
        details: { from: 'Before audit', to: 'After audit' },
      },
    ]);
  });

  it('answers NOT_FOUND to a non-member and changes nothing', async () => {
    const before = await nameOf(teamId);
    const res = await server.gql(RENAME, { workspaceId: teamId, name: 'Hijacked' }, { token: stranger.accessToken });
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect(await nameOf(teamId)).toBe(before);
  });

  it.each(['', '   ', 'x'.repeat(101)])('refuses the name %j with BAD_USER_INPUT', async (name) => {
    const before = await nameOf(teamId);
    const res = await server.gql(RENAME, { workspaceId: teamId, name }, { token: owner.accessToken });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(await nameOf(teamId)).toBe(before);
  });

  it('is UNAUTHENTICATED without a credential', async () => {
    expect(codeOf(await server.gql(RENAME, { workspaceId: teamId, name: 'x' }))).toBe('UNAUTHENTICATED');
  });
});
