import { createHash } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify from 'fastify';
import { type BenchContext, createKey, execFileAsync, onLoadCore, signUp } from './context';
import { type Row, microseconds, row } from './rows';

const QUERY = JSON.stringify({ query: '{ workspace { id name } }' });
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/**
 * Requests per second from autocannon in a child process, so that the load generator has its
 * own core and never shares the measured server's event loop.
 */
async function load(url: string, headers: Record<string, string>): Promise<number> {
  const [command, args] = onLoadCore([
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
  ]);
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024 });
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

/** `api`: the key-authenticated request path and the key check alone. */
export async function apiRows({ tally, url }: BenchContext): Promise<Row[]> {
  const bare = await startBareApollo();
  const rows: Row[] = [];
  try {
    const secret = await createKey(url, await signUp(url, 'api'), 'VIEWER');

    // Warm both up, then alternate rounds so that drift on the machine hits both sides.
    await load(bare.url, {});
    await load(url, { authorization: `Bearer ${secret}` });
    // Each round measures both sides back to back; the figure is the round with the median ratio.
    const rounds: Array<{ bare: number; tally: number }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const bareRps = await load(bare.url, {});
      const tallyRps = await load(url, { authorization: `Bearer ${secret}` });
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
  }
  return rows;
}
