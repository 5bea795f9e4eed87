import { MemberRole } from '@tally/shared';
import { createUser, createRoleTeam, type RoleTeam, type TestUser, createKey } from './factories';
import { createTally } from '../src/server';
import {
  FAST_JOBS,
  type TestServer,
  codeOf,
  eventually,
  gqlRequest,
  startTestServer,
  testConfig,
  waitFor,
} from './harness';
import { drainJobs } from './drivers/jobs';

const CREATE_TEAM = `mutation($name: String!) { createTeam(name: $name) { id kind name viewerRole viewerScopes } }`;
const WORKSPACES = `{ workspaces { id kind name viewerRole } }`;
const MEMBERS = `query($id: ID) { workspace(id: $id) { members { user { id email name } role joinedAt } } }`;
const CHANGE_ROLE = `mutation($w: ID!, $u: ID!, $r: MemberRole!) {
  changeMemberRole(workspaceId: $w, userId: $u, role: $r) { role user { id } }
}`;
const REMOVE = `mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }`;
const LEAVE = `mutation($w: ID!) { leaveTeam(workspaceId: $w) }`;
const DELETE = `mutation($w: ID!, $n: String!) { deleteTeam(workspaceId: $w, confirmName: $n) }`;
const AUDIT = `query($id: ID, $first: Int, $after: String) {
  workspace(id: $id) { auditLog(first: $first, after: $after) {
    nodes { id action actor { id } actorName actorApiKey { id name } targetType targetId details at }
    pageInfo { hasNextPage endCursor }
  } }
}`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function roleOf(teamId: string, user: TestUser): Promise<string | null> {
  const rows: Array<{ role: string }> = await server.tally.db.query(
    `SELECT role FROM members WHERE workspace_id = $1 AND user_id = $2`,
    [teamId, user.id],
  );
  return rows[0]?.role ?? null;
}

async function owners(teamId: string): Promise<number> {
  const rows: Array<{ n: number }> = await server.tally.db.query(
    `SELECT count(*)::int AS n FROM members WHERE workspace_id = $1 AND role = 'OWNER'`,
    [teamId],
  );
  return rows[0]?.n ?? -1;
}

async function actions(teamId: string): Promise<string[]> {
  const rows: Array<{ action: string }> = await server.tally.db.query(
    `SELECT action FROM audit_entries WHERE workspace_id = $1 ORDER BY at, id`,
    [teamId],
  );
  return rows.map((r) => r.action);
}

