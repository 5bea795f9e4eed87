import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type TallyError, createTally as createSdk } from '@tally/sdk';
import { Pool } from 'pg';
import { type Config, loadConfig, withDotEnv } from '../src/platform/config';
import { runningDatabaseUrl } from '../src/platform/db/embedded';
import { createLogger } from '../src/platform/logger';
import { createTally } from '../src/server';
import { runningOwner } from './script-database';

/**
 * `pnpm seed`: realistic sample data on the configured database (embedded or DATABASE_URL), so
 * a new user sees every page alive: a demo owner, a team with members in each role, an EDITOR
 * key, about 50,000 events over the last 30 days across tools (with errors and durations) sent
 * through the SDK (@tally/sdk) to the real ingest endpoint, and a few annotations. Prints how to log in.
 * SEED_EVENTS changes the number of events.
 *
 * Beside a running Tally (the one DATA_DIR/owner.json names, or TALLY_URL) it sends everything to
 * that Tally and writes the members through its database; it never starts or stops a database a
 * running Tally uses. With none running it starts Tally in this process, as before.
 */
const OWNER = { email: 'demo@tally.local', password: 'tally demo password', name: 'Demo Owner' };
const TOOLS = [
  ['search_docs', 420, 0.02],
  ['run_query', 900, 0.05],
  ['create_ticket', 650, 0.03],
  ['summarize', 1800, 0.04],
  ['fetch_url', 300, 0.08],
  ['send_email', 500, 0.01],
  ['translate', 1200, 0.02],
  ['generate_chart', 2400, 0.06],
] as const;
const PAGES = ['/', '/dashboard', '/settings', '/billing', '/reports'] as const;

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}

