import { randomUUID } from 'node:crypto';
import { postEvents, storedEvents, track } from './analytics-fixtures';
import { type Fingerprint, fingerprint } from './db-fingerprint';
import {
  type RoleTeam,
  type TestUser,
  createRoleTeam,
  createTeamWithMembers,
  createUser,
  createKeySecret,
} from './factories';
import { type GqlResponse, type TestServer, startTestServer } from './harness';

/**
 * Issue 11, item 2: every operation and endpoint that takes an id, tried with ids of another
 * workspace (which exist) and with random and malformed ids (which do not): the answer is the
 * same NOT_FOUND, code and message, for both — so nobody learns that the foreign id exists —
 * with no data and nothing changed.
 */

let server: TestServer;
let a: RoleTeam;
let keyA = '';
/** Team B and what lives in it, all reachable only by B's people. */
let ownerB: TestUser;
let teamB = '';
const b = { key: '', invitation: '', member: '', filter: '', annotation: '', session: 'only-in-b' };
let eventsInB = 0;

const RANGE = {
  from: new Date(Date.now() - 86_400_000).toISOString(),
  to: new Date(Date.now() + 86_400_000).toISOString(),
};

async function as<T>(user: TestUser, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await server.gql<T>(query, variables, { token: user.accessToken });
  if (!res.data) throw new Error(`fixture failed: ${JSON.stringify(res.errors)}`);
  return res.data;
}

beforeAll(async () => {
  server = await startTestServer();
  [a, ownerB] = await Promise.all([createRoleTeam(server, 'Team A'), createUser(server)]);
  const memberB = await createUser(server);
  b.member = memberB.id;
  teamB = await createTeamWithMembers(server, 'Team B', [
    { user: ownerB, role: 'OWNER' },
    { user: memberB, role: 'VIEWER' },
  ]);
  keyA = await createKeySecret(server, a.owner, a.teamId, 'ADMIN');
  const keyB = await createKeySecret(server, ownerB, teamB, 'EDITOR');
  await track(server, keyB, { events: [{ sessionId: b.session, name: 'secret_b' }] });
  await track(server, keyA, { events: [{ sessionId: 'in-a', name: 'visible_a' }] });
  eventsInB = (await storedEvents(server, teamB)).length;

  const keys = await as<{ workspace: { apiKeys: Array<{ id: string }> } }>(
    ownerB,
    `query($w: ID) { workspace(id: $w) { apiKeys { id } } }`,
    { w: teamB },
  );
  b.key = keys.workspace.apiKeys[0]?.id ?? '';
  const invited = await as<{ inviteMember: { id: string } }>(
    ownerB,
    `mutation($w: ID!) { inviteMember(workspaceId: $w, email: "someone-b@example.test", role: VIEWER) { id } }`,
    { w: teamB },
  );
  b.invitation = invited.inviteMember.id;
  const filter = await as<{ createSavedFilter: { id: string } }>(
    ownerB,
    `mutation($w: ID!) { createSavedFilter(workspaceId: $w, input: { name: "B only", filter: { names: ["secret_b"] } }) { id } }`,
    { w: teamB },
  );
  b.filter = filter.createSavedFilter.id;
  const note = await as<{ createAnnotation: { id: string } }>(
    ownerB,
    `mutation($w: ID!, $at: DateTime!) { createAnnotation(workspaceId: $w, input: { at: $at, text: "B only" }) { id } }`,
    { w: teamB, at: new Date().toISOString() },
  );
  b.annotation = note.createAnnotation.id;
});
afterAll(() => server.close());

/** What a refusal tells the caller: everything but where in the document it happened. */
function told(res: GqlResponse): unknown {
  return {
    status: res.status,
    data: res.data,
    errors: res.errors?.map((e) => ({ message: e.message, extensions: e.extensions })),
  };
}

function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  return Object.keys(before).filter((table) => before[table] !== after[table]);
}

interface Attempt {
  name: string;
  query: string;
  /** Variables with the id under test in `$id` (or `$w` for a workspace id). */
  variables: (id: string) => Record<string, unknown>;
  /** The ids that must answer the same as an unknown one. */
  foreign: () => string[];
}

const RANDOM_IDS = () => [randomUUID(), 'not-a-uuid'];