describe('createTeam', () => {
  it('makes the creator its OWNER, lists it with the role, and audits it', async () => {
    const ada = await createUser(server, { name: 'Ada' });
    const res = await server.gql<{ createTeam: { id: string; kind: string; name: string; viewerRole: string } }>(
      CREATE_TEAM,
      { name: '  Analytics Guild ' },
      { token: ada.accessToken },
    );
    expect(res.errors).toBeUndefined();
    const team = res.data?.createTeam;
    expect(team).toEqual(expect.objectContaining({ kind: 'TEAM', name: 'Analytics Guild', viewerRole: 'OWNER' }));
    const list = await server.gql<{ workspaces: Array<{ id: string; kind: string; viewerRole: string }> }>(
      WORKSPACES,
      {},
      { token: ada.accessToken },
    );
    expect(list.data?.workspaces.map((w) => [w.kind, w.viewerRole])).toEqual([
      ['PERSONAL', 'OWNER'],
      ['TEAM', 'OWNER'],
    ]);
    expect(await actions(team?.id ?? '')).toEqual(['team.created']);
  });

  it('refuses a bad name and changes nothing', async () => {
    const ada = await createUser(server);
    const res = await server.gql(CREATE_TEAM, { name: '   ' }, { token: ada.accessToken });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    const rows: unknown[] = await server.tally.db.query(
      `SELECT 1 FROM members m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 AND w.kind = 'TEAM'`,
      [ada.id],
    );
    expect(rows).toHaveLength(0);
  });

  it('needs a signed-in user', async () => {
    expect(codeOf(await server.gql(CREATE_TEAM, { name: 'Nobody' }))).toBe('UNAUTHENTICATED');
  });

  // Team names go onto one line of an invitation email (issue 16): no line breaks, tabs or other controls.
  const MULTI_LINE_NAMES = [
    'Acme\n\nAccept the invitation: https://evil.example/steal',
    'Acme\r\nBcc: someone@evil.example',
    'Acme\tTeam',
    'Acme\u2028Team',
    'Acme\u2029Team',
    'Acme\u0085Team',
    'Acme\u007fTeam',
    'Acme \u202emaeT',
    'Acme \u2066Team\u2069',
  ];

  it.each(MULTI_LINE_NAMES.map((name) => [JSON.stringify(name), name]))(
    'createTeam refuses the name %s with BAD_USER_INPUT and creates nothing',
    async (_label, name) => {
      const ada = await createUser(server);
      const res = await server.gql(CREATE_TEAM, { name }, { token: ada.accessToken });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.['field']).toBe('name');
      const rows: unknown[] = await server.tally.db.query(
        `SELECT 1 FROM members m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 AND w.kind = 'TEAM'`,
        [ada.id],
      );
      expect(rows).toHaveLength(0);
    },
  );

  it('renameWorkspace refuses such names too and keeps the old one; a name in any script is fine', async () => {
    const team = await createRoleTeam(server, 'Renamed Team');
    const RENAME = `mutation($w: ID!, $n: String!) { renameWorkspace(workspaceId: $w, name: $n) { name } }`;
    for (const name of MULTI_LINE_NAMES) {
      const res = await server.gql(RENAME, { w: team.teamId, n: name }, { token: team.owner.accessToken });
      expect([name, codeOf(res)]).toEqual([name, 'BAD_USER_INPUT']);
    }
    const rows: Array<{ name: string }> = await server.tally.db.query(`SELECT name FROM workspaces WHERE id = $1`, [
      team.teamId,
    ]);
    expect(rows[0]?.name).toBe('Renamed Team');
    expect(await actions(team.teamId)).toEqual([]);
    const ok = await server.gql<{ renameWorkspace: { name: string } }>(
      RENAME,
      { w: team.teamId, n: 'Équipe Ørsted · 分析' },
      { token: team.owner.accessToken },
    );
    expect(ok.data?.renameWorkspace.name).toBe('Équipe Ørsted · 分析');
  });
});

