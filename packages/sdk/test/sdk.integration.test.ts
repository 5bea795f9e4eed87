import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { createKeySecret, createRoleTeam, type RoleTeam } from '@tally/server-test/factories';
import { type TestServer, startSibling, startTestServer, waitFor } from '@tally/server-test/harness';
import {
  type ExportedEvent,
  type SessionSummary,
  type Tally,
  type TallyError,
  type TallyOptions,
  createReporter,
  createTally,
} from '../src';

/**
 * The SDK against a real Tally (Fastify, PostgreSQL): what it sends lands in the key's workspace
 * exactly once, also when Tally stops in the middle and comes back on the same port, and when
 * answers are lost after Tally committed; the reporting half reads it back.
 */

let server: TestServer;
let team: RoleTeam;
let editorKey: string;
let viewerKey: string;
const clients: Tally[] = [];

/** Fast retries for tests: Tally's own bounds are far above these. */
const FAST = { flushIntervalMs: 50, minBackoffMs: 20, maxBackoffMs: 200, maxRetries: 10_000 } as const;

function range() {
  return { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) };
}

function sdk(url: string, key: string, errors: TallyError[], options: Partial<TallyOptions> = {}): Tally {
  const tally = createTally({ key, url, ...FAST, ...options, onError: (error) => errors.push(error) });
  clients.push(tally);
  return tally;
}

async function exported(key: string, name: string): Promise<ExportedEvent[]> {
  const events: ExportedEvent[] = [];
  for await (const event of createReporter({ url: server.url, key }).exportEvents({
    ...range(),
    filter: { names: [name] },
  })) {
    events.push(event);
  }
  return events;
}

beforeAll(async () => {
  server = await startTestServer();
  team = await createRoleTeam(server, 'SDK Team');
  [editorKey, viewerKey] = await Promise.all([
    createKeySecret(server, team.owner, team.teamId, 'EDITOR'),
    createKeySecret(server, team.owner, team.teamId, 'VIEWER'),
  ]);
});

afterAll(async () => {
  for (const tally of clients) await tally.shutdown({ timeoutMs: 0 });
  await server?.close();
});

test('track, session and time land in the key’s workspace; the reporting half reads them back', async () => {
  const errors: TallyError[] = [];
  const tally = sdk(server.url, editorKey, errors);
  const session = tally.session({ app: '2.3.0', os: 'macOS' }, { userId: 'ada' });
  session.track('/settings', { type: 'pageview', properties: { referrer: 'direct' } });
  expect(session.time('search_docs', () => 'found')).toBe('found');
  await expect(
    session.time('fetch_url', async () => {
      throw new Error('upstream down');
    }),
  ).rejects.toThrow('upstream down');
  tally.track('search_docs', { type: 'tool_call', durationMs: 120, status: 'ok', userId: 'bob' });
  await tally.flush();
  expect(errors).toEqual([]);
  expect(tally.stats()).toMatchObject({ sent: 4, dropped: 0, queued: 0, inFlight: 0 });

  const reporter = createReporter({ url: server.url, key: viewerKey });
  const usage = await reporter.toolsUsage({ ...range(), limit: 10 });
  expect(usage.map((row) => [row.name, row.type, row.count, row.errorRate]).sort()).toEqual([
    ['/settings', 'pageview', 1, 0],
    ['fetch_url', 'tool_call', 1, 1],
    ['search_docs', 'tool_call', 2, 0],
  ]);
  const overview = await reporter.overview({ ...range(), interval: 'HOUR' });
  expect(overview).toMatchObject({ sessions: 2, events: 4, users: 2, errors: 1 });
  const sessions: SessionSummary[] = [];
  for await (const s of reporter.sessions(range())) sessions.push(s);
  const mine = sessions.find((s) => s.id === session.id);
  expect(mine).toMatchObject({
    userId: 'ada',
    eventCount: 3,
    errorCount: 1,
    attributes: { app: '2.3.0', os: 'macOS' },
  });
  expect(sessions.map((s) => s.id).sort()).toEqual([session.id, tally.sessionId].sort());
});

test('a key without events.track is reported (403, not retried) and nothing is stored', async () => {
  const errors: TallyError[] = [];
  const tally = sdk(server.url, viewerKey, errors);
  tally.track('viewer_try');
  await tally.flush();
  expect(errors.map((e) => [e.code, e.status, e.dropped])).toEqual([['unauthorized', 403, 1]]);
  expect(tally.stats()).toMatchObject({ sent: 0, dropped: 1, retries: 0 });
  expect(await exported(editorKey, 'viewer_try')).toEqual([]);
});

test('Tally stops mid-flight and comes back on the same port: every event arrives exactly once', async () => {
  const instance = await startSibling(server);
  const port = new URL(instance.url).port;
  let restarted: TestServer | undefined;
  try {
    const errors: TallyError[] = [];
    const tally = sdk(instance.url, editorKey, errors, { batchSize: 20 });
    const total = 300;
    let n = 0;
    const send = (count: number) => {
      for (const end = n + count; n < end; n += 1) tally.track('mid_flight', { properties: { n } });
    };
    send(100);
    await waitFor(() => tally.stats().sent >= 20, 10_000, 'a first batch acknowledged');
    // Stop while batches are in flight and more are tracked; then more while it is down.
    const stopping = instance.close();
    send(100);
    await stopping;
    send(100);
    await waitFor(() => tally.stats().retries >= 2, 10_000, 'retries while Tally is down');
    expect(tally.stats().sent).toBeLessThan(total);
    restarted = await startSibling(server, { PORT: port });
    expect(restarted.url).toBe(instance.url);
    await waitFor(() => tally.stats().sent === total, 20_000, 'every event acknowledged after the restart');
    expect(errors).toEqual([]);
    expect(tally.stats()).toMatchObject({ dropped: 0, queued: 0 });

    const stored = await exported(editorKey, 'mid_flight');
    const seen = stored.map((e) => (e.properties as { n: number }).n).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
  } finally {
    await restarted?.close();
    await instance.close();
  }
}, 90_000);