/** Log-normal around `median` (ms): most calls quick, a long tail. */
function duration(median: number): number {
  const u = Math.max(Number.EPSILON, Math.random());
  const v = Math.random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.round(median * Math.exp(0.6 * normal));
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (!body.data || body.errors) throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`);
  return body.data;
}

type Role = 'ADMIN' | 'EDITOR' | 'VIEWER';

interface Target {
  url: string;
  /** Adds a member directly in the database; false when there is no database to write to. */
  addMember(teamId: string, userId: string, role: Role): Promise<boolean>;
  close(): Promise<void>;
}

const MEMBER_SQL = `INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, $3)`;

/** The running Tally (TALLY_URL, or DATA_DIR's live owner), else one started in this process. */
async function target(config: Config): Promise<Target> {
  const owner = await runningOwner(config);
  const url = config.tallyUrl ?? owner?.url ?? undefined;
  if (url !== undefined) {
    const databaseUrl = config.databaseUrl ?? (owner ? await runningDatabaseUrl(config.dataDir, owner) : undefined);
    const pool = databaseUrl ? new Pool({ connectionString: databaseUrl, max: 1 }) : undefined;
    console.log(`Seeding the running Tally at ${url}`);
    return {
      url,
      addMember: async (teamId, userId, role) => {
        if (!pool) return false;
        await pool.query(MEMBER_SQL, [teamId, userId, role]);
        return true;
      },
      close: async () => pool?.end(),
    };
  }
  const tally = await createTally(config, { logger: createLogger(config) });
  const served = await tally.listen();
  return {
    url: served,
    addMember: async (teamId, userId, role) => {
      await tally.db.query(MEMBER_SQL, [teamId, userId, role]);
      return true;
    },
    close: () => tally.close(),
  };
}

async function main(): Promise<void> {
  const config = loadConfig({ ...withDotEnv(process.env), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  const seeding = await target(config);
  const url = seeding.url;
  try {
    const total = Number(process.env.SEED_EVENTS ?? 50_000);
    let owner: { accessToken: string; user: { id: string } };
    try {
      owner = (
        await gql<{ signUp: typeof owner }>(
          url,
          `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { accessToken user { id } } }`,
          { e: OWNER.email, p: OWNER.password, n: OWNER.name },
        )
      ).signUp;
    } catch {
      owner = (
        await gql<{ logIn: typeof owner }>(
          url,
          `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken user { id } } }`,
          { e: OWNER.email, p: OWNER.password },
        )
      ).logIn;
    }
    const team = (
      await gql<{ createTeam: { id: string; name: string } }>(
        url,
        `mutation($n: String!) { createTeam(name: $n) { id name } }`,
        { n: `Acme Analytics ${new Date().toISOString().slice(0, 10)} ${randomUUID().slice(0, 4)}` },
        owner.accessToken,
      )
    ).createTeam;
    // Members in every role, written directly: the sample has no inboxes to accept invitations from.
    for (const [role, name] of [
      ['ADMIN', 'Ada Admin'],
      ['EDITOR', 'Eddie Editor'],
      ['VIEWER', 'Vera Viewer'],
    ] as const) {
      const email = `${role.toLowerCase()}-${team.id.slice(0, 8)}@tally.local`;
      const signed = await gql<{ signUp: { user: { id: string } } }>(
        url,
        `mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { user { id } } }`,
        { e: email, p: OWNER.password, n: name },
      );
      if (!(await seeding.addMember(team.id, signed.signUp.user.id, role))) {
        console.log(`  ${name} was not added to the team: set DATABASE_URL to the database of ${url}`);
      }
    }
    const key = (
      await gql<{ createApiKey: { secret: string } }>(
        url,
        `mutation($w: ID!) { createApiKey(workspaceId: $w, input: { name: "Sample SDK", role: EDITOR }) { secret } }`,
        { w: team.id },
        owner.accessToken,
      )
    ).createApiKey.secret;

    const now = Date.now();
    const span = 30 * 24 * 60 * 60 * 1000;
    const users = Array.from({ length: 400 }, (_, i) => `user-${i + 1}`);
    // Through the SDK, as an app would send them: sessions with their attributes, events with
    // client ids and times, batches of 1000, retries. The SDK never throws: what it could not
    // send comes back through onError, and the seed fails on it.
    const problems: TallyError[] = [];
    const sdk = createSdk({
      key,
      url,
      batchSize: 1000,
      flushIntervalMs: 60_000,
      maxQueueSize: 10_000,
      maxRetries: 20,
      shutdownTimeoutMs: 60_000,
      flushOnPageHide: false,
      onError: (error) => problems.push(error),
    });
    const progress = () => process.stdout.write(`\r  ${sdk.stats().sent} / ${total} events`);
    let tracked = 0;
    while (tracked < total) {
      const userId = pick(users);
      let at = now - Math.random() * span;
      const session = sdk.session(
        { app: pick(['web', 'ios', 'android']), version: pick(['2.3', '2.4']) },
        { id: randomUUID(), userId },
      );
      const length = 3 + Math.floor(Math.random() * 15);
      for (let i = 0; i < length && tracked < total; i += 1) {
        const page = Math.random() < 0.25;
        const tool = pick(TOOLS);
        const error = !page && Math.random() < tool[2];
        session.track(page ? pick(PAGES) : tool[0], {
          type: page ? 'pageview' : 'tool_call',
          timestamp: new Date(Math.min(at, now)),
          ...(page ? {} : { durationMs: duration(tool[1]), status: error ? 'error' : 'ok' }),
          properties: page
            ? { referrer: pick(['direct', 'search', 'email']) }
            : { plan: pick(['free', 'pro', 'team']) },
        });
        tracked += 1;
        at += 2_000 + Math.random() * 60_000;
        if (tracked % 1000 === 0) {
          await sdk.flush();
          progress();
        }
      }
    }
    await sdk.shutdown();
    progress();
    const { dropped } = sdk.stats();
    if (problems.length > 0 || dropped > 0) {
      throw new Error(`the SDK could not send ${dropped} events: ${problems.map((p) => p.message).join('; ')}`);
    }
    for (const [daysAgo, text] of [
      [21, 'v2.3 released'],
      [9, 'Search index rebuilt'],
      [3, 'v2.4 released'],
    ] as const) {
      await gql(
        url,
        `mutation($w: ID!, $i: AnnotationInput!) { createAnnotation(workspaceId: $w, input: $i) { id } }`,
        { w: team.id, i: { at: new Date(now - daysAgo * 86_400_000).toISOString(), text } },
        owner.accessToken,
      );
    }
    console.log(
      `\n\nSample data is ready in the team "${team.name}".\n` +
        `  Log in as ${OWNER.email} / ${OWNER.password}\n` +
        `  Its EDITOR key (shown only now): ${key}\n`,
    );
  } finally {
    await seeding.close();
  }
}

main().catch((error: unknown) => {
  console.error('Seeding failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
