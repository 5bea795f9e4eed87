import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Socket, createServer } from 'node:net';
import { Client } from 'pg';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../src/platform/db/embedded';
import { type Tally, createTally } from '../src/server';
import { withDatabase } from './database-url';
import { SIGN_UP, type TestUser, createTeamWithMembers, createUser, uniqueEmail, createKeySecret } from './factories';
import { startMailCatcher } from './mail-catcher';
import { FAST_JOBS, TEST_JWT_SECRET, type TestServer, codeOf, gqlRequest, testConfig, waitFor } from './harness';

/**
 * Faults (issue 11, item 4) on a PostgreSQL of this file's own, which it stops and starts: an
 * embedded one (src/platform/db/embedded.ts) in the run's temporary folder, restarted on the same port,
 * stopped at the end whatever happens.
 */
const RUN_DIR = process.env.TALLY_TEST_RUN_DIR ?? tmpdir();
const dataDir = mkdtempSync(join(RUN_DIR, 'tally-faults-pg-'));
let pg: EmbeddedDatabase | undefined;
let pgPort: number | undefined;
const clusters = new Set<string>();

/** A request that takes longer than this is a hang (the server's own bounds are far shorter). */
const HANG_MS = 15_000;
/** How long a request may wait for a database connection in these tests (DATABASE_CONNECT_TIMEOUT_MS). */
const CONNECT_TIMEOUT_MS = '2000';
/** Rows a killed purge leaves half-deleted. */
const PURGED_EVENTS = 100_000;

async function startPostgres(): Promise<void> {
  pg = await startEmbeddedPostgres({ dataDir, persistent: true, database: 'postgres', port: pgPort });
  pgPort = Number(new URL(pg.url).port);
  clusters.add(pg.clusterDir);
}

async function stopPostgres(): Promise<void> {
  const running = pg;
  pg = undefined;
  await running?.stop();
}

beforeAll(startPostgres, 60_000);
afterAll(async () => {
  await stopPostgres();
  for (const cluster of clusters) await rm(cluster, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

/** A fresh database in this file's PostgreSQL. */
async function createDatabase(): Promise<string> {
  if (!pg) throw new Error('PostgreSQL is not running');
  const name = `faults_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return withDatabase(pg.url, name);
}

async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** What the factories need of a server, for one that is not the harness's. */
function asTestServer(url: string, tally: Tally): TestServer {
  return {
    url,
    tally,
    databaseUrl: tally.databaseUrl,
    clickhouse: null,
    gql: (q, variables, options) => gqlRequest(url, q, variables, options),
    close: () => tally.close(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A team whose OWNER is `owner`, and an ADMIN key of it (it may send events). */
async function teamWithKey(server: TestServer, owner: TestUser): Promise<{ teamId: string; secret: string }> {
  const teamId = await createTeamWithMembers(server, `Faults ${randomUUID().slice(0, 6)}`, [
    { user: owner, role: 'OWNER' },
  ]);
  return { teamId, secret: await createKeySecret(server, owner, teamId, 'ADMIN') };
}

/**
 * SDK-like senders: each sends batches of events with client ids (half with timestamps, half
 * without) and resends a batch until it is acknowledged, as an SDK does after a 503 or a broken
 * connection. Records every id acknowledged with 202 and every answer that is not 202 or 503.
 */
class Load {
  readonly acked = new Set<string>();
  readonly unexpected: string[] = [];
  readonly hangs: string[] = [];
  unavailable = 0;
  unavailableWithoutRetryAfter = 0;
  networkErrors = 0;
  /** 202s received after `mark()` was called. */
  ackedSinceMark = 0;
  private marked = false;
  private stopped = false;
  private readonly senders: Array<Promise<void>>;

  constructor(
    private readonly url: () => string,
    private readonly secret: string,
    senders: number,
    private readonly batchSize: number,
    /** false: give up on a batch at the first connection error (the server is gone for good). */
    private readonly resend = true,
  ) {
    this.senders = Array.from({ length: senders }, (_, i) => this.send(i));
  }

  mark(): void {
    this.marked = true;
    this.ackedSinceMark = 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.senders);
  }

  private batch(sender: number): { ids: string[]; body: string } {
    const ids = Array.from({ length: this.batchSize }, () => randomUUID());
    const now = Date.now();
    const events = ids.map((id, i) => ({
      id,
      sessionId: `load-${sender}`,
      name: 'load_event',
      type: 'tool_call',
      ...(i % 2 === 0 ? { timestamp: new Date(now - i).toISOString() } : {}),
    }));
    return { ids, body: JSON.stringify({ events }) };
  }

  private async send(sender: number): Promise<void> {
    while (!this.stopped) {
      const { ids, body } = this.batch(sender);
      for (;;) {
        let response: Response;
        try {
          response = await fetch(`${this.url()}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': this.secret },
            body,
            signal: AbortSignal.timeout(HANG_MS),
          });
        } catch (error) {
          if (error instanceof DOMException && error.name === 'TimeoutError') {
            this.hangs.push(`POST /v1/events took over ${HANG_MS} ms`);
          } else {
            this.networkErrors += 1;
          }
          if (!this.resend || this.stopped) return;
          await sleep(50);
          continue;
        }
        const text = await response.text();
        if (response.status === 202) {
          for (const id of ids) this.acked.add(id);
          if (this.marked) this.ackedSinceMark += 1;
          break;
        }
        if (response.status === 503) {
          this.unavailable += 1;
          if (!response.headers.get('retry-after')) this.unavailableWithoutRetryAfter += 1;
          if (this.stopped) return;
          await sleep(100);
          continue;
        }
        this.unexpected.push(`${response.status} ${text.slice(0, 200)}`);
        break;
      }
    }
  }
}