/**
 * Runs every attempt with each foreign id and each unknown id, as `credential`: each answer must
 * be NOT_FOUND, with null data, and the foreign ids' answers must equal the unknown ones'.
 */
async function sweep(credential: string, attempts: Attempt[]): Promise<string[]> {
  const problems: string[] = [];
  for (const attempt of attempts) {
    const before = await fingerprint(server);
    const unknown = await Promise.all(
      RANDOM_IDS().map((id) => server.gql(attempt.query, attempt.variables(id), { token: credential })),
    );
    const [first] = unknown;
    if (!first) continue;
    const reference = told(first);
    for (const res of unknown) {
      if (res.errors?.[0]?.extensions?.['code'] !== 'NOT_FOUND') {
        problems.push(`${attempt.name} with an unknown id: ${JSON.stringify(told(res))}`);
      }
      if (JSON.stringify(told(res)) !== JSON.stringify(reference)) {
        problems.push(`${attempt.name}: a malformed id answers differently from a random one`);
      }
    }
    for (const id of attempt.foreign()) {
      const res = await server.gql(attempt.query, attempt.variables(id), { token: credential });
      if (JSON.stringify(told(res)) !== JSON.stringify(reference)) {
        problems.push(
          `${attempt.name} with ${id}: ${JSON.stringify(told(res))}, unknown ids get ${JSON.stringify(reference)}`,
        );
      }
    }
    const changed = changedTables(before, await fingerprint(server));
    if (changed.length) problems.push(`${attempt.name}: changed ${changed.join(', ')}`);
  }
  return problems;
}

const FOREIGN_WORKSPACES = () => [teamB, ownerB.personalWorkspaceId];

/** Every operation that names a workspace, with that workspace under test in `$w`. */
function workspaceAttempts(forKeys: boolean): Attempt[] {
  const w =
    (extra: Record<string, unknown> = {}) =>
    (id: string) => ({ w: id, ...extra });
  const list: Array<[string, string, (id: string) => Record<string, unknown>]> = [
    ['workspace(id)', `query($w: ID) { workspace(id: $w) { id name } }`, w()],
    [
      'createApiKey',
      `mutation($w: ID!) { createApiKey(workspaceId: $w, input: { name: "x", role: ADMIN }) { secret } }`,
      w(),
    ],
    ['revokeApiKey', `mutation($w: ID!, $k: ID!) { revokeApiKey(workspaceId: $w, apiKeyId: $k) { id } }`, w()],
    [
      'inviteMember',
      `mutation($w: ID!) { inviteMember(workspaceId: $w, email: "new@example.test", role: VIEWER) { id } }`,
      w(),
    ],
    [
      'resendInvitation',
      `mutation($w: ID!, $i: ID!) { resendInvitation(workspaceId: $w, invitationId: $i) { id } }`,
      w(),
    ],
    [
      'revokeInvitation',
      `mutation($w: ID!, $i: ID!) { revokeInvitation(workspaceId: $w, invitationId: $i) { id } }`,
      w(),
    ],
    [
      'changeMemberRole',
      `mutation($w: ID!, $u: ID!) { changeMemberRole(workspaceId: $w, userId: $u, role: OWNER) { role } }`,
      w(),
    ],
    ['removeMember', `mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }`, w()],
    ['deleteTeam', `mutation($w: ID!) { deleteTeam(workspaceId: $w, confirmName: "Team B") }`, w()],
    ['renameWorkspace', `mutation($w: ID!) { renameWorkspace(workspaceId: $w, name: "Taken") { id } }`, w()],
    [
      'createSavedFilter',
      `mutation($w: ID!) { createSavedFilter(workspaceId: $w, input: { name: "x", filter: { names: ["x"] } }) { id } }`,
      w(),
    ],
    [
      'updateSavedFilter',
      `mutation($w: ID!, $f: ID!) { updateSavedFilter(workspaceId: $w, savedFilterId: $f, input: { name: "x", filter: { names: ["x"] } }) { id } }`,
      w(),
    ],
    ['deleteSavedFilter', `mutation($w: ID!, $f: ID!) { deleteSavedFilter(workspaceId: $w, savedFilterId: $f) }`, w()],
    [
      'createAnnotation',
      `mutation($w: ID!, $at: DateTime!) { createAnnotation(workspaceId: $w, input: { at: $at, text: "x" }) { id } }`,
      w(),
    ],
    [
      'updateAnnotation',
      `mutation($w: ID!, $n: ID!, $at: DateTime!) { updateAnnotation(workspaceId: $w, annotationId: $n, input: { at: $at, text: "x" }) { id } }`,
      w(),
    ],
    ['deleteAnnotation', `mutation($w: ID!, $n: ID!) { deleteAnnotation(workspaceId: $w, annotationId: $n) }`, w()],
  ];
  // People only: an API key is FORBIDDEN here whatever the id (the permission matrix shows it).
  if (!forKeys) list.push(['leaveTeam', `mutation($w: ID!) { leaveTeam(workspaceId: $w) }`, w()]);
  return list.map(([name, query, variables]): Attempt => ({
    name,
    query,
    // B's own objects go along, so a check of the object alone would not pass either; only
    // the variables the operation declares are sent.
    variables: (id: string) =>
      pick(
        { ...variables(id), k: b.key, i: b.invitation, u: b.member, f: b.filter, n: b.annotation, at: RANGE.from },
        query,
      ),
    foreign: FOREIGN_WORKSPACES,
  }));
}

