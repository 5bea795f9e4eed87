import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * The reporting half's types, from the server's emitted SDL and the operations in
 * src/reporting/operations.ts. Only types are generated (typescript-operations): the SDK sends
 * its operations as the strings it keeps, so nothing of GraphQL is bundled. Run
 * `pnpm --filter @tally/sdk run codegen`; the output is committed.
 */
const config: CodegenConfig = {
  schema: '../server/schema.graphql',
  documents: ['src/reporting/operations.ts'],
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript-operations'],
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown' },
        strictScalars: true,
        enumType: 'string-literal',
        useTypeImports: true,
      },
    },
  },
};

export default config;
