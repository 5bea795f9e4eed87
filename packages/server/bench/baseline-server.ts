import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { expressMiddleware } from '@as-integrations/express5';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import express from 'express';
import Fastify from 'fastify';

/**
 * The api group's baselines: Apollo Server answering `{ workspace { id name } }` from memory, no
 * auth, on one HTTP layer each, as their own documentation sets them up. `bench/api.ts` runs
 * `startBaseline` in its own process too (`node baseline-server.js <kind>`), pinned to the core
 * the `pnpm start` process gets, so that both sides of a ratio run alike.
 */
export const BASELINES = ['fastify', 'express5', 'standalone'] as const;
export type BaselineKind = (typeof BASELINES)[number];

export interface Baseline {
  url: string;
  close(): Promise<void>;
}

const TYPE_DEFS = 'type Query { workspace: Workspace } type Workspace { id: ID! name: String! }';
const RESOLVERS = {
  Query: { workspace: () => ({ id: '00000000-0000-4000-8000-000000000000', name: 'Bench' }) },
};

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

export async function startBaseline(kind: BaselineKind): Promise<Baseline> {
  const apollo = new ApolloServer({ typeDefs: TYPE_DEFS, resolvers: RESOLVERS });
  if (kind === 'standalone') {
    // Apollo's own server: node:http with cors and body-parser (@apollo/server/standalone).
    const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });
    return { url: url.replace(/\/$/, ''), close: () => apollo.stop() };
  }
  await apollo.start();
  if (kind === 'express5') {
    // As @as-integrations/express5 sets it up, less `cors()` (the Tally side gets no Origin).
    const app = express();
    app.use('/graphql', express.json(), expressMiddleware(apollo));
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
    });
    return {
      url: `http://127.0.0.1:${portOf(server)}`,
      async close() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await apollo.stop();
      },
    };
  }
  const app = Fastify({ logger: false });
  app.route({ url: '/graphql', method: ['GET', 'POST', 'OPTIONS'], handler: fastifyApolloHandler(apollo) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${portOf(app.server)}`,
    async close() {
      await app.close();
      await apollo.stop();
    },
  };
}

/** `node baseline-server.js <kind>`: prints `{"url": …}` on one line, stops on SIGTERM. */
if (require.main === module) {
  const kind = process.argv[2];
  const known = BASELINES.find((name) => name === kind);
  if (!known) {
    console.error(`baseline-server takes one of ${BASELINES.join(', ')}`);
    process.exit(2);
  }
  startBaseline(known).then(
    (baseline) => {
      process.stdout.write(`${JSON.stringify({ url: baseline.url })}\n`);
      process.once('SIGTERM', () => {
        baseline.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
