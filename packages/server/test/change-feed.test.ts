import { type Server, type Socket, createServer, connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type Tally, createTally } from '../src/server';
import { createUser, type TestUser, createKey } from './factories';
import { type TestServer, codeOf, gqlRequest, startTestServer, testConfig, waitFor } from './harness';

const REVOKE = `mutation($workspaceId: ID!, $apiKeyId: ID!) { revokeApiKey(workspaceId: $workspaceId, apiKeyId: $apiKeyId) { id } }`;
const OWN_WORKSPACE = `{ workspace { id } }`;

/**
 * A TCP proxy in front of PostgreSQL whose open connections can be frozen: bytes stop flowing
 * both ways and nothing is closed, as when a NAT or load balancer forgets a connection.
 */
class FreezingProxy {
  private readonly server: Server;
  private readonly pairs: Array<[Socket, Socket]> = [];
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      this.pairs.push([client, upstream]);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  /** Every connection open now goes silent; connections made later work. */
  freeze(): void {
    for (const [client, upstream] of this.pairs.splice(0)) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      this.frozen.push(client, upstream);
    }
  }

  private readonly frozen: Socket[] = [];

  async close(): Promise<void> {
    for (const socket of [...this.frozen, ...this.pairs.flat()]) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('a change feed whose connection dies silently', () => {
  const HEARTBEAT_MS = 200;
  let server: TestServer;
  let owner: TestUser;
  let proxy: FreezingProxy;
  let watched: Tally;
  let watchedUrl: string;
  const warnings: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    owner = await createUser(server);
    const target = new URL(server.databaseUrl);
    proxy = new FreezingProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const listenUrl = new URL(server.databaseUrl);
    listenUrl.hostname = '127.0.0.1';
    listenUrl.port = String(proxy.port);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const line = JSON.parse(chunk.toString()) as { level: number; msg: string };
        if (line.level >= 40) warnings.push(line.msg);
        done();
      },
    });
    watched = await createTally(testConfig(server.databaseUrl), {
      logger: pino({ level: 'warn' }, sink),
      changeFeed: { heartbeatMs: HEARTBEAT_MS, listenUrl: listenUrl.toString() },
    });
    watchedUrl = await watched.listen();
  });

  afterAll(async () => {
    await watched.close();
    await proxy.close();
    await server.close();
  });

  it('refuses a key revoked elsewhere within the heartbeat interval, says so, and reconnects', async () => {
    const key = await createKey(server, owner, owner.personalWorkspaceId);
    // The watched instance has verified the key and keeps it in memory.
    expect((await gqlRequest(watchedUrl, OWN_WORKSPACE, {}, { token: key.secret })).errors).toBeUndefined();
    // Its feed is listening (on a busy machine a 200 ms beat can be missed before the test begins;
    // the feed then reconnects by itself, which is what the rest of this test is about).
    await waitFor(async () => {
      const ready = await fetch(`${watchedUrl}/readyz`);
      const body = (await ready.json()) as { status: string; changeFeed: string };
      return body.status === 'ready' && body.changeFeed === 'listening';
    }, 15_000);

    proxy.freeze();
    const revoked = await server.gql(
      REVOKE,
      { workspaceId: owner.personalWorkspaceId, apiKeyId: key.apiKey.id },
      { token: owner.accessToken },
    );
    expect(revoked.errors).toBeUndefined();

    // The NOTIFY of the revocation never reaches the watched instance; the missing heartbeat
    // empties its caches within two beats (some slack for a loaded test machine).
    const refusedAfter = await waitFor(async () => {
      const res = await gqlRequest(watchedUrl, OWN_WORKSPACE, {}, { token: key.secret });
      return codeOf(res) === 'UNAUTHENTICATED';
    }, 10 * HEARTBEAT_MS);
    expect(refusedAfter).toBeLessThan(10 * HEARTBEAT_MS);
    expect(warnings.some((w) => w.includes('heartbeat did not come back'))).toBe(true);

    // A new connection through the proxy works again: the feed is back and trusted.
    await waitFor(() => watched.changes.connected, 15_000);
    const back = await fetch(`${watchedUrl}/readyz`);
    expect(await back.json()).toEqual({ status: 'ready', changeFeed: 'listening', databases: { postgres: 'up' } });
    const nextKey = await createKey(server, owner, owner.personalWorkspaceId);
    expect((await gqlRequest(watchedUrl, OWN_WORKSPACE, {}, { token: nextKey.secret })).errors).toBeUndefined();
    await server.gql(
      REVOKE,
      { workspaceId: owner.personalWorkspaceId, apiKeyId: nextKey.apiKey.id },
      { token: owner.accessToken },
    );
    await waitFor(async () => {
      const res = await gqlRequest(watchedUrl, OWN_WORKSPACE, {}, { token: nextKey.secret });
      return codeOf(res) === 'UNAUTHENTICATED';
    }, 5_000);
  }, 30_000);

  it('reports a lost feed on /readyz while still serving from the database', async () => {
    proxy.freeze();
    await waitFor(() => !watched.changes.connected, 10 * HEARTBEAT_MS);
    // Reconnection may be quick; either way /readyz answers 200 with the feed's state.
    const res = await fetch(`${watchedUrl}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { changeFeed: string };
    expect(['listening', 'reconnecting']).toContain(body.changeFeed);
    await waitFor(() => watched.changes.connected, 15_000);
  }, 30_000);
});

describe('how soon another instance refuses a revoked key', () => {
  // Issue 16, §6: DESIGN.md promised "on the next request on every instance"; another instance
  // learns of a revocation when its NOTIFY arrives. What holds, and is measured here: the
  // revoking instance refuses on its next request; the other within the feed's delivery.
  const ROUNDS = 100;
  const LIMITS = { API_KEY_MAX_FAILURES_PER_ADDRESS: '100000' };
  let server: TestServer;
  let other: Tally;
  let otherUrl: string;
  let owner: TestUser;

  beforeAll(async () => {
    server = await startTestServer(LIMITS);
    other = await createTally(testConfig(server.databaseUrl, LIMITS));
    otherUrl = await other.listen();
    owner = await createUser(server);
  });
  afterAll(async () => {
    await other.close();
    await server.close();
  });

  it(`refuses at once where revoked, and elsewhere with p99 < 250 ms over ${ROUNDS} revocations`, async () => {
    const workspaceId = owner.personalWorkspaceId;
    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const key = await createKey(server, owner, workspaceId);
      // Verified, and so kept in memory, by both instances.
      for (const url of [server.url, otherUrl]) {
        expect((await gqlRequest(url, OWN_WORKSPACE, {}, { token: key.secret })).errors).toBeUndefined();
      }
      const revoked = await server.gql(REVOKE, { workspaceId, apiKeyId: key.apiKey.id }, { token: owner.accessToken });
      expect(revoked.errors).toBeUndefined();
      const answered = performance.now();
      // From the revocation's answer on, ask the other instance back to back until it refuses;
      // meanwhile the revoking instance's very next request must be refused.
      const [here, delay] = await Promise.all([
        gqlRequest(server.url, OWN_WORKSPACE, {}, { token: key.secret }),
        (async () => {
          for (;;) {
            const res = await gqlRequest(otherUrl, OWN_WORKSPACE, {}, { token: key.secret });
            if (res.status !== 200) {
              expect(codeOf(res)).toBe('UNAUTHENTICATED');
              return performance.now() - answered;
            }
            if (performance.now() - answered > 10_000) throw new Error('never refused by the other instance');
          }
        })(),
      ]);
      expect({ status: here.status, code: codeOf(here) }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      delays.push(delay);
    }
    delays.sort((a, b) => a - b);
    const p99 = delays[Math.ceil(0.99 * delays.length) - 1] ?? Infinity;
    expect(p99).toBeLessThan(250);
  }, 120_000);
});
