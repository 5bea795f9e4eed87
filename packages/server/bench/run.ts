import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify from 'fastify';
import { loadConfig } from '../src/config';
import { createTally, type Tally } from '../src/server';

/**
 * `pnpm bench`: starts what it measures on this machine, measures every figure against a
 * baseline taken in the same run, prints a table and writes bench/results.json. Figures are
 * ratios where they can be, so they mean the same on a faster or slower machine.
 */

interface Row {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  /** Applies to `ratio` when there is a baseline, to `value` otherwise. */
  target: number;
  better: 'higher' | 'lower';
}

const execFileAsync = promisify(execFile);
const QUERY = JSON.stringify({ query: '{ workspace { id name } }' });
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Pin this process to core 0 and autocannon to core 1 when taskset and two cores exist. */
const PINNING = availableParallelism() >= 2 && existsSync('/usr/bin/taskset') && process.env.BENCH_PIN !== '0';

/**
 * Requests per second from autocannon in a child process, so that the load generator has its
 * own core and never shares the measured server's event loop.
 */
async function load(url: string, headers: Record<string, string>): Promise<number> {
  const args = [
    require.resolve('autocannon/autocannon.js'),
    '--json',
    '--connections',
    String(CONNECTIONS),
    '--duration',
    String(DURATION_S),
    '--method',
    'POST',
    '--headers',
    'content-type=application/json',
    ...Object.entries(headers).flatMap(([name, value]) => ['--headers', `${name}=${value}`]),
    '--body',
    QUERY,
    `${url}/graphql`,
  ];
  // With two or more cores, the load generator gets its own core and the server keeps the other.
  const [command, commandArgs] = PINNING
    ? ['taskset', ['-c', '1', process.execPath, ...args]]
    : [process.execPath, args];
  const { stdout } = await execFileAsync(command, commandArgs, { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number; errors: number };
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`load test saw ${result.non2xx} non-2xx responses and ${result.errors} errors at ${url}`);
  }
  return result.requests.average;
}

/** The baseline: Apollo Server on the same HTTP layer, answering from memory, no auth. */
async function startBareApollo(): Promise<{ url: string; close(): Promise<void> }> {
  const apollo = new ApolloServer({
    typeDefs: 'type Query { workspace: Workspace } type Workspace { id: ID! name: String! }',
    resolvers: { Query: { workspace: () => ({ id: '00000000-0000-4000-8000-000000000000', name: 'Bench' }) } },
  });
  const app = Fastify({ logger: false });
  await apollo.start();
  app.route({ url: '/graphql', method: ['GET', 'POST', 'OPTIONS'], handler: fastifyApolloHandler(apollo) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await apollo.stop();
    },
  };
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function setUpKey(tally: Tally, url: string): Promise<string> {
  const signUp = await gql<{ signUp: { accessToken: string } }>(
    url,
    'mutation($e: String!) { signUp(email: $e, password: "benchmark password", name: "Bench") { accessToken } }',
    { e: `bench-${Date.now()}@example.test` },
  );
  const token = signUp.signUp.accessToken;
  const workspaces = await gql<{ workspaces: Array<{ id: string }> }>(url, '{ workspaces { id } }', {}, token);
  const workspaceId = workspaces.workspaces[0]?.id;
  if (!workspaceId) throw new Error('no workspace');
  const created = await gql<{ createApiKey: { secret: string } }>(
    url,
    'mutation($w: ID!) { createApiKey(workspaceId: $w, input: { name: "bench", role: VIEWER }) { secret } }',
    { w: workspaceId },
    token,
  );
  void tally;
  return created.createApiKey.secret;
}

/** Mean cost of `fn` in microseconds over `iterations` calls, after a warm-up. */
async function microseconds(iterations: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(1000, iterations); i += 1) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) await fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

function row(
  name: string,
  value: number,
  unit: string,
  baseline: number | null,
  target: number,
  better: Row['better'],
): Row {
  return {
    name,
    value: Number(value.toFixed(2)),
    unit,
    baseline: baseline === null ? null : Number(baseline.toFixed(2)),
    ratio: baseline ? Number((value / baseline).toFixed(3)) : null,
    target,
    better,
  };
}

function meets(r: Row): boolean {
  const figure = r.ratio ?? r.value;
  return r.better === 'higher' ? figure >= r.target : figure <= r.target;
}

async function main(): Promise<void> {
  if (PINNING) await execFileAsync('taskset', ['-p', '-c', '0', String(process.pid)]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-bench-'));
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  });
  console.log(
    `Starting Tally (${config.databaseUrl ? 'DATABASE_URL' : 'embedded PostgreSQL'}) and a bare Apollo Server…`,
  );
  const tally = await createTally(config);
  const tallyUrl = await tally.listen();
  const bare = await startBareApollo();
  const rows: Row[] = [];
  try {
    const secret = await setUpKey(tally, tallyUrl);

    // Warm both up, then alternate rounds so that drift on the machine hits both sides.
    await load(bare.url, {});
    await load(tallyUrl, { authorization: `Bearer ${secret}` });
    // Each round measures both sides back to back; the figure is the round with the median ratio.
    const rounds: Array<{ bare: number; tally: number }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const bareRps = await load(bare.url, {});
      const tallyRps = await load(tallyUrl, { authorization: `Bearer ${secret}` });
      rounds.push({ bare: bareRps, tally: tallyRps });
      console.log(`  round ${round + 1}: tally ${tallyRps.toFixed(0)} req/s, bare ${bareRps.toFixed(0)} req/s`);
    }
    const mid = [...rounds].sort((a, b) => a.tally / a.bare - b.tally / b.bare)[Math.floor(rounds.length / 2)];
    if (!mid) throw new Error('no rounds');
    rows.push(
      row(
        `key-authenticated { workspace { id name } } req/s (${CONNECTIONS} connections) vs bare Apollo from memory`,
        mid.tally,
        'req/s',
        mid.bare,
        0.85,
        'higher',
      ),
    );

    // The verify path alone, cached (the state of every request after a key's first).
    const verifier = tally.services.apiKeyVerifier;
    const verifyUs = await microseconds(50_000, () => verifier.verify(secret, '127.0.0.1'));
    // Baseline: the least any key check must do — hash the presented secret, look it up in a map.
    const map = new Map([[createHash('sha256').update(secret).digest('base64'), true]]);
    const minimalUs = await microseconds(50_000, () => map.get(createHash('sha256').update(secret).digest('base64')));
    rows.push(row('API key verify (cached), per call', verifyUs, 'µs', minimalUs, 4, 'lower'));
  } finally {
    await bare.close();
    await tally.close();
  }

  console.log('');
  console.table(
    rows.map((r) => ({
      name: r.name,
      value: `${r.value} ${r.unit}`,
      baseline: r.baseline === null ? '—' : `${r.baseline} ${r.unit}`,
      ratio: r.ratio ?? '—',
      target: `${r.better === 'higher' ? '≥' : '≤'} ${r.target}${r.ratio === null ? ` ${r.unit}` : ''}`,
      met: meets(r) ? 'yes' : 'NO',
    })),
  );
  const outDir = resolve(__dirname, '../../../..', 'bench');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'results.json');
  writeFileSync(outFile, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`\nwrote ${outFile}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