/** Operations in the caller's own workspace naming another workspace's object, in `$id`. */
function objectAttempts(forKeys: boolean): Attempt[] {
  const own = () => a.teamId;
  const list: Attempt[] = [
    {
      name: 'updateSavedFilter',
      query: `mutation($w: ID!, $id: ID!) { updateSavedFilter(workspaceId: $w, savedFilterId: $id, input: { name: "stolen", filter: { names: ["x"] } }) { id name } }`,
      variables: (id) => ({ w: own(), id }),
      foreign: () => [b.filter],
    },
    {
      name: 'deleteSavedFilter',
      query: `mutation($w: ID!, $id: ID!) { deleteSavedFilter(workspaceId: $w, savedFilterId: $id) }`,
      variables: (id) => ({ w: own(), id }),
      foreign: () => [b.filter],
    },
    {
      name: 'updateAnnotation',
      query: `mutation($w: ID!, $id: ID!, $at: DateTime!) { updateAnnotation(workspaceId: $w, annotationId: $id, input: { at: $at, text: "stolen" }) { id text } }`,
      variables: (id) => ({ w: own(), id, at: RANGE.from }),
      foreign: () => [b.annotation],
    },
    {
      name: 'deleteAnnotation',
      query: `mutation($w: ID!, $id: ID!) { deleteAnnotation(workspaceId: $w, annotationId: $id) }`,
      variables: (id) => ({ w: own(), id }),
      foreign: () => [b.annotation],
    },
    {
      name: 'analytics(savedFilterId)',
      query: `query($w: ID, $id: ID, $r: DateRangeInput!) { workspace(id: $w) { analytics(range: $r, savedFilterId: $id) { overview { events } } } }`,
      variables: (id) => ({ w: own(), id, r: RANGE }),
      foreign: () => [b.filter],
    },
  ];
  if (forKeys) return list;
  return [
    ...list,
    {
      name: 'revokeApiKey',
      query: `mutation($w: ID!, $id: ID!) { revokeApiKey(workspaceId: $w, apiKeyId: $id) { id status } }`,
      variables: (id) => ({ w: own(), id }),
      foreign: () => [b.key],
    },
    {
      name: 'resendInvitation',
      query: `mutation($w: ID!, $id: ID!) { resendInvitation(workspaceId: $w, invitationId: $id) { id } }`,
      variables: (id) => ({ w: own(), id }),
      foreign: () => [b.invitation],
    },
    {
      name: 'revokeInvitation',
      query: `mutation($w: ID!, $id: ID!) { revokeInvitation(workspaceId: $w, invitationId: $id) { id } }`,
      variables: (id) => ({ w: own(), id }),
      foreign: () => [b.invitation],
    },
    {
      name: 'changeMemberRole',
      query: `mutation($w: ID!, $id: ID!) { changeMemberRole(workspaceId: $w, userId: $id, role: EDITOR) { role } }`,
      variables: (id) => ({ w: own(), id }),
      foreign: () => [b.member, ownerB.id],
    },
    {
      name: 'removeMember',
      query: `mutation($w: ID!, $id: ID!) { removeMember(workspaceId: $w, userId: $id) }`,
      variables: (id) => ({ w: own(), id }),
      foreign: () => [b.member, ownerB.id],
    },
  ];
}