/** Every acknowledged id is stored exactly once; returns how many stored ids there are in all. */
async function expectStoredOnce(databaseUrl: string, teamId: string, acked: Set<string>): Promise<void> {
  const rows = await query<{ id: string; n: number }>(
    databaseUrl,
    `SELECT id::text AS id, count(*)::int AS n FROM events WHERE workspace_id = $1 GROUP BY id`,
    [teamId],
  );
  const counts = new Map(rows.map((r) => [r.id, r.n]));
  const missing = [...acked].filter((id) => !counts.has(id));
  const twice = rows.filter((r) => r.n > 1).map((r) => r.id);
  expect({ missing: missing.length, twice: twice.length }).toEqual({ missing: 0, twice: 0 });
  expect(acked.size).toBeGreaterThan(0);
}

describe('PostgreSQL stopped and restarted under ingest load', () => {
  it('answers 503 on /readyz and on ingest while it is down, recovers by itself, and keeps every 202 exactly once', async () => {
    const databaseUrl = await createDatabase();
    const tally = await createTally(testConfig(databaseUrl, { DATABASE_CONNECT_TIMEOUT_MS: CONNECT_TIMEOUT_MS }), {
      jobs: FAST_JOBS,
    });
    const url = await tally.listen();
    const server = asTestServer(url, tally);
    let load: Load | undefined;
    try {
      const owner = await createUser(server);
      const { teamId, secret } = await teamWithKey(server, owner);
      load = new Load(() => url, secret, 4, 20);
      await waitFor(
        async () => load !== undefined && load.acked.size >= 200,
        30_000,
        'events acknowledged before the stop',
      );

      await stopPostgres();
      const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(HANG_MS) });
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'unavailable',
        reason: 'postgres unreachable',
        databases: { postgres: 'down' },
      });
      const ingest = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': secret },
        body: JSON.stringify({ events: [{ sessionId: 'down', name: 'while_down' }] }),
        signal: AbortSignal.timeout(HANG_MS),
      });
      expect(ingest.status).toBe(503);
      expect(Number(ingest.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await ingest.json()).toEqual(expect.objectContaining({ error: 'UNAVAILABLE' }));
      await waitFor(async () => (load?.unavailable ?? 0) > 0, 30_000, 'the senders met the outage');

      await startPostgres();
      await waitFor(
        async () => {
          const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(HANG_MS) });
          return res.status === 200 && ((await res.json()) as { changeFeed?: string }).changeFeed === 'listening';
        },
        30_000,
        'ready again',
      );
      load.mark();
      await waitFor(async () => (load?.ackedSinceMark ?? 0) >= 10, 30_000, 'events acknowledged after the restart');
      await load.stop();

      expect(load.hangs).toEqual([]);
      expect(load.unexpected).toEqual([]);
      expect(load.unavailableWithoutRetryAfter).toBe(0);
      await expectStoredOnce(databaseUrl, teamId, load.acked);
      // The rest of the server came back too: GraphQL and the key, from the database again.
      const me = await server.gql<{ me: { id: string } }>(`{ me { id } }`, {}, { token: owner.accessToken });
      expect(me.data?.me.id).toBe(owner.id);
    } finally {
      await load?.stop();
      await tally.close();
    }
  }, 120_000);
});

