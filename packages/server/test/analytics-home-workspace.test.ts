import { track } from './analytics-fixtures';
import { createKeySecret, createTeamWithMembers, createUser } from './factories';
import { type TestServer, codeOf, startTestServer } from './harness';

/**
 * Where the dashboard opens after log-in (homeWorkspace) and Getting started's "events arrived"
 * (Workspace.lastEventAt): both read the event store, so this runs on every engine
 * (the server-clickhouse project runs analytics-*.test.ts again on ClickHouse).
 */
const LOG_IN = `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }`;
const HOME = `{ homeWorkspace { id kind name viewerRole } }`;
const REMEMBER = `mutation($w: ID!) { rememberWorkspace(workspaceId: $w) }`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function secondSession(email: string, password: string): Promise<{ token: string }> {
  const res = await server.gql<{ logIn: { accessToken: string } }>(LOG_IN, { e: email, p: password });
  const token = res.data?.logIn.accessToken;
  if (!token) throw new Error(`log-in failed: ${JSON.stringify(res.errors)}`);
  return { token };
}

describe('where the dashboard opens', () => {
  it('opens the last workspace used, else the first team with events, else the personal one', async () => {
    const user = await createUser(server);
    const owner = await createUser(server);
    const home = async () =>
      (await server.gql<{ homeWorkspace: { id: string } }>(HOME, {}, { token: user.accessToken })).data?.homeWorkspace
        .id;
    expect(await home()).toBe(user.personalWorkspaceId);

    const quiet = await createTeamWithMembers(server, 'Aaa Quiet', [
      { user: owner, role: 'OWNER' },
      { user, role: 'VIEWER' },
    ]);
    const busy = await createTeamWithMembers(server, 'Bbb Busy', [
      { user: owner, role: 'OWNER' },
      { user, role: 'VIEWER' },
    ]);
    expect(await home()).toBe(user.personalWorkspaceId);
    const key = await createKeySecret(server, owner, busy, 'EDITOR');
    await track(server, key, { events: [{ sessionId: 's1', name: 'signup' }] });
    expect(await home()).toBe(busy);
    // Getting started's "events arrived": the newest event's time, null where none came.
    const LAST_EVENT = `query($w: ID!) { workspace(id: $w) { lastEventAt } }`;
    const busyLast = await server.gql<{ workspace: { lastEventAt: string | null } }>(
      LAST_EVENT,
      { w: busy },
      {
        token: user.accessToken,
      },
    );
    expect(Date.now() - Date.parse(busyLast.data?.workspace.lastEventAt ?? '')).toBeLessThan(60_000);
    const quietLast = await server.gql(LAST_EVENT, { w: quiet }, { token: user.accessToken });
    expect(quietLast.data).toEqual({ workspace: { lastEventAt: null } });

    // Remembered on the server: any browser of this user opens it.
    expect((await server.gql(REMEMBER, { w: quiet }, { token: user.accessToken })).data).toEqual({
      rememberWorkspace: true,
    });
    const viaOtherLogin = await secondSession(user.email, user.password);
    const answer = await server.gql<{ homeWorkspace: { id: string; viewerRole: string } }>(
      HOME,
      {},
      {
        token: viaOtherLogin.token,
      },
    );
    expect(answer.data?.homeWorkspace).toMatchObject({ id: quiet, viewerRole: 'VIEWER' });

    // A workspace the user left is not opened any more.
    await server.tally.db.query(`DELETE FROM members WHERE workspace_id = $1 AND user_id = $2`, [quiet, user.id]);
    expect(await home()).toBe(busy);
  });

  it('remembers only a workspace of the caller’s', async () => {
    const user = await createUser(server);
    const stranger = await createUser(server);
    const res = await server.gql(REMEMBER, { w: stranger.personalWorkspaceId }, { token: user.accessToken });
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect(codeOf(await server.gql(REMEMBER, { w: 'nope' }, { token: user.accessToken }))).toBe('NOT_FOUND');
    const home = await server.gql<{ homeWorkspace: { id: string } }>(HOME, {}, { token: user.accessToken });
    expect(home.data?.homeWorkspace.id).toBe(user.personalWorkspaceId);
  });
});