/** Keeps the variables the document declares (`$name:`). */
function pick(variables: Record<string, unknown>, query: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(variables).filter(([name]) => query.includes(`$${name}:`)));
}

describe('tenant isolation', () => {
  it('operations naming another workspace answer as for an unknown one, and change nothing (a member)', async () => {
    expect(await sweep(a.owner.accessToken, workspaceAttempts(false))).toEqual([]);
  });

  it('operations naming another workspace answer as for an unknown one, and change nothing (an API key)', async () => {
    expect(await sweep(keyA, workspaceAttempts(true))).toEqual([]);
  });

  it("another workspace's key, invitation, member, saved filter and annotation are unknown in one's own", async () => {
    expect(await sweep(a.owner.accessToken, objectAttempts(false))).toEqual([]);
    expect(await sweep(keyA, objectAttempts(true))).toEqual([]);
  });

  it("another workspace's session is as absent as an unknown one", async () => {
    const query = `query($w: ID, $r: DateRangeInput!, $id: ID!) {
      workspace(id: $w) { analytics(range: $r) { session(id: $id) { id eventCount events { nodes { name } } } } }
    }`;
    for (const token of [a.owner.accessToken, keyA]) {
      const answers = await Promise.all(
        [b.session, 'never-sent', randomUUID()].map((id) =>
          server.gql(query, { w: a.teamId, r: RANGE, id }, { token }).then(told),
        ),
      );
      const absent = { status: 200, data: { workspace: { analytics: { session: null } } }, errors: undefined };
      expect(answers).toEqual([absent, absent, absent]);
    }
    // And B's own owner does see it: the id is real.
    const owner = await server.gql<{ workspace: { analytics: { session: { id: string } | null } } }>(
      query,
      { w: teamB, r: RANGE, id: b.session },
      { token: ownerB.accessToken },
    );
    expect(owner.data?.workspace.analytics.session?.id).toBe(b.session);
  });

  it("GET /v1/export/events with another workspace's workspaceId is 404, as for an unknown one, with none of its data", async () => {
    const exportAs = async (credential: string, workspaceId: string) => {
      const params = new URLSearchParams({ workspaceId, from: RANGE.from, to: RANGE.to, format: 'ndjson' });
      const response = await fetch(`${server.url}/v1/export/events?${params.toString()}`, {
        headers: { authorization: `Bearer ${credential}` },
      });
      return { status: response.status, body: await response.text() };
    };
    for (const credential of [a.owner.accessToken, keyA]) {
      const unknown = await exportAs(credential, randomUUID());
      expect(unknown.status).toBe(404);
      expect(JSON.parse(unknown.body)).toMatchObject({ error: 'NOT_FOUND' });
      for (const id of [...FOREIGN_WORKSPACES(), 'not-a-uuid']) {
        const answer = await exportAs(credential, id);
        expect({ id, ...answer }).toEqual({ id, ...unknown });
      }
      // The caller's own export works, and holds only its own workspace's events.
      const own = await exportAs(credential, a.teamId);
      expect(own.status).toBe(200);
      expect(own.body).toContain('visible_a');
      expect(own.body).not.toContain('secret_b');
    }
    // B's owner is refused A's workspace the same way.
    expect((await exportAs(ownerB.accessToken, a.teamId)).status).toBe(404);
  });

  it('POST /v1/events never takes a workspace from the body', async () => {
    const before = await fingerprint(server);
    const event = { sessionId: 'smuggled', name: 'smuggled' };
    for (const body of [
      { workspaceId: teamB, events: [event] },
      { events: [{ ...event, workspaceId: teamB }] },
      { events: [event], sessions: [{ id: 'smuggled', workspaceId: teamB }] },
    ]) {
      const res = await postEvents(server, keyA, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect(changedTables(before, await fingerprint(server))).toEqual([]);

    // A plain batch lands in the key's workspace, whatever workspace another id names.
    await track(server, keyA, { events: [event] });
    const count = async (w: string) =>
      (await storedEvents(server, w)).filter((stored) => stored.name === 'smuggled').length;
    expect({ a: await count(a.teamId), b: await count(teamB) }).toEqual({ a: 1, b: 0 });
    expect(await storedEvents(server, teamB)).toHaveLength(eventsInB);
  });
});