describe('GraphQL while PostgreSQL is down', () => {
  it('answers UNAVAILABLE with retryAfterSeconds, 503 and Retry-After (as REST does), never INTERNAL_SERVER_ERROR', async () => {
    const databaseUrl = await createDatabase();
    const tally = await createTally(
      testConfig(databaseUrl, { DATABASE_CONNECT_TIMEOUT_MS: CONNECT_TIMEOUT_MS, NODE_ENV: 'production' }),
      { jobs: FAST_JOBS },
    );
    const url = await tally.listen();
    const server = asTestServer(url, tally);
    try {
      const owner = await createUser(server);
      const { teamId, secret } = await teamWithKey(server, owner);
      await stopPostgres();
      // A resolver's query (a user), the credential check (a key: not served from memory once
      // the change feed is lost), and an anonymous mutation.
      const requests: Array<[string, string, Record<string, unknown>, string | undefined]> = [
        ['me', `{ me { id } }`, {}, owner.accessToken],
        ['workspace by key', `query($w: ID) { workspace(id: $w) { id name } }`, { w: teamId }, secret],
        [
          'logIn',
          `mutation($email: String!) { logIn(email: $email, password: "not the password") { accessToken } }`,
          { email: owner.email },
          undefined,
        ],
      ];
      for (const [name, query, variables, token] of requests) {
        const res = await server.gql(query, variables, token === undefined ? {} : { token });
        const answer = {
          name,
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          errors: res.errors?.map((e) => ({ message: e.message, extensions: e.extensions })),
        };
        expect(answer).toEqual({
          name,
          status: 503,
          retryAfter: '2',
          errors: [
            {
              message: 'The database cannot be reached; try again shortly.',
              extensions: { code: 'UNAVAILABLE', retryAfterSeconds: 2 },
            },
          ],
        });
      }
      // REST says the same, in its own shape.
      const ingest = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': secret },
        body: JSON.stringify({ events: [{ sessionId: 'down', name: 'while_down' }] }),
        signal: AbortSignal.timeout(HANG_MS),
      });
      expect({ status: ingest.status, body: await ingest.json() }).toEqual({
        status: 503,
        body: {
          error: 'UNAVAILABLE',
          message: 'The database cannot be reached; try again shortly.',
          retryAfterSeconds: 2,
        },
      });
    } finally {
      if (!pg) await startPostgres();
      await tally.close();
    }
  }, 120_000);
});

