require('reflect-metadata');
const { loadConfig } = require('./dist/src/config');
const { createTally } = require('./dist/src/server');
const { ApolloServer } = require('@apollo/server');
const { fastifyApolloHandler } = require('@as-integrations/fastify');
const Fastify = require('fastify');
const autocannon = require('autocannon');
const run = (url, headers, query) =>
  new Promise((res) =>
    autocannon(
      {
        url: url + '/graphql',
        method: 'POST',
        connections: 10,
        duration: 4,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      },
      (e, r) => res(Math.round(r.requests.average) + (r.non2xx ? ' non2xx!' : '')),
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
  await run(burl, {}, '{ __typename }');
  await run(turl, key, '{ __typename }');
  for (let i = 0; i < 2; i++) {
    console.log('bare __typename', await run(burl, {}, '{ __typename }'));
    console.log('tally anon __typename', await run(turl, {}, '{ __typename }'));
    console.log('tally key __typename', await run(turl, key, '{ __typename }'));
    console.log('tally key workspace{id}', await run(turl, key, '{ workspace { id } }'));
    console.log('tally key workspace{id name}', await run(turl, key, '{ workspace { id name } }'));
    console.log('bare workspace{id name}', await run(burl, {}, '{ workspace { id name } }'));
  }
  await tally.close();
  await bare.close();
})();
