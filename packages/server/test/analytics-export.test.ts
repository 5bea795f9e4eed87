import { createRoleTeam, type RoleTeam } from './factories';
import { type TestServer, startTestServer } from './harness';
import { FIXED_DATES_WINDOW, createKey, scalar, track } from './analytics-fixtures';

let server: TestServer;
let team: RoleTeam;
let editorKey: string;
let viewerKey: string;

const RANGE = { from: '2026-04-01T00:00:00Z', to: '2026-04-02T00:00:00Z' };
const TRICKY_NAME = 'say "hi", then\nbye';
const TRICKY_PROPERTIES = {
  path: 'C:\\temp\\new',
  quote: 'a "b" c',
  tab: 'x\ty',
  unicode: 'é ✓',
  nested: { list: [1, null, true] },
};

beforeAll(async () => {
  server = await startTestServer(FIXED_DATES_WINDOW);
  team = await createRoleTeam(server, 'Export Team');
  [editorKey, viewerKey] = await Promise.all([
    createKey(server, team.owner, team.teamId, 'EDITOR'),
    createKey(server, team.owner, team.teamId, 'VIEWER'),
  ]);
  await track(server, editorKey, {
    events: [
      {
        id: '00000000-0000-4000-8000-000000000001',
        sessionId: 's1',
        name: TRICKY_NAME,
        timestamp: '2026-04-01T10:00:00.123Z',
        userId: 'u,1',
        durationMs: 12.5,
        status: 'error',
        properties: TRICKY_PROPERTIES,
      },
      ...Array.from({ length: 249 }, (_, i) => ({
        sessionId: `s${i % 9}`,
        name: 'plain',
        type: 'tool_call',
        timestamp: new Date(Date.UTC(2026, 3, 1, 11, 0, i)).toISOString(),
      })),
      // Outside the range.
      { sessionId: 's1', name: 'later', timestamp: '2026-04-02T00:00:00Z' },
    ],
  });
});
afterAll(() => server.close());

function exportUrl(params: Record<string, string>): string {
  return `${server.url}/v1/export/events?${new URLSearchParams(params).toString()}`;
}