/**
 * A TCP proxy that passes requests on and cuts the connection when Tally's 202 starts to come
 * back, for every other answer until `lose` are lost: Tally committed the batch, the SDK never
 * hears so, and sends it again.
 */
async function lossyProxy(
  target: URL,
  lose: number,
): Promise<{ url: string; lost: () => number; close(): Promise<void> }> {
  let lost = 0;
  let answers = 0;
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const accepted = chunk.toString('latin1').startsWith('HTTP/1.1 202');
      if (accepted) answers += 1;
      // Every other answer, starting with the first: each lost batch's retry gets through.
      if (accepted && lost < lose && answers % 2 === 1) {
        lost += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    lost: () => lost,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

test('answers lost after Tally committed: the retries are counted as duplicates, each event stored once', async () => {
  const proxy = await lossyProxy(new URL(server.url), 3);
  try {
    const errors: TallyError[] = [];
    const tally = sdk(proxy.url, editorKey, errors, { batchSize: 25 });
    for (let n = 0; n < 100; n += 1) tally.track('lost_answer', { properties: { n } });
    await tally.flush();
    expect(proxy.lost()).toBe(3);
    expect(errors).toEqual([]);
    expect(tally.stats()).toMatchObject({ sent: 100, dropped: 0 });
    expect(tally.stats().retries).toBeGreaterThanOrEqual(3);
    expect(tally.stats().duplicates).toBe(75);
    const stored = await exported(editorKey, 'lost_answer');
    expect(stored).toHaveLength(100);
    expect(new Set(stored.map((e) => e.id)).size).toBe(100);
  } finally {
    await proxy.close();
  }
}, 60_000);

test('reporting: sessions page by page, the export as a stream, and refusals with Tally’s codes', async () => {
  const errors: TallyError[] = [];
  const tally = sdk(server.url, editorKey, errors);
  const ids = Array.from({ length: 5 }, (_, i) => {
    const session = tally.session({ i }, { id: `paged-${i}` });
    session.track('paged_event');
    return session.id;
  });
  await tally.flush();
  expect(errors).toEqual([]);

  const reporter = createReporter({ url: server.url, key: viewerKey });
  const seen: string[] = [];
  for await (const s of reporter.sessions({ ...range(), pageSize: 2, filter: { names: ['paged_event'] } }))
    seen.push(s.id);
  expect(seen.sort()).toEqual(ids.sort());

  const editor = createReporter({ url: server.url, key: editorKey });
  const stream = await editor.exportStream({ ...range(), format: 'csv', filter: { names: ['paged_event'] } });
  const csv = await new Response(stream).text();
  const lines = csv.trim().split('\r\n');
  expect(lines[0]).toBe('id,timestamp,sessionId,name,type,userId,durationMs,status,properties');
  expect(lines).toHaveLength(6);

  // A VIEWER key reads analytics but may not export (analytics.export).
  await expect(reporter.exportStream({ ...range(), format: 'ndjson' })).rejects.toMatchObject({
    name: 'TallyRequestError',
    code: 'FORBIDDEN',
    status: 403,
  });
  // Another workspace's id: the key reaches only its own.
  await expect(reporter.overview({ ...range(), workspaceId: team.owner.personalWorkspaceId })).rejects.toMatchObject({
    name: 'TallyRequestError',
    code: expect.stringMatching(/^(FORBIDDEN|NOT_FOUND)$/),
  });
  // A bad key: UNAUTHENTICATED.
  await expect(createReporter({ url: server.url, key: 'tly_not_a_key' }).toolsUsage(range())).rejects.toMatchObject({
    code: 'UNAUTHENTICATED',
  });
});

describe('Node: flushOnExit', () => {
  /** The built CommonJS file, as an app would load it (`pnpm build` makes it). */
  const built = join(__dirname, '..', 'dist', 'index.cjs');

  /** A Node process that tracks `name` three times with flushOnExit and a long flush interval. */
  function child(name: string, stayAlive: boolean) {
    const script = `
      const { createTally } = require(${JSON.stringify(built)});
      const tally = createTally({ key: process.env.KEY, url: process.env.URL, flushOnExit: true, flushIntervalMs: 60000 });
      for (let n = 0; n < 3; n += 1) tally.track(${JSON.stringify(name)}, { properties: { n } });
      ${stayAlive ? "setInterval(() => {}, 1000); console.log('ready');" : ''}
    `;
    return spawn(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, KEY: editorKey, URL: server.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }

  beforeAll(() => {
    if (!existsSync(built)) throw new Error(`${built} is missing: run pnpm build first`);
  });

  test('a process that ends on its own sends its events on beforeExit', async () => {
    const running = child('exit_flush', false);
    const [code] = (await once(running, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect((await exported(editorKey, 'exit_flush')).map((e) => e.properties?.['n']).sort()).toEqual([0, 1, 2]);
  }, 30_000);

  test('SIGTERM: the events are sent, then the process ends as SIGTERM ends it', async () => {
    const running = child('sigterm_flush', true);
    await new Promise<void>((resolve) => running.stdout?.once('data', () => resolve()));
    running.kill('SIGTERM');
    const [code, signal] = (await once(running, 'exit')) as [number | null, string | null];
    expect([code, signal]).toEqual([null, 'SIGTERM']);
    expect((await exported(editorKey, 'sigterm_flush')).map((e) => e.properties?.['n']).sort()).toEqual([0, 1, 2]);
  }, 30_000);
});
