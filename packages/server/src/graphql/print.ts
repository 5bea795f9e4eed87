import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildTallySchema } from './schema';

export const SCHEMA_HEADER = `# Generated from the code by \`pnpm --filter @tally/server schema\`; do not edit.
# Authorization is declared on each field: @requiresScopes (derived from the role → scope table in
# packages/shared) or @authenticated. A test fails when this file and the code differ.
`;

/** The served schema as SDL, with applied directives (graphql's printSchema drops them). */
export async function printTallySchema(): Promise<string> {
  const schema = await buildTallySchema(null);
  return `${SCHEMA_HEADER}\n${printSchemaWithDirectives(schema)}\n`;
}