describe('members', () => {
  let cast: RoleTeam;
  beforeEach(async () => {
    cast = await createRoleTeam(server, 'Members Team');
  });

  it('every member reads the member list; a stranger gets NOT_FOUND', async () => {
    for (const user of [cast.owner, cast.admin, cast.editor, cast.viewer]) {
      const res = await server.gql<{ workspace: { members: Array<{ role: string; user: { id: string } }> } }>(
        MEMBERS,
        { id: cast.teamId },
        { token: user.accessToken },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.workspace.members.map((m) => m.role)).toEqual(['OWNER', 'ADMIN', 'EDITOR', 'VIEWER']);
    }
    const res = await server.gql(MEMBERS, { id: cast.teamId }, { token: cast.stranger.accessToken });
    expect(codeOf(res)).toBe('NOT_FOUND');
  });

  it.each([
    // actor, target, new role, expected code (null = allowed)
    ['owner', 'admin', 'VIEWER', null],
    ['owner', 'viewer', 'OWNER', null],
    ['admin', 'editor', 'ADMIN', null],
    ['admin', 'viewer', 'EDITOR', null],
    ['admin', 'viewer', 'OWNER', 'FORBIDDEN'],
    ['admin', 'owner', 'VIEWER', 'FORBIDDEN'],
    ['editor', 'viewer', 'EDITOR', 'FORBIDDEN'],
    ['viewer', 'editor', 'VIEWER', 'FORBIDDEN'],
    ['admin', 'admin', 'EDITOR', 'FORBIDDEN'],
    ['owner', 'owner', 'ADMIN', 'LAST_OWNER'],
  ] as const)('%s changing %s to %s → %s', async (actor, target, role, code) => {
    const res = await server.gql<{ changeMemberRole: { role: string } }>(
      CHANGE_ROLE,
      { w: cast.teamId, u: cast[target].id, r: role },
      { token: cast[actor].accessToken },
    );
    if (code === null) {
      expect(res.errors).toBeUndefined();
      expect(res.data?.changeMemberRole.role).toBe(role);
      expect(await roleOf(cast.teamId, cast[target])).toBe(role);
      const rows: Array<{ details: Record<string, unknown>; actor_name: string }> = await server.tally.db.query(
        `SELECT details, actor_name FROM audit_entries WHERE workspace_id = $1 AND action = 'member.role_changed'`,
        [cast.teamId],
      );
      expect(rows[0]?.details).toEqual(expect.objectContaining({ to: role, email: cast[target].email }));
      expect(rows[0]?.actor_name).toBe(cast[actor].name);
    } else {
      expect(codeOf(res)).toBe(code);
      expect(await roleOf(cast.teamId, cast[target])).toBe(target.toUpperCase());
      expect(await actions(cast.teamId)).toEqual([]);
    }
  });

  it('an OWNER hands over by promoting another, then steps down', async () => {
    const promoted = await server.gql(
      CHANGE_ROLE,
      { w: cast.teamId, u: cast.admin.id, r: 'OWNER' },
      { token: cast.owner.accessToken },
    );
    expect(promoted.errors).toBeUndefined();
    const down = await server.gql(
      CHANGE_ROLE,
      { w: cast.teamId, u: cast.owner.id, r: 'VIEWER' },
      { token: cast.owner.accessToken },
    );
    expect(down.errors).toBeUndefined();
    expect(await roleOf(cast.teamId, cast.owner)).toBe('VIEWER');
    expect(await owners(cast.teamId)).toBe(1);
    // The role lost is lost at once: the former owner's next request is a VIEWER's.
    const again = await server.gql(
      CHANGE_ROLE,
      { w: cast.teamId, u: cast.editor.id, r: 'VIEWER' },
      { token: cast.owner.accessToken },
    );
    expect(codeOf(again)).toBe('FORBIDDEN');
  });

  it('removes downwards; a removed member is NOT_FOUND on the next request', async () => {
    expect(
      codeOf(await server.gql(REMOVE, { w: cast.teamId, u: cast.owner.id }, { token: cast.admin.accessToken })),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(await server.gql(REMOVE, { w: cast.teamId, u: cast.admin.id }, { token: cast.editor.accessToken })),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(await server.gql(REMOVE, { w: cast.teamId, u: cast.admin.id }, { token: cast.admin.accessToken })),
    ).toBe('BAD_USER_INPUT');
    const removed = await server.gql(REMOVE, { w: cast.teamId, u: cast.editor.id }, { token: cast.admin.accessToken });
    expect(removed.data).toEqual({ removeMember: true });
    expect(await roleOf(cast.teamId, cast.editor)).toBeNull();
    const next = await server.gql(MEMBERS, { id: cast.teamId }, { token: cast.editor.accessToken });
    expect(codeOf(next)).toBe('NOT_FOUND');
    expect(await actions(cast.teamId)).toEqual(['member.removed']);
  });

  it('leave: any member; the last OWNER gets LAST_OWNER; a personal workspace cannot be left', async () => {
    expect(await server.gql(LEAVE, { w: cast.teamId }, { token: cast.viewer.accessToken })).toEqual(
      expect.objectContaining({ data: { leaveTeam: true } }),
    );
    expect(codeOf(await server.gql(LEAVE, { w: cast.teamId }, { token: cast.owner.accessToken }))).toBe('LAST_OWNER');
    expect(await roleOf(cast.teamId, cast.owner)).toBe('OWNER');
    expect(
      codeOf(await server.gql(LEAVE, { w: cast.owner.personalWorkspaceId }, { token: cast.owner.accessToken })),
    ).toBe('BAD_USER_INPUT');
    expect(codeOf(await server.gql(LEAVE, { w: cast.teamId }, { token: cast.stranger.accessToken }))).toBe('NOT_FOUND');
    expect(await actions(cast.teamId)).toEqual(['member.left']);
  });

  it('personal workspaces have no member management', async () => {
    const res = await server.gql(
      CHANGE_ROLE,
      { w: cast.owner.personalWorkspaceId, u: cast.owner.id, r: 'VIEWER' },
      { token: cast.owner.accessToken },
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });
});

describe('races keep at least one OWNER', () => {
  it('two owners demoting each other, 20 rounds', async () => {
    for (let round = 0; round < 20; round += 1) {
      const [a, b] = await Promise.all([createUser(server), createUser(server)]);
      if (!a || !b) throw new Error('users');
      const teamId = (
        await server.gql<{ createTeam: { id: string } }>(
          CREATE_TEAM,
          { name: `Race ${round}` },
          { token: a.accessToken },
        )
      ).data?.createTeam.id;
      if (!teamId) throw new Error('team');
      await server.tally.db.query(`INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')`, [
        teamId,
        b.id,
      ]);
      const results = await Promise.all([
        server.gql(CHANGE_ROLE, { w: teamId, u: b.id, r: 'ADMIN' }, { token: a.accessToken }),
        server.gql(CHANGE_ROLE, { w: teamId, u: a.id, r: 'ADMIN' }, { token: b.accessToken }),
        server.gql(CHANGE_ROLE, { w: teamId, u: a.id, r: 'VIEWER' }, { token: a.accessToken }),
        server.gql(CHANGE_ROLE, { w: teamId, u: b.id, r: 'VIEWER' }, { token: b.accessToken }),
      ]);
      expect(await owners(teamId)).toBeGreaterThanOrEqual(1);
      const codes = results.map((r) => (r.errors ? codeOf(r) : 'ok'));
      expect(codes.filter((c) => c === 'ok').length).toBeGreaterThanOrEqual(1);
      for (const code of codes) expect(['ok', 'FORBIDDEN', 'LAST_OWNER']).toContain(code);
    }
  }, 60_000);

  it('remove and leave interleaved, 20 rounds', async () => {
    for (let round = 0; round < 20; round += 1) {
      const cast = await createRoleTeam(server, `Interleave ${round}`);
      await server.tally.db.query(`UPDATE members SET role = 'OWNER' WHERE workspace_id = $1 AND user_id = $2`, [
        cast.teamId,
        cast.admin.id,
      ]);
      // Two owners: each removes the other while leaving; one owner must remain.
      await Promise.all([
        server.gql(REMOVE, { w: cast.teamId, u: cast.admin.id }, { token: cast.owner.accessToken }),
        server.gql(LEAVE, { w: cast.teamId }, { token: cast.owner.accessToken }),
        server.gql(REMOVE, { w: cast.teamId, u: cast.owner.id }, { token: cast.admin.accessToken }),
        server.gql(LEAVE, { w: cast.teamId }, { token: cast.admin.accessToken }),
      ]);
      expect(await owners(cast.teamId)).toBe(1);
    }
  }, 60_000);
});

describe('deleteTeam', () => {
  it('OWNER only, the name typed exactly; then NOT_FOUND everywhere, keys and invitations revoked', async () => {
    const cast = await createRoleTeam(server, 'Doomed Team');
    expect(
      codeOf(await server.gql(DELETE, { w: cast.teamId, n: 'Doomed Team' }, { token: cast.admin.accessToken })),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(await server.gql(DELETE, { w: cast.teamId, n: 'doomed team' }, { token: cast.owner.accessToken })),
    ).toBe('BAD_USER_INPUT');
    expect(
      codeOf(
        await server.gql(
          DELETE,
          { w: cast.owner.personalWorkspaceId, n: 'Personal' },
          { token: cast.owner.accessToken },
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    const { secret } = await createKey(server, cast.owner, cast.teamId);
    expect((await server.gql(`{ workspace { id } }`, {}, { token: secret })).errors).toBeUndefined();

    const deleted = await server.gql(DELETE, { w: cast.teamId, n: 'Doomed Team' }, { token: cast.owner.accessToken });
    expect(deleted.data).toEqual({ deleteTeam: true });
    for (const user of [cast.owner, cast.viewer]) {
      expect(codeOf(await server.gql(MEMBERS, { id: cast.teamId }, { token: user.accessToken }))).toBe('NOT_FOUND');
      const list = await server.gql<{ workspaces: Array<{ id: string }> }>(WORKSPACES, {}, { token: user.accessToken });
      expect(list.data?.workspaces.map((w) => w.id)).not.toContain(cast.teamId);
    }
    expect(codeOf(await server.gql(`{ workspace { id } }`, {}, { token: secret }))).toBe('UNAUTHENTICATED');
    const again = await server.gql(DELETE, { w: cast.teamId, n: 'Doomed Team' }, { token: cast.owner.accessToken });
    expect(codeOf(again)).toBe('NOT_FOUND');
    const rows: Array<{ details: Record<string, unknown> }> = await server.tally.db.query(
      `SELECT details FROM audit_entries WHERE workspace_id = $1 AND action = 'team.deleted'`,
      [cast.teamId],
    );
    expect(rows[0]?.details).toEqual({ name: 'Doomed Team', apiKeysRevoked: 1, invitationsRevoked: 0 });
  });
});

describe('auditLog', () => {
  it('newest first, paged with a cursor, with actor and details; audit.read only', async () => {
    const cast = await createRoleTeam(server, 'Audited Team');
    for (const role of ['VIEWER', 'EDITOR', 'ADMIN', 'EDITOR', 'VIEWER'] as MemberRole[]) {
      const res = await server.gql(
        CHANGE_ROLE,
        { w: cast.teamId, u: cast.editor.id, r: role },
        { token: cast.owner.accessToken },
      );
      expect(res.errors).toBeUndefined();
    }
    type Page = {
      workspace: {
        auditLog: {
          nodes: Array<{ action: string; actor: { id: string }; actorName: string; details: { to: string } }>;
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
    };
    const first = await server.gql<Page>(AUDIT, { id: cast.teamId, first: 3 }, { token: cast.admin.accessToken });
    expect(first.errors).toBeUndefined();
    const page1 = first.data?.workspace.auditLog;
    expect(page1?.nodes.map((n) => n.details.to)).toEqual(['VIEWER', 'EDITOR', 'ADMIN']);
    expect(page1?.nodes[0]).toEqual(
      expect.objectContaining({
        action: 'member.role_changed',
        actor: { id: cast.owner.id },
        actorName: cast.owner.name,
      }),
    );
    expect(page1?.pageInfo.hasNextPage).toBe(true);
    const second = await server.gql<Page>(
      AUDIT,
      { id: cast.teamId, first: 3, after: page1?.pageInfo.endCursor },
      { token: cast.admin.accessToken },
    );
    expect(second.data?.workspace.auditLog.nodes.map((n) => n.details.to)).toEqual(['EDITOR', 'VIEWER']);
    expect(second.data?.workspace.auditLog.pageInfo.hasNextPage).toBe(false);

    const bad = await server.gql(AUDIT, { id: cast.teamId, after: 'nonsense' }, { token: cast.admin.accessToken });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    for (const user of [cast.editor, cast.viewer]) {
      const res = await server.gql<{ workspace: { auditLog: unknown } | null }>(
        AUDIT,
        { id: cast.teamId },
        { token: user.accessToken },
      );
      expect(codeOf(res)).toBe('FORBIDDEN');
    }
  });
});

describe('a deleted team on other instances, and its purge', () => {
  it('a key of a deleted team is refused at once where it was deleted, and by a second instance once the change feed delivers it', async () => {
    const second = await createTally(testConfig(server.databaseUrl), { jobs: FAST_JOBS });
    const secondUrl = await second.listen();
    try {
      const cast = await createRoleTeam(server, 'Two Instances');
      const { secret } = await createKey(server, cast.owner, cast.teamId);
      // Verified, and so cached, on the second instance.
      expect((await gqlRequest(secondUrl, `{ workspace { id name } }`, {}, { token: secret })).errors).toBeUndefined();
      const deleted = await server.gql(
        DELETE,
        { w: cast.teamId, n: 'Two Instances' },
        { token: cast.owner.accessToken },
      );
      expect(deleted.errors).toBeUndefined();
      const here = await server.gql(`{ workspace { id name } }`, {}, { token: secret });
      expect({ status: here.status, code: codeOf(here) }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      const refused = await eventually(
        () => gqlRequest(secondUrl, `{ workspace { id name } }`, {}, { token: secret }),
        (res) => res.status !== 200,
        "the deleted team's key refused by the second instance",
      );
      expect(refused.status).toBe(401);
      expect(codeOf(refused)).toBe('UNAUTHENTICATED');
      // A person's role is read from the database on every request: gone on the next one.
      const member = await gqlRequest(secondUrl, MEMBERS, { id: cast.teamId }, { token: cast.viewer.accessToken });
      expect(codeOf(member)).toBe('NOT_FOUND');
    } finally {
      await second.close();
    }
  });

  it('the purge, stopped half-way, resumes on another instance and finishes; the tombstone stays', async () => {
    let stopped = false;
    const first = await createTally(testConfig(server.databaseUrl), {
      jobs: { ...FAST_JOBS, overrides: { 'workspace.purge': { retryDelaySeconds: 2 } } },
      purge: {
        batchSize: 1,
        onBatch: () => {
          if (stopped) return;
          stopped = true;
          throw new Error('the instance died here');
        },
      },
    });
    const firstUrl = await first.listen();
    const cast = await createRoleTeam(server, 'Purged Team');
    for (let i = 0; i < 3; i += 1) {
      await createKey(server, cast.owner, cast.teamId);
    }
    const remaining = async () => {
      const rows: Array<{ n: number }> = await server.tally.db.query(
        `SELECT (SELECT count(*) FROM members WHERE workspace_id = $1)
              + (SELECT count(*) FROM api_keys WHERE workspace_id = $1)
              + (SELECT count(*) FROM invitations WHERE workspace_id = $1) AS n`,
        [cast.teamId],
      );
      return Number(rows[0]?.n);
    };
    expect(await remaining()).toBe(7);
    // Deleted through the first instance, which runs its purge job and dies after one batch.
    const deleted = await gqlRequest(
      firstUrl,
      DELETE,
      { w: cast.teamId, n: 'Purged Team' },
      { token: cast.owner.accessToken },
    );
    expect(deleted.errors).toBeUndefined();
    await waitFor(() => stopped, 10_000, 'the purge stopped after one batch');
    await first.close();
    expect(await remaining()).toBe(6);

    // Another instance takes the job up when its retry falls due and finishes the purge.
    const second = await createTally(testConfig(server.databaseUrl), {
      jobs: FAST_JOBS,
      purge: { sweepAfterSeconds: 0 },
    });
    try {
      await waitFor(async () => (await remaining()) === 0, 20_000, 'the purge finished by the second instance');
      await drainJobs(second, 'workspace.purge', 10_000);
      const rows: Array<{ deleted: boolean; purged: boolean; entries: number }> = await server.tally.db.query(
        `SELECT deleted_at IS NOT NULL AS deleted, purged_at IS NOT NULL AS purged,
                (SELECT count(*)::int FROM audit_entries WHERE workspace_id = $1) AS entries
           FROM workspaces WHERE id = $1`,
        [cast.teamId],
      );
      expect(rows[0]).toEqual({ deleted: true, purged: true, entries: 4 });
    } finally {
      await second.close();
    }
  }, 60_000);
});
