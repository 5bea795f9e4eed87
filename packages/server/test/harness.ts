import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { type Config, loadConfig } from '../src/platform/config';
import type { JobQueueOptions } from '../src/platform/jobs/job-queue';
import { type Tally, type TallyOptions, createTally } from '../src/server';
import type { ClickHouseTarget } from '../src/modules/events/clickhouse/connection';
import { withDatabase } from './database-url';
import { testClickHouseTarget, testEventsStore } from './drivers/clickhouse';
import { instrumentClickHouse } from './drivers/clickhouse-events';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }> | undefined;
  setCookies: string[];
  headers: Headers;
}

export interface GqlOptions {
  token?: string;
  headers?: Record<string, string>;
  cookie?: string;
}

export interface TestServer {
  url: string;
  tally: Tally;
  databaseUrl: string;
  /** Where its events are, on ClickHouse (a database of the worker's chdb); null on PostgreSQL. */
  clickhouse: ClickHouseTarget | null;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: GqlOptions,
  ): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TALLY_TEST_ADMIN_URL;
  if (!url) throw new Error('TALLY_TEST_ADMIN_URL is not set: run the tests through jest (global setup).');
  return url;
}

/** A fresh database copied from the migrated template, private to the caller. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const template = process.env.TALLY_TEST_TEMPLATE;
  if (!template) throw new Error('TALLY_TEST_TEMPLATE is not set.');
  const name = `tally_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl(), name),
    async drop() {
      const c = new Client({ connectionString: adminUrl() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'tally-test-data-')),
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Every test signs up from 127.0.0.1; tests of the sign-up limit set their own.
    SIGNUP_MAX_PER_ADDRESS: '100000',
    ...env,
  });
}

export async function gqlRequest<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: GqlOptions = {},
): Promise<GqlResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T | null; errors?: GqlResponse<T>['errors'] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`non-JSON response ${response.status}: ${text.slice(0, 200)}`);
  }
  return {
    status: response.status,
    data: body.data,
    errors: body.errors,
    setCookies: response.headers.getSetCookie(),
    headers: response.headers,
  };
}

/**
 * Job queue timings for tests: jobs sent on this instance start at once anyway; these make
 * retries, jobs from other instances and expired jobs come round quickly, and a stop wait
 * briefly for a job that hangs. Email retries start after 1 s instead of 5 s.
 */
export const FAST_JOBS: JobQueueOptions = {
  pollingIntervalSeconds: 0.5,
  maintenanceIntervalSeconds: 1,
  stopTimeoutMs: 300,
  overrides: { 'mail.send': { retryDelaySeconds: 1 }, 'invitation.email': { retryDelaySeconds: 1 } },
};

/**
 * Starts a real Tally (Fastify + Apollo + PostgreSQL) on a free port with its own database.
 * `env` overrides settings the way the environment would (SMTP_URL: a mail catcher's url).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: TallyOptions = {},
): Promise<TestServer> {
  const database = await createTestDatabase();
  // A deleted team's sweep (workspace-purge.ts) right after its first pass, so draining the purge
  // job waits for both instead of minutes.
  // The engine of the run's project (server-clickhouse: ClickHouse, a database per server).
  const clickhouse = (env['EVENTS_STORE'] ?? testEventsStore()) === 'clickhouse' ? testClickHouseTarget() : null;
  const tally = await createTally(testConfig(database.url, clickhouse ? { EVENTS_STORE: 'clickhouse', ...env } : env), {
    jobs: FAST_JOBS,
    ...(clickhouse ? { clickhouse } : {}),
    ...options,
    purge: { sweepAfterSeconds: 0, ...options.purge },
  });
  if (clickhouse) instrumentClickHouse(tally);
  const url = await tally.listen();
  return {
    url,
    tally,
    databaseUrl: database.url,
    clickhouse,
    gql: (query, variables, options) => gqlRequest(url, query, variables, options),
    async close() {
      await tally.close();
      await database.drop();
    },
  };
}

/**
 * Another instance of a test server's Tally: the same PostgreSQL database and, on ClickHouse, the
 * same ClickHouse database, with settings of its own. Closing it leaves the databases to `server`.
 */
export async function startSibling(
  server: TestServer,
  env: Record<string, string> = {},
  options: TallyOptions = {},
): Promise<TestServer> {
  const target = server.clickhouse;
  const tally = await createTally(
    testConfig(server.databaseUrl, target ? { EVENTS_STORE: 'clickhouse', ...env } : env),
    { jobs: FAST_JOBS, ...(target ? { clickhouse: target } : {}), ...options },
  );
  if (target) instrumentClickHouse(tally);
  const url = await tally.listen().catch(async (error: unknown) => {
    await tally.close();
    throw error;
  });
  return {
    url,
    tally,
    databaseUrl: server.databaseUrl,
    clickhouse: target,
    gql: (query, variables, options) => gqlRequest(url, query, variables, options),
    close: () => tally.close(),
  };
}

/** The first error's code, for assertions. */
export function codeOf(response: { errors?: Array<{ extensions?: Record<string, unknown> }> }): unknown {
  return response.errors?.[0]?.extensions?.['code'];
}

/**
 * Polls `condition` (every 20 ms) until it holds; resolves with the milliseconds that took.
 * Throws after `timeoutMs`, naming `what`. For state another part reaches on its own time (a
 * change delivered to another instance, a job, a log line written after the response).
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

/**
 * How long a test waits for a change made on one instance to reach another (a revoked key, a
 * deleted or renamed team, an ended login): the change feed delivers it well under a second
 * (change-feed.test.ts measures p99 < 250 ms); this bound is far above that, so a loaded machine
 * never makes it flake, and far below "never". The instance that made the change refuses at once.
 */
export const PROPAGATION_MS = 5_000;

/**
 * Sends `request` until `accepts` its answer, within `timeoutMs`, and resolves with that answer:
 * for what another instance learns through the change feed.
 */
export async function eventually<T>(
  request: () => Promise<T>,
  accepts: (answer: T) => boolean,
  what: string,
  timeoutMs = PROPAGATION_MS,
): Promise<T> {
  let last: { answer: T } | undefined;
  try {
    await waitFor(
      async () => {
        last = { answer: await request() };
        return accepts(last.answer);
      },
      timeoutMs,
      what,
    );
  } catch (error) {
    const answer = last ? JSON.stringify(last.answer).slice(0, 300) : 'none';
    throw new Error(`${what}: not within ${timeoutMs} ms; the last answer: ${answer}`, { cause: error });
  }
  if (!last) throw new Error(`${what}: no answer`);
  return last.answer;
}

/** A log destination that parses each JSON line the logger writes into `lines`. */
export function jsonLogSink(lines: Array<Record<string, unknown>>): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
}
