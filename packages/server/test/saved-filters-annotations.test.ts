import { createRoleTeam, type RoleTeam, createKey } from './factories';
import { type TestServer, codeOf, startTestServer } from './harness';

const CREATE_FILTER = `mutation($w: ID!, $i: SavedFilterInput!) {
  createSavedFilter(workspaceId: $w, input: $i) { id name filter createdBy { id } createdAt updatedAt }
}`;
const UPDATE_FILTER = `mutation($w: ID!, $f: ID!, $i: SavedFilterInput!) {
  updateSavedFilter(workspaceId: $w, savedFilterId: $f, input: $i) { id name filter }
}`;
const DELETE_FILTER = `mutation($w: ID!, $f: ID!) { deleteSavedFilter(workspaceId: $w, savedFilterId: $f) }`;
const FILTERS = `query($id: ID) { workspace(id: $id) { savedFilters { id name filter } } }`;
const CREATE_NOTE = `mutation($w: ID!, $i: AnnotationInput!) {
  createAnnotation(workspaceId: $w, input: $i) { id at text createdBy { id } }
}`;
const UPDATE_NOTE = `mutation($w: ID!, $a: ID!, $i: AnnotationInput!) {
  updateAnnotation(workspaceId: $w, annotationId: $a, input: $i) { id at text }
}`;
const DELETE_NOTE = `mutation($w: ID!, $a: ID!) { deleteAnnotation(workspaceId: $w, annotationId: $a) }`;
const NOTES = `query($id: ID, $r: DateRangeInput) { workspace(id: $id) { annotations(range: $r) { id at text } } }`;

let server: TestServer;
let cast: RoleTeam;
const keys: Record<'ADMIN' | 'EDITOR' | 'VIEWER', string> = { ADMIN: '', EDITOR: '', VIEWER: '' };

beforeAll(async () => {
  server = await startTestServer();
  cast = await createRoleTeam(server, 'Filter Team');
  for (const role of ['ADMIN', 'EDITOR', 'VIEWER'] as const) {
    keys[role] = (await createKey(server, cast.owner, cast.teamId, { name: 'K', role })).secret;
  }
});
afterAll(() => server.close());

async function auditActions(): Promise<string[]> {
  const rows: Array<{ action: string }> = await server.tally.db.query(
    `SELECT action FROM audit_entries WHERE workspace_id = $1 AND action LIKE ANY (ARRAY['saved_filter.%', 'annotation.%'])
      ORDER BY at, id`,
    [cast.teamId],
  );
  return rows.map((r) => r.action);
}

describe('saved filters', () => {
  it('are created normalised, updated, listed and deleted by those with filters.manage; each change audited', async () => {
    const created = await server.gql<{ createSavedFilter: { id: string; name: string; filter: unknown } }>(
      CREATE_FILTER,
      {
        w: cast.teamId,
        i: {
          name: '  Checkout errors ',
          filter: {
            names: [' checkout ', 'checkout', ''],
            types: ['tool_call'],
            properties: [
              { key: 'plan', op: 'EQ', value: 'pro' },
              { key: 'beta', op: 'EXISTS' },
            ],
          },
        },
      },
      { token: cast.editor.accessToken },
    );
    expect(created.errors).toBeUndefined();
    const filter = created.data?.createSavedFilter;
    expect(filter?.name).toBe('Checkout errors');
    expect(filter?.filter).toEqual({
      names: ['checkout'],
      types: ['tool_call'],
      properties: [
        { key: 'plan', op: 'EQ', value: 'pro' },
        { key: 'beta', op: 'EXISTS' },
      ],
    });
    const id = filter?.id ?? '';
    expect(await server.tally.services.savedFilters.findFilter(cast.teamId, id)).toEqual(filter?.filter);

    const updated = await server.gql<{ updateSavedFilter: { name: string; filter: unknown } }>(
      UPDATE_FILTER,
      { w: cast.teamId, f: id, i: { name: 'Checkout', filter: { userIds: ['u1'] } } },
      { token: keys.EDITOR },
    );
    expect(updated.data?.updateSavedFilter).toEqual({ id, name: 'Checkout', filter: { userIds: ['u1'] } });

    const listed = await server.gql<{ workspace: { savedFilters: Array<{ id: string }> } }>(
      FILTERS,
      { id: cast.teamId },
      { token: cast.viewer.accessToken },
    );
    expect(listed.data?.workspace.savedFilters.map((f) => f.id)).toEqual([id]);
    const byKey = await server.gql<{ workspace: { savedFilters: Array<{ id: string }> } }>(
      `{ workspace { savedFilters { id } } }`,
      {},
      { token: keys.VIEWER },
    );
    expect(byKey.data?.workspace.savedFilters.map((f) => f.id)).toEqual([id]);

    const deleted = await server.gql(DELETE_FILTER, { w: cast.teamId, f: id }, { token: cast.admin.accessToken });
    expect(deleted.data).toEqual({ deleteSavedFilter: true });
    expect(await auditActions()).toEqual(['saved_filter.created', 'saved_filter.updated', 'saved_filter.deleted']);
    const entries: Array<{ actor_name: string | null; actor_api_key_id: string | null }> = await server.tally.db.query(
      `SELECT actor_name, actor_api_key_id FROM audit_entries WHERE workspace_id = $1 AND action = 'saved_filter.updated'`,
      [cast.teamId],
    );
    expect(entries[0]?.actor_api_key_id).not.toBeNull();
    expect(entries[0]?.actor_name).toBe('K');
  });

  it('refuses without filters.manage, bad filters and a duplicate name, changing nothing', async () => {
    const input = { name: 'Only mine', filter: { names: ['a'] } };
    expect(
      codeOf(await server.gql(CREATE_FILTER, { w: cast.teamId, i: input }, { token: cast.viewer.accessToken })),
    ).toBe('FORBIDDEN');
    expect(codeOf(await server.gql(CREATE_FILTER, { w: cast.teamId, i: input }, { token: keys.VIEWER }))).toBe(
      'FORBIDDEN',
    );
    expect(
      codeOf(await server.gql(CREATE_FILTER, { w: cast.teamId, i: input }, { token: cast.stranger.accessToken })),
    ).toBe('NOT_FOUND');
    const noValue = { name: 'Broken', filter: { properties: [{ key: 'plan', op: 'EQ' }] } };
    expect(
      codeOf(await server.gql(CREATE_FILTER, { w: cast.teamId, i: noValue }, { token: cast.owner.accessToken })),
    ).toBe('BAD_USER_INPUT');
    const tooMany = { name: 'Huge', filter: { names: Array.from({ length: 51 }, (_, i) => `n${i}`) } };
    expect(
      codeOf(await server.gql(CREATE_FILTER, { w: cast.teamId, i: tooMany }, { token: cast.owner.accessToken })),
    ).toBe('BAD_USER_INPUT');
    const first = await server.gql(CREATE_FILTER, { w: cast.teamId, i: input }, { token: cast.owner.accessToken });
    expect(first.errors).toBeUndefined();
    const again = await server.gql(
      CREATE_FILTER,
      { w: cast.teamId, i: { ...input, name: 'ONLY MINE' } },
      { token: cast.owner.accessToken },
    );
    expect(codeOf(again)).toBe('CONFLICT');
    const rows: Array<{ n: number }> = await server.tally.db.query(
      `SELECT count(*)::int AS n FROM saved_filters WHERE workspace_id = $1`,
      [cast.teamId],
    );
    expect(rows[0]?.n).toBe(1);
    // Another workspace's filter id is simply not found.
    const other = await createRoleTeam(server, 'Other Team');
    const theirs = await server.gql<{ createSavedFilter: { id: string } }>(
      CREATE_FILTER,
      { w: other.teamId, i: { name: 'Theirs', filter: {} } },
      { token: other.owner.accessToken },
    );
    const foreign = await server.gql(
      DELETE_FILTER,
      { w: cast.teamId, f: theirs.data?.createSavedFilter.id },
      { token: cast.owner.accessToken },
    );
    expect(codeOf(foreign)).toBe('NOT_FOUND');
  });
});

