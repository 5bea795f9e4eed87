import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from './context';
import { oneCredentialPerOperation } from './credential-rule';
import { createFormatError } from './errors';
import { landingPagePlugin } from './landing-page';
import type { Metrics } from '../platform/metrics/metrics';
import { MAX_SELECTIONS, MAX_TOKENS, depthRule } from './limits';
import { requestPlugin } from './plugins';

export function createApollo(
  schema: GraphQLSchema,
  options: { production: boolean; metrics?: Metrics },
): ApolloServer<RequestContext> {
  return new ApolloServer<RequestContext>({
    schema,
    // Always on at the Apollo level; in production requestPlugin asks for a credential.
    introspection: true,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns the signals: closing Fastify drains requests, then its onClose stops Apollo.
    stopOnTerminationSignals: false,
    maxRecursiveSelections: MAX_SELECTIONS,
    // Oversized documents are refused while parsing, before any validation rule walks them.
    parseOptions: { maxTokens: MAX_TOKENS },
    // No "Did you mean …" in production: anonymous callers cannot rebuild the schema from them.
    hideSchemaDetailsFromClientErrors: options.production,
    includeStacktraceInErrorResponses: !options.production,
    validationRules: [depthRule, oneCredentialPerOperation],
    formatError: createFormatError(options.production),
    plugins: [
      // The request policy; operation name and workspace in the logs, requests by operation in
      // /metrics; `Cache-Control: no-store` (plugins.ts).
      requestPlugin({ schema, production: options.production, metrics: options.metrics }),
      // No cache hints anywhere in the schema: its one effect was `no-store`, which requestPlugin
      // sets; its per-field hook wrapped every resolver of every request.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo Sandbox at /graphql, in development and production alike (it sends the
      // headers the explorer sets, e.g. an API key, so introspection works there too); a
      // page that explains itself when Apollo's CDN cannot be reached.
      landingPagePlugin({ schemaUrl: options.production ? null : '/graphql/schema.graphql' }),
    ],
  });
}
