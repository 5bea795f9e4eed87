require('reflect-metadata');
const { loadConfig } = require('./dist/src/config');
const { createTally } = require('./dist/src/server');
const { ApolloServer } = require('@apollo/server');
const { fastifyApolloHandler } = require('@as-integrations/fastify');
const Fastify = require('fastify');
const autocannon = require('autocannon');
const { Session } = require('node:inspector/promises');
const run = (url, headers, query, d = 5) =>
  new Promise((res) =>
    autocannon(
      {
        url: url + '/graphql',
        method: 'POST',
        connections: 10,
        duration: d,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      },
      (e, r) => res(r.requests.total),
    ),
  );
(async () => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/benchprof',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: '/tmp/prof/data',
    PORT: '0',
  });
  const tally = await createTally(config);
  const turl = await tally.listen();
  const apollo = new ApolloServer({
    typeDefs: 'type Query { workspace: Workspace } type Workspace { id: ID! name: String! }',
    resolvers: { Query: { workspace: () => ({ id: 'x', name: 'B' }) } },
  });
  const bare = Fastify({ logger: false });
  await apollo.start();
  bare.route({ url: '/graphql', method: ['GET', 'POST'], handler: fastifyApolloHandler(apollo) });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const burl = 'http://127.0.0.1:' + bare.server.address().port;
  const key = { authorization: 'Bearer ' + process.argv[2] };
  const q = '{ workspace { id name } }';
  await run(burl, {}, q, 2);
  await run(turl, key, q, 2);
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  for (const [name, url, h] of [
    ['bare', burl, {}],
    ['tally', turl, key],
  ]) {
    await s.post('Profiler.start');
    const n = await run(url, h, q);
    const { profile } = await s.post('Profiler.stop');
    profile.requests = n;
    require('fs').writeFileSync('/tmp/http-' + name + '.cpuprofile', JSON.stringify(profile));
    console.log(name, n / 5, 'req/s');
  }
  await tally.close();
  await bare.close();
})();