async function get(params: Record<string, string>, credential: string | null) {
  const headers: Record<string, string> = {};
  if (credential) headers.authorization = `Bearer ${credential}`;
  const response = await fetch(exportUrl(params), { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** RFC 4180: CRLF between records, quoted fields may hold anything, "" is a quote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else if (c === '\n') {
      throw new Error(`bare LF outside quotes at ${i}`);
    } else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('last record not ended by CRLF');
  return records;
}

describe('GET /v1/export/events', () => {
  it('CSV: a header, one RFC 4180 record per event in range, in time order, quoting intact', async () => {
    const res = await get({ ...RANGE, format: 'csv' }, editorKey);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="events-2026-04-01-2026-04-02.csv"');
    const records = parseCsv(res.text);
    expect(records[0]).toEqual([
      'id',
      'timestamp',
      'sessionId',
      'name',
      'type',
      'userId',
      'durationMs',
      'status',
      'properties',
    ]);
    expect(records).toHaveLength(1 + 250);
    expect(records[1]).toEqual([
      '00000000-0000-4000-8000-000000000001',
      '2026-04-01T10:00:00.123Z',
      's1',
      TRICKY_NAME,
      'custom',
      'u,1',
      '12.5',
      'error',
      expect.any(String),
    ]);
    expect(JSON.parse(records[1]?.[8] ?? '')).toEqual(TRICKY_PROPERTIES);
    expect(records[2]?.slice(3, 7)).toEqual(['plain', 'tool_call', '', '']);
    expect(records.slice(1).every((r) => r.length === 9)).toBe(true);
  });

  it('NDJSON: one JSON object per line that parses back to what was sent', async () => {
    const res = await get({ ...RANGE, format: 'ndjson' }, editorKey);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = res.text.split('\n');
    expect(lines.at(-1)).toBe('');
    const rows = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(250);
    expect(rows[0]).toEqual({
      id: '00000000-0000-4000-8000-000000000001',
      timestamp: '2026-04-01T10:00:00.123Z',
      sessionId: 's1',
      name: TRICKY_NAME,
      type: 'custom',
      userId: 'u,1',
      durationMs: 12.5,
      status: 'error',
      properties: TRICKY_PROPERTIES,
    });
    expect(rows[1]).toMatchObject({ name: 'plain', userId: null, durationMs: null, properties: null });
  });

  it('an EDITOR key exports its own workspace, with or without its id; another id is NOT_FOUND', async () => {
    expect((await get({ ...RANGE, workspaceId: team.teamId }, editorKey)).status).toBe(200);
    const other = await get({ ...RANGE, workspaceId: team.stranger.personalWorkspaceId }, editorKey);
    expect(other.status).toBe(404);
    expect(JSON.parse(other.text)).toMatchObject({ error: 'NOT_FOUND' });
    const unknown = await get({ ...RANGE, workspaceId: '00000000-0000-4000-8000-00000000dead' }, editorKey);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).message).toBe(JSON.parse(other.text).message);
  });

  it('a VIEWER key is FORBIDDEN; no credential is 401', async () => {
    const viewer = await get(RANGE, viewerKey);
    expect(viewer.status).toBe(403);
    expect(JSON.parse(viewer.text)).toMatchObject({ error: 'FORBIDDEN' });
    expect((await get(RANGE, null)).status).toBe(401);
  });

  it('people export with their token and the workspace id: OWNER, ADMIN, EDITOR yes; VIEWER 403; outsiders 404', async () => {
    for (const member of [team.owner, team.admin, team.editor]) {
      const res = await get({ ...RANGE, workspaceId: team.teamId, format: 'ndjson' }, member.accessToken);
      expect(res.status).toBe(200);
      expect(res.text.split('\n')).toHaveLength(251);
    }
    expect((await get({ ...RANGE, workspaceId: team.teamId }, team.viewer.accessToken)).status).toBe(403);
    expect((await get({ ...RANGE, workspaceId: team.teamId }, team.stranger.accessToken)).status).toBe(404);
    expect((await get({ ...RANGE, workspaceId: 'not-an-id' }, team.stranger.accessToken)).status).toBe(404);
    expect((await get(RANGE, team.owner.accessToken)).status).toBe(400);
  });

  it('checks the range and the format', async () => {
    expect((await get({ from: RANGE.to, to: RANGE.from }, editorKey)).status).toBe(400);
    expect((await get({ from: '2024-01-01T00:00:00Z', to: RANGE.to }, editorKey)).status).toBe(400);
    expect((await get({ ...RANGE, format: 'xml' }, editorKey)).status).toBe(400);
    expect((await get({ from: 'yesterday', to: RANGE.to }, editorKey)).status).toBe(400);
  });

  it('a client that goes away stops the query and frees its connection', async () => {
    // Enough rows that the export cannot finish before the client leaves.
    await server.tally.db.query(
      `INSERT INTO events (workspace_id, ts, id, session_id, name, type, properties)
       SELECT $1, timestamptz '2026-04-01T12:00:00Z' + g * interval '1 ms', gen_random_uuid(), 'bulk', 'bulk', 'custom',
              jsonb_build_object('pad', repeat('x', 200))
         FROM generate_series(1, 100000) AS g`,
      [team.teamId],
    );
    const controller = new AbortController();
    const response = await fetch(exportUrl({ ...RANGE, format: 'csv' }), {
      headers: { authorization: `Bearer ${editorKey}` },
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(first?.value?.length).toBeGreaterThan(0);
    const copying = () =>
      scalar(server, `SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY (%' AND state = 'active'`, []);
    expect(await copying()).toBe(1);
    controller.abort();
    const abortedAt = Date.now();
    const deadline = Date.now() + 5000;
    while ((await copying()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await copying()).toBe(0);
    expect(Date.now() - abortedAt).toBeLessThan(5000);
    // And exports work afterwards.
    expect((await get({ ...RANGE, format: 'ndjson' }, editorKey)).status).toBe(200);
  });
});

describe('GET /v1/export/events with a filter (the analytics queries’ filter and saved filters)', () => {
  const DAY = { from: '2026-04-03T00:00:00Z', to: '2026-04-04T00:00:00Z' };
  const id = (n: number) => `00000000-0000-4000-8000-0000000000f${n}`;
  let strangerSavedFilter: string;

  beforeAll(async () => {
    await track(server, editorKey, {
      events: [
        {
          id: id(1),
          sessionId: 'f-a',
          name: 'search',
          type: 'tool_call',
          userId: 'ada',
          properties: { plan: 'pro', q: 'Pricing PAGE' },
        },
        { id: id(2), sessionId: 'f-b', name: 'search', userId: 'bob', properties: { plan: 'free' } },
        { id: id(3), sessionId: 'f-a', name: 'search', userId: 'ada', properties: { plan: null } },
        { id: id(4), sessionId: 'f-a', name: 'open', userId: 'ada', properties: { plan: 'pro' } },
        { id: id(5), sessionId: 'f-c', name: 'search', userId: 'cy' },
      ].map((event, i) => ({ ...event, timestamp: `2026-04-03T10:0${i}:00.000Z` })),
    });
    const created = await server.gql<{ createSavedFilter: { id: string } }>(
      `mutation($w: ID!, $i: SavedFilterInput!) { createSavedFilter(workspaceId: $w, input: $i) { id } }`,
      { w: team.stranger.personalWorkspaceId, i: { name: 'ada elsewhere', filter: { userIds: ['ada'] } } },
      { token: team.stranger.accessToken },
    );
    const saved = created.data?.createSavedFilter.id;
    if (!saved) throw new Error(`createSavedFilter failed: ${JSON.stringify(created.errors)}`);
    strangerSavedFilter = saved;
  });

  async function exportedIds(params: Record<string, string>, credential = editorKey): Promise<string[]> {
    const res = await get({ ...DAY, format: 'ndjson', ...params }, credential);
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${res.text}`);
    return res.text
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { id: string }).id);
  }
  const filter = (value: unknown) => ({ filter: JSON.stringify(value) });

  it('without a filter: every event of the range', async () => {
    expect(await exportedIds({})).toEqual([1, 2, 3, 4, 5].map(id));
  });

  it.each<[string, unknown, number[]]>([
    ['names', { names: ['open'] }, [4]],
    ['types', { types: ['tool_call'] }, [1]],
    ['userIds', { userIds: ['ada', 'cy'] }, [1, 3, 4, 5]],
    ['EQ', { properties: [{ key: 'plan', op: 'EQ', value: 'pro' }] }, [1, 4]],
    [
      'NEQ (missing counts as different)',
      { names: ['search'], properties: [{ key: 'plan', op: 'NEQ', value: 'pro' }] },
      [2, 3, 5],
    ],
    ['CONTAINS, ignoring case', { properties: [{ key: 'q', op: 'CONTAINS', value: 'pricing page' }] }, [1]],
    ['EXISTS (even null)', { properties: [{ key: 'plan', op: 'EXISTS' }] }, [1, 2, 3, 4]],
    [
      'every part at once',
      { names: ['search'], userIds: ['ada'], properties: [{ key: 'plan', op: 'EQ', value: 'pro' }] },
      [1],
    ],
  ])('%s: exactly the matching rows', async (_kind, value, expected) => {
    expect(await exportedIds(filter(value))).toEqual(expected.map(id));
  });

  it('exports exactly what Activity lists for the same filter, as CSV too', async () => {
    const value = { names: ['search'], properties: [{ key: 'plan', op: 'NEQ', value: 'free' }] };
    const res = await server.gql<{ workspace: { analytics: { activity: { nodes: Array<{ id: string }> } } } }>(
      `query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput) {
        workspace(id: $w) { analytics(range: $range, filter: $filter) { activity(first: 100) { nodes { id } } } } }`,
      { w: team.teamId, range: DAY, filter: value },
      { token: team.viewer.accessToken },
    );
    const listed = (res.data?.workspace.analytics.activity.nodes ?? []).map((n) => n.id).reverse();
    expect(listed).toEqual([1, 3, 5].map(id));
    const csv = await get({ ...DAY, format: 'csv', ...filter(value) }, editorKey);
    expect(csv.status).toBe(200);
    const records = parseCsv(csv.text);
    expect(records.slice(1).map((r) => r[0])).toEqual(listed);
  });

  it('a saved filter of the workspace applies, alone and together with an ad-hoc one', async () => {
    const created = await server.gql<{ createSavedFilter: { id: string } }>(
      `mutation($w: ID!, $i: SavedFilterInput!) { createSavedFilter(workspaceId: $w, input: $i) { id } }`,
      { w: team.teamId, i: { name: 'ada searches', filter: { names: ['search'], userIds: ['ada'] } } },
      { token: team.editor.accessToken },
    );
    const savedFilterId = created.data?.createSavedFilter.id ?? '';
    expect(await exportedIds({ savedFilterId })).toEqual([1, 3].map(id));
    const both = { savedFilterId, ...filter({ properties: [{ key: 'plan', op: 'EQ', value: 'pro' }] }) };
    expect(await exportedIds(both)).toEqual([id(1)]);
    // A person's token, with the workspace named, gets the same rows.
    expect(await exportedIds({ ...both, workspaceId: team.teamId }, team.editor.accessToken)).toEqual([id(1)]);
  });

  it("another workspace's saved filter is NOT_FOUND, like an unknown one", async () => {
    const other = await get({ ...DAY, savedFilterId: strangerSavedFilter }, editorKey);
    expect(other.status).toBe(404);
    expect(JSON.parse(other.text)).toEqual({ error: 'NOT_FOUND', message: 'Saved filter not found.' });
    for (const unknown of ['00000000-0000-4000-8000-00000000beef', 'not-an-id']) {
      const res = await get({ ...DAY, savedFilterId: unknown }, editorKey);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text)).toEqual(JSON.parse(other.text));
    }
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{names: [search]}', /not JSON/],
    ['a list that is a string', JSON.stringify({ names: 'search' }), /at names: .*array/i],
    ['an unknown field', JSON.stringify({ name: ['search'] }), /name/],
    [
      'an unknown operator',
      JSON.stringify({ properties: [{ key: 'plan', op: 'LIKE', value: 'p' }] }),
      /properties\.0\.op/,
    ],
    [
      'EQ without a value',
      JSON.stringify({ properties: [{ key: 'plan', op: 'EQ' }] }),
      /EQ condition on "plan" needs a value/,
    ],
    ['an empty key', JSON.stringify({ properties: [{ key: ' ', op: 'EXISTS' }] }), /key of 1 to 200/],
    [
      'too many conditions',
      JSON.stringify({ properties: Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, op: 'EXISTS' })) }),
      /at most 10 property conditions/,
    ],
    [
      'a value too long',
      JSON.stringify({ properties: [{ key: 'q', op: 'EQ', value: 'x'.repeat(1001) }] }),
      /at most 1000/,
    ],
  ])('a bad filter (%s) is 400 BAD_USER_INPUT naming the problem', async (_kind, text, message) => {
    const res = await get({ ...DAY, filter: text }, editorKey);
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text) as { error: string; message: string; field: string };
    expect(body).toMatchObject({ error: 'BAD_USER_INPUT', field: expect.stringMatching(/^(filter|properties)$/) });
    expect(body.message).toMatch(message);
  });

  it('filter values are data, never SQL', async () => {
    const value = { properties: [{ key: "plan') OR TRUE OR ('", op: 'EQ', value: "pro' OR '1'='1" }] };
    expect(await exportedIds(filter(value))).toEqual([]);
    expect(await exportedIds(filter({ names: ["search'); DROP TABLE events; --"] }))).toEqual([]);
    expect(await exportedIds({})).toHaveLength(5);
  });

  it('access is checked before the filter: a VIEWER key is 403, an outsider 404, whatever the filter', async () => {
    expect((await get({ ...DAY, filter: 'nonsense' }, viewerKey)).status).toBe(403);
    const outsider = await get({ ...DAY, workspaceId: team.teamId, filter: 'nonsense' }, team.stranger.accessToken);
    expect(outsider.status).toBe(404);
    expect(JSON.parse(outsider.text)).toMatchObject({ error: 'NOT_FOUND', message: 'Workspace not found.' });
  });
});