describe('the built server as a child process', () => {
  const main = join(__dirname, '..', 'dist', 'src', 'main.js');

  function startChild(
    databaseUrl: string,
    env: Record<string, string> = {},
  ): Promise<{ url: string; child: ChildProcess }> {
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first (pnpm test does).`);
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: '0',
        DATABASE_URL: databaseUrl,
        DATA_DIR: mkdtempSync(join(RUN_DIR, 'tally-faults-data-')),
        JWT_SECRET: TEST_JWT_SECRET,
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        SIGNUP_MAX_PER_ADDRESS: '100000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`no URL printed in time:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Tally is running:\s+(http:\/\/\S+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve({ url: match[1], child });
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${output}`));
      });
    });
  }

  function exited(child: ChildProcess): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Signs up through the API (the factories read the database through an in-process Tally). */
  async function signUp(url: string): Promise<{ id: string; token: string }> {
    const res = await gqlRequest<{ signUp: { accessToken: string; user: { id: string } } }>(url, SIGN_UP, {
      email: uniqueEmail('child'),
      password: 'correct horse battery',
      name: 'Child',
    });
    if (!res.data) throw new Error(`signUp: ${JSON.stringify(res.errors)}`);
    return { id: res.data.signUp.user.id, token: res.data.signUp.accessToken };
  }

  async function childTeamWithKey(url: string, token: string): Promise<{ teamId: string; secret: string }> {
    const team = await gqlRequest<{ createTeam: { id: string } }>(
      url,
      `mutation($n: String!) { createTeam(name: $n) { id } }`,
      { n: `Child ${randomUUID().slice(0, 6)}` },
      { token },
    );
    const teamId = team.data?.createTeam.id;
    if (!teamId) throw new Error(`createTeam: ${JSON.stringify(team.errors)}`);
    const gql: TestServer['gql'] = (q, v, o) => gqlRequest(url, q, v, o);
    return { teamId, secret: await createKeySecret({ gql }, { accessToken: token }, teamId, 'ADMIN') };
  }

  it('drains in-flight requests on SIGTERM under load and loses nothing acknowledged', async () => {
    const databaseUrl = await createDatabase();
    const { url, child } = await startChild(databaseUrl);
    let load: Load | undefined;
    try {
      const owner = await signUp(url);
      const { teamId, secret } = await childTeamWithKey(url, owner.token);
      // Big batches, so that several are being stored at the moment the signal arrives.
      load = new Load(() => url, secret, 6, 200, false);
      await waitFor(async () => (load?.acked.size ?? 0) >= 2000, 30_000, 'events acknowledged before the signal');
      load.mark();
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      await load.stop();

      expect(load.hangs).toEqual([]);
      expect(load.unexpected).toEqual([]);
      // Requests being handled when the signal came were answered, not cut off.
      expect(load.ackedSinceMark).toBeGreaterThan(0);
      await expectStoredOnce(databaseUrl, teamId, load.acked);
    } finally {
      await load?.stop();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
  it('a team purge killed mid-job (SIGKILL) resumes when the server starts again, and completes', async () => {
    const databaseUrl = await createDatabase();
    const first = await startChild(databaseUrl);
    let second: { url: string; child: ChildProcess } | undefined;
    try {
      const owner = await signUp(first.url);
      const { teamId } = await childTeamWithKey(first.url, owner.token);
      // Enough rows for a purge of many batches (1000 rows each).
      await query(
        databaseUrl,
        `INSERT INTO events (workspace_id, ts, id, session_id, name, type)
         SELECT $1, now() - make_interval(secs => g / 1000.0), gen_random_uuid(), 's-' || (g % 50), 'bulk', 'custom'
           FROM generate_series(1, $2::int) g`,
        [teamId, PURGED_EVENTS],
      );
      const left = async () =>
        (
          await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM events WHERE workspace_id = $1`, [
            teamId,
          ])
        )[0]?.n ?? -1;
      const deleted = await gqlRequest(
        first.url,
        `mutation($w: ID!, $n: String!) { deleteTeam(workspaceId: $w, confirmName: $n) }`,
        {
          w: teamId,
          n: (await query<{ name: string }>(databaseUrl, `SELECT name FROM workspaces WHERE id = $1`, [teamId]))[0]
            ?.name,
        },
        { token: owner.token },
      );
      expect(deleted.errors).toBeUndefined();
      await waitFor(async () => (await left()) < PURGED_EVENTS, 20_000, 'the purge started');
      first.child.kill('SIGKILL');
      await exited(first.child);
      // Killed half-way: rows are left, and the job is still marked running by the dead instance.
      expect(await left()).toBeGreaterThan(0);
      const active = await query<{ state: string }>(
        databaseUrl,
        `SELECT state::text AS state FROM pgboss.job WHERE name = 'workspace.purge' AND data->>'workspaceId' = $1`,
        [teamId],
      );
      expect(active.map((j) => j.state)).toEqual(['active']);

      second = await startChild(databaseUrl);
      await waitFor(
        async () => {
          const [row] = await query<{ purged: boolean }>(
            databaseUrl,
            `SELECT purged_at IS NOT NULL AS purged FROM workspaces WHERE id = $1`,
            [teamId],
          );
          return row?.purged === true;
        },
        30_000,
        'the purge completed',
      );
      expect(await left()).toBe(0);
    } finally {
      for (const c of [first.child, second?.child])
        if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  }, 120_000);

  it('an invitation email killed mid-send (SIGKILL) is sent when the server starts again', async () => {
    const databaseUrl = await createDatabase();
    // A mail server that accepts the connection and never answers: the send hangs there.
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentAddress = silent.address();
    const silentPort = typeof silentAddress === 'object' && silentAddress ? silentAddress.port : 0;
    const mail = await startMailCatcher();
    const first = await startChild(databaseUrl, { SMTP_URL: `smtp://127.0.0.1:${silentPort}` });
    let second: { url: string; child: ChildProcess } | undefined;
    try {
      const owner = await signUp(first.url);
      const { teamId } = await childTeamWithKey(first.url, owner.token);
      const email = uniqueEmail('resumed');
      const invited = await gqlRequest(
        first.url,
        `mutation($w: ID!, $e: String!) { inviteMember(workspaceId: $w, email: $e, role: VIEWER) { id } }`,
        { w: teamId, e: email },
        { token: owner.token },
      );
      expect(invited.errors).toBeUndefined();
      await waitFor(async () => held.length > 0, 20_000, 'the email job is sending');
      first.child.kill('SIGKILL');
      await exited(first.child);

      second = await startChild(databaseUrl, { SMTP_URL: mail.url });
      const message = await mail.waitFor((m) => m.to.includes(email), 30_000);
      expect(message.text).toMatch(/\/invite\/[A-Za-z0-9_-]{43}/);
      await waitFor(
        async () => {
          const [row] = await query<{ delivered: boolean }>(
            databaseUrl,
            `SELECT delivered_at IS NOT NULL AS delivered FROM invitations WHERE workspace_id = $1`,
            [teamId],
          );
          return row?.delivered === true;
        },
        30_000,
        'delivered',
      );
    } finally {
      for (const c of [first.child, second?.child])
        if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await mail.close();
    }
  }, 120_000);
});

