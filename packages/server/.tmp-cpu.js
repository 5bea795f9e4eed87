require('reflect-metadata');
const { loadConfig } = require('./dist/src/config');
const { createTally } = require('./dist/src/server');
const { ApolloServer } = require('@apollo/server');
const { fastifyApolloHandler } = require('@as-integrations/fastify');
const Fastify = require('fastify');
const { execFile, execFileSync } = require('child_process');
execFileSync('taskset', ['-p', '-c', '0', String(process.pid)]);
const run = (url, headers, query, n) => new Promise((res) => execFile('taskset', ['-c', '1', process.execPath, require.resolve('autocannon/autocannon.js'), '--json', '-c', '10', '-a', String(n), '-m', 'POST', '-H', 'content-type=application/json', ...Object.entries(headers).flatMap(([k, v]) => ['-H', k + '=' + v]), '-b', JSON.stringify({ query }), url + '/graphql'], (e, out) => res(JSON.parse(out))));
async function cpu(url, h, q, n) { const a = process.cpuUsage(); const r = await run(url, h, q, n); const d = process.cpuUsage(a); if (r.non2xx) throw new Error('non2xx'); return (d.user + d.system) / n; }
(async () => {
  const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/benchprof', NODE_ENV: 'production', LOG_LEVEL: 'warn', DATA_DIR: '/tmp/prof/data', PORT: '0' });
  const tally = await createTally(config); const turl = await tally.listen();
  const apollo = new ApolloServer({ typeDefs: 'type Query { workspace: Workspace } type Workspace { id: ID! name: String! }', resolvers: { Query: { workspace: () => ({ id: 'x', name: 'B' }) } } });
  const bare = Fastify({ logger: false }); await apollo.start(); bare.route({ url: '/graphql', method: ['GET', 'POST'], handler: fastifyApolloHandler(apollo) }); await bare.listen({ port: 0, host: '127.0.0.1' });
  const burl = 'http://127.0.0.1:' + bare.server.address().port;
  const key = { authorization: 'Bearer ' + process.argv[2] };
  const q = process.argv[3] || '{ workspace { id name } }';
  await cpu(burl, {}, q, 20000); await cpu(turl, key, q, 20000);
  const rs = [];
  for (let i = 0; i < 3; i++) { const b = await cpu(burl, {}, q, 30000); const t = await cpu(turl, key, q, 30000); rs.push(b / t); console.log(`bare ${b.toFixed(1)}µs tally ${t.toFixed(1)}µs ratio ${(b / t).toFixed(3)}`); }
  await tally.close(); await bare.close();
})();
