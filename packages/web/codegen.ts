import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed operations for the web app, from the server's emitted SDL. Every operation lives in its
 * own `.graphql` file beside the module that uses it. Run `pnpm --filter @tally/web codegen`;
 * the output is committed.
 *
 * Plugins: typescript-operations 6 emits, on its own, the enums and input types that the
 * operations use, so the `typescript` plugin is left out: with it every enum is declared twice
 * ("Duplicate identifier") and the file carries types for the whole schema, none of which the
 * app should use instead of its operations' types.
 */
const output = {
  plugins: ['typescript-operations', 'typed-document-node'],
  config: {
    scalars: { DateTime: 'string', JSON: 'unknown' },
    strictScalars: true,
    enumType: 'string-literal',
    useTypeImports: true,
    // @apollo/client 4 re-exports this type; no extra dependency needed.
    documentNodeImport: '@apollo/client#TypedDocumentNode',
  },
};

/**
 * The operations the app shell runs before any page (restoring and ending a session), with the
 * fragments they spread. They have a file of their own: a module is never split between chunks,
 * so a shell that imported generated.ts would load every page's documents on first load.
 */
const shellOperations = ['src/modules/accounts/refresh-session.graphql', 'src/modules/accounts/log-out.graphql'];
const shellFragments = ['src/modules/accounts/auth-payload.graphql', 'src/modules/accounts/session-user.graphql'];

const config: CodegenConfig = {
  schema: '../server/schema.graphql',
  generates: {
    'src/graphql/generated.ts': {
      ...output,
      documents: ['src/**/*.graphql', ...shellOperations.map((path) => `!${path}`)],
    },
    'src/graphql/shell.generated.ts': { ...output, documents: [...shellOperations, ...shellFragments] },
  },
};

export default config;
