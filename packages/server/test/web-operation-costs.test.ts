import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DocumentNode, Kind, type DefinitionNode, parse, visit } from 'graphql';
import { buildTallySchema } from '../src/graphql/schema';
import { MAX_COMPLEXITY, createPricer } from '../src/graphql/limits';

// Every query the dashboard sends stays under the server's cost limit (a list of keys with a few
// more fields per key can cross it: 200 keys are priced per field).

const WEB_SRC = join(__dirname, '..', '..', 'web', 'src');

function graphqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return graphqlFiles(path);
    return entry.name.endsWith('.graphql') ? [path] : [];
  });
}

const definitions: DefinitionNode[] = graphqlFiles(WEB_SRC).flatMap(
  (file) => parse(readFileSync(file, 'utf8')).definitions,
);
const fragments = new Map(
  definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
);

/** An operation with every fragment it spreads, transitively. */
function documentOf(operation: DefinitionNode): DocumentNode {
  const needed = new Set<string>();
  const pending: DefinitionNode[] = [operation];
  while (pending.length > 0) {
    const node = pending.pop();
    if (!node) break;
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !needed.has(spread.name.value)) {
          needed.add(spread.name.value);
          pending.push(fragment);
        }
      },
    });
  }
  return {
    kind: Kind.DOCUMENT,
    definitions: [operation, ...[...needed].flatMap((name) => fragments.get(name) ?? [])],
  };
}

const SAMPLE: Readonly<Record<string, unknown>> = {
  ID: '00000000-0000-4000-8000-000000000000',
  String: 'x',
  Int: 1,
  Boolean: false,
};

/**
 * The dashboard's queries whose required variables are plain scalars (ids, names), with a value
 * for each; the analytics queries, whose ranges decide their cost, have tests of their own.
 */
const queries = definitions.flatMap((d) => {
  if (d.kind !== Kind.OPERATION_DEFINITION || d.operation !== 'query' || !d.name) return [];
  const variables: Record<string, unknown> = {};
  for (const v of d.variableDefinitions ?? []) {
    if (v.type.kind !== Kind.NON_NULL_TYPE) continue;
    const inner = v.type.type;
    const sample = inner.kind === Kind.NAMED_TYPE ? SAMPLE[inner.name.value] : undefined;
    if (sample === undefined) return [];
    variables[v.variable.name.value] = sample;
  }
  return [[d.name.value, d, variables] as const];
});

describe("the dashboard's queries", () => {
  let price: ReturnType<typeof createPricer>;
  beforeAll(async () => {
    price = createPricer(await buildTallySchema(null));
  });

  it('are all found', () => {
    expect(queries.map(([name]) => name)).toEqual(expect.arrayContaining(['ApiKeys', 'ApiKeySafeguards', 'Workspace']));
  });

  it.each(queries)('%s costs less than the limit', (name, operation, variables) => {
    const cost = price({ operationName: name, variables }, documentOf(operation));
    expect(cost).toBeLessThanOrEqual(MAX_COMPLEXITY);
  });
});