describe('two server instances on one database', () => {
  // Roles are not cached: every request reads the caller's role from the database (see
  // MembershipService.roleOf), so unlike a key revocation this holds on the very next request.
  it('a role change and a removal on one are in force on the other on the next request', async () => {
    const databaseUrl = await createDatabase();
    const first = await createTally(testConfig(databaseUrl), { jobs: FAST_JOBS });
    const second = await createTally(testConfig(databaseUrl), { jobs: FAST_JOBS });
    try {
      const one = asTestServer(await first.listen(), first);
      const other = await second.listen();
      const [owner, member] = await Promise.all([createUser(one), createUser(one)]);
      if (!owner || !member) throw new Error('users');
      const teamId = await createTeamWithMembers(one, 'Two Instances', [
        { user: owner, role: 'OWNER' },
        { user: member, role: 'ADMIN' },
      ]);
      const ROLE = `query($id: ID) { workspace(id: $id) { viewerRole } }`;
      const INVITE = `mutation($w: ID!, $e: String!) { inviteMember(workspaceId: $w, email: $e, role: VIEWER) { id } }`;
      const asMember = { token: member.accessToken };
      const before = await gqlRequest<{ workspace: { viewerRole: string } }>(other, ROLE, { id: teamId }, asMember);
      expect(before.data?.workspace.viewerRole).toBe('ADMIN');

      const changed = await one.gql(
        `mutation($w: ID!, $u: ID!) { changeMemberRole(workspaceId: $w, userId: $u, role: VIEWER) { role } }`,
        { w: teamId, u: member.id },
        { token: owner.accessToken },
      );
      expect(changed.errors).toBeUndefined();
      const after = await gqlRequest<{ workspace: { viewerRole: string } }>(other, ROLE, { id: teamId }, asMember);
      expect(after.data?.workspace.viewerRole).toBe('VIEWER');
      // The lost role grants nothing any more there: an ADMIN's invitation is now FORBIDDEN.
      const invite = await gqlRequest(other, INVITE, { w: teamId, e: uniqueEmail('late') }, asMember);
      expect(codeOf(invite)).toBe('FORBIDDEN');
      expect(await query(databaseUrl, `SELECT 1 FROM invitations WHERE workspace_id = $1`, [teamId])).toEqual([]);

      const removed = await one.gql(
        `mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }`,
        { w: teamId, u: member.id },
        { token: owner.accessToken },
      );
      expect(removed.data).toEqual({ removeMember: true });
      expect(codeOf(await gqlRequest(other, ROLE, { id: teamId }, asMember))).toBe('NOT_FOUND');
    } finally {
      await second.close();
      await first.close();
    }
  }, 60_000);
});