describe('annotations', () => {
  it('are created, listed by range, updated and deleted by those with annotations.manage; each change audited', async () => {
    const at = '2026-11-01T12:00:00.000Z';
    const created = await server.gql<{
      createAnnotation: { id: string; at: string; text: string; createdBy: { id: string } };
    }>(CREATE_NOTE, { w: cast.teamId, i: { at, text: ' v2.3 released ' } }, { token: cast.editor.accessToken });
    expect(created.data?.createAnnotation).toEqual(
      expect.objectContaining({ at, text: 'v2.3 released', createdBy: { id: cast.editor.id } }),
    );
    const id = created.data?.createAnnotation.id ?? '';
    const inRange = await server.gql<{ workspace: { annotations: Array<{ id: string }> } }>(
      NOTES,
      { id: cast.teamId, r: { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' } },
      { token: cast.viewer.accessToken },
    );
    expect(inRange.data?.workspace.annotations.map((a) => a.id)).toEqual([id]);
    const outside = await server.gql<{ workspace: { annotations: unknown[] } }>(
      NOTES,
      { id: cast.teamId, r: { from: '2026-11-02T00:00:00Z', to: '2026-11-03T00:00:00Z' } },
      { token: cast.viewer.accessToken },
    );
    expect(outside.data?.workspace.annotations).toEqual([]);
    const backwards = await server.gql(
      NOTES,
      { id: cast.teamId, r: { from: '2026-11-03T00:00:00Z', to: '2026-11-02T00:00:00Z' } },
      { token: cast.viewer.accessToken },
    );
    expect(codeOf(backwards)).toBe('BAD_USER_INPUT');

    const updated = await server.gql<{ updateAnnotation: { text: string } }>(
      UPDATE_NOTE,
      { w: cast.teamId, a: id, i: { at, text: 'v2.3.1 released' } },
      { token: keys.ADMIN },
    );
    expect(updated.data?.updateAnnotation.text).toBe('v2.3.1 released');
    expect(codeOf(await server.gql(DELETE_NOTE, { w: cast.teamId, a: id }, { token: cast.viewer.accessToken }))).toBe(
      'FORBIDDEN',
    );
    expect(
      codeOf(
        await server.gql(
          UPDATE_NOTE,
          { w: cast.teamId, a: id, i: { at, text: '  ' } },
          { token: cast.owner.accessToken },
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    expect((await server.gql(DELETE_NOTE, { w: cast.teamId, a: id }, { token: cast.owner.accessToken })).data).toEqual({
      deleteAnnotation: true,
    });
    expect(codeOf(await server.gql(DELETE_NOTE, { w: cast.teamId, a: id }, { token: cast.owner.accessToken }))).toBe(
      'NOT_FOUND',
    );
    expect((await auditActions()).filter((a) => a.startsWith('annotation.'))).toEqual([
      'annotation.created',
      'annotation.updated',
      'annotation.deleted',
    ]);
  });
});
