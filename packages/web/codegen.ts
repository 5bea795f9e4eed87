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
const config: CodegenConfig = {
  schema: '../server/schema.graphql',
  documents: ['src/**/*.graphql'],
  generates: {
    'src/graphql/generated.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown' },
        strictScalars: true,
        enumType: 'string-literal',
        useTypeImports: true,
        // @apollo/client 4 re-exports this type; no extra dependency needed.
        documentNodeImport: '@apollo/client#TypedDocumentNode',
      },
    },
  },
};

export default config;
