import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYTICS_LIMITS, PropertyOp } from '@tally/shared';
import {
  type DefinitionNode,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
  typeFromAST,
  visit,
} from 'graphql';
import { MAX_COMPLEXITY, createCostCheck, createPricer } from '../../graphql/limits';
import { buildTallySchema } from '../../graphql/schema';
import { COST_PER_DAY, STATEMENT_COST, costPerDay, rangeDays, scanCost } from './analytics-cost';

/**
 * Issue 16 §3: what analytics fields cost reflects what they make PostgreSQL do (range, filter,
 * page size), so an alias fan of year-long filtered scans is refused before it runs, while every
 * operation of the dashboard itself stays well under the limit.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const rangeOf = (days: number) => ({
  from: new Date(NOW - days * DAY_MS).toISOString(),
  to: new Date(NOW).toISOString(),
});
const YEAR = rangeOf(ANALYTICS_LIMITS.maxRangeDays);
const CONTAINS = { properties: [{ key: 'query', op: PropertyOp.CONTAINS, value: 'zzz' }] };
/** The costliest filter the API accepts: every list full, every property condition a CONTAINS. */
const HEAVIEST_FILTER = {
  names: Array.from({ length: ANALYTICS_LIMITS.filterValues }, (_, i) => `name-${i}`),
  types: Array.from({ length: ANALYTICS_LIMITS.filterValues }, (_, i) => `type-${i}`),
  userIds: Array.from({ length: ANALYTICS_LIMITS.filterValues }, (_, i) => `user-${i}`),
  properties: Array.from({ length: ANALYTICS_LIMITS.filterProperties }, (_, i) => ({
    key: `key-${i}`,
    op: PropertyOp.CONTAINS,
    value: 'x',
  })),
};

let schema: GraphQLSchema;
let price: ReturnType<typeof createPricer>;
beforeAll(async () => {
  schema = await buildTallySchema(null);
  price = createPricer(schema);
});

/** `count` aliases of a year-long CONTAINS-filtered `sessions(first: 1)`, as the review sent them. */
function aliasFan(count: number): string {
  const fields = Array.from({ length: count }, (_, i) => `a${i}: analytics(range: $range, filter: $filter) { ...F }`);
  return `query Fan($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput) { workspace(id: $w) { ${fields.join(' ')} } }
    fragment F on Analytics { sessions(first: 1) { nodes { id } } }`;
}

describe('pricing of one scan', () => {
  it('grows with the range in days, and with the filter: property conditions, CONTAINS most, a saved filter as the costliest', () => {
    expect(rangeDays(rangeOf(1))).toBe(1);
    expect(rangeDays({ from: new Date(NOW - 1000), to: new Date(NOW) })).toBe(1);
    expect(rangeDays(YEAR)).toBe(ANALYTICS_LIMITS.maxRangeDays);
    expect(rangeDays({ from: 'not a date', to: YEAR.to })).toBe(ANALYTICS_LIMITS.maxRangeDays);

    expect(costPerDay(null, null)).toBe(COST_PER_DAY.unfiltered);
    expect(costPerDay({ names: [] }, undefined)).toBe(COST_PER_DAY.unfiltered);
    expect(costPerDay({ names: ['search'] }, null)).toBe(COST_PER_DAY.filtered);
    expect(costPerDay({ properties: [{ key: 'a', op: PropertyOp.EQ, value: 'b' }] }, null)).toBe(COST_PER_DAY.property);
    expect(costPerDay(CONTAINS, null)).toBe(COST_PER_DAY.contains);
    expect(costPerDay(null, randomUUID())).toBe(COST_PER_DAY.contains);

    const unfiltered = scanCost({ range: YEAR });
    const byName = scanCost({ range: YEAR, filter: { names: ['x'] } });
    const byProperty = scanCost({ range: YEAR, filter: CONTAINS });
    expect(scanCost({ range: rangeOf(7) })).toBeLessThan(unfiltered);
    expect(unfiltered).toBeLessThan(byName);
    expect(byName).toBeLessThan(byProperty);
    expect(byProperty).toBe(STATEMENT_COST + ANALYTICS_LIMITS.maxRangeDays * COST_PER_DAY.contains);
  });

  it('counts every scanning field under analytics, through aliases, inline fragments and named fragments', () => {
    const variables = { w: randomUUID(), range: YEAR, filter: CONTAINS };
    const one = price({ variables }, parse(aliasFan(1)));
    const scan = scanCost({ range: YEAR, filter: CONTAINS });
    expect(one).toBeGreaterThan(scan);
    const viaFragments = parse(`query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput) {
      workspace(id: $w) { analytics(range: $range, filter: $filter) { ...A ... on Analytics { activity(first: 1) { nodes { id } } } } }
    } fragment A on Analytics { overview { events } b: toolsUsage(limit: 1) { name } }`);
    expect(price({ variables }, viaFragments)).toBeGreaterThan(3 * scan);
    // A session by id (and its own events) is a small lookup, not a scan of the range.
    const lookup = parse(`query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput) {
      workspace(id: $w) { analytics(range: $range, filter: $filter) { session(id: "s") { id events(first: 1) { nodes { id } } } } } }`);
    expect(price({ variables }, lookup)).toBeLessThan(100);
  });

  it('prices an overview that compares with the previous period as two scans (a variable as set)', () => {
    const variables = { w: randomUUID(), range: YEAR, filter: CONTAINS };
    const scan = scanCost({ range: YEAR, filter: CONTAINS });
    const overview = (args: string) =>
      price(
        { variables: { ...variables, compare: 'PREVIOUS_PERIOD' } },
        parse(`query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput, $compare: CompareTo) {
          workspace(id: $w) { analytics(range: $range, filter: $filter) { overview${args} { events previous { events } } } } }`),
      );
    const plain = overview('');
    expect(overview('(compare: PREVIOUS_PERIOD)')).toBe(plain + scan);
    expect(overview('(compare: $compare)')).toBe(plain + scan);
    expect(overview('(compare: null)')).toBe(plain);
  });
});

describe('the cost limit', () => {
  const refusal = (query: string, variables: Record<string, unknown>): unknown => {
    try {
      createCostCheck(schema)({ query, variables }, parse(query));
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it.each([1100, 3])(
    'refuses %i aliases of a year-long CONTAINS-filtered sessions(first: 1) (1,100 cost 4,400 and ran before)',
    (count) => {
      expect(refusal(aliasFan(count), { w: randomUUID(), range: YEAR, filter: CONTAINS })).toMatchObject({
        message: expect.stringMatching(/costs \d+, more than the limit of 5000/),
        extensions: { code: 'BAD_USER_INPUT', maxComplexity: MAX_COMPLEXITY },
      });
    },
  );

  it('admits two of them, and many over short or unfiltered ranges', () => {
    expect(refusal(aliasFan(2), { w: randomUUID(), range: YEAR, filter: CONTAINS })).toBeUndefined();
    expect(refusal(aliasFan(100), { w: randomUUID(), range: rangeOf(7), filter: null })).toBeUndefined();
  });
});

describe("the dashboard's own operations (packages/web/src/modules/**/*.graphql)", () => {
  const webModules = join(__dirname, '../../../../web/src/modules');
  const files = readdirSync(webModules, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.graphql'));
  const definitions: DefinitionNode[] = files.flatMap(
    (f) => parse(readFileSync(join(webModules, f), 'utf8')).definitions,
  );
  const operations = definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const fragments = definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);

  it('are found', () => {
    expect(operations.map((o) => o.name?.value)).toEqual(
      expect.arrayContaining(['AnalyticsOverview', 'AnalyticsToolsUsage', 'AnalyticsSessions', 'AnalyticsActivity']),
    );
  });

  /** The operation with the fragments it uses, and variables as heavy as its inputs allow. */
  function request(operation: OperationDefinitionNode, range: { from: string; to: string }) {
    const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...usedFragments(operation)] };
    const variables: Record<string, unknown> = {};
    for (const definition of operation.variableDefinitions ?? []) {
      const name = definition.variable.name.value;
      const type = typeFromAST(schema, definition.type);
      if (!type) throw new Error(`unknown type of $${name}`);
      variables[name] =
        name === 'range'
          ? range
          : name === 'filter'
            ? HEAVIEST_FILTER
            : name === 'first' || name === 'limit'
              ? 100
              : sample(type as GraphQLInputType);
    }
    return { document, variables, operationName: operation.name?.value };
  }

  function usedFragments(operation: OperationDefinitionNode): DefinitionNode[] {
    const names = new Set<string>();
    const collect = (node: DefinitionNode) =>
      visit(node, {
        FragmentSpread(spread) {
          if (names.has(spread.name.value)) return;
          names.add(spread.name.value);
          const fragment = fragments.find(
            (f) => f.kind === Kind.FRAGMENT_DEFINITION && f.name.value === spread.name.value,
          );
          if (fragment) collect(fragment);
        },
      });
    collect(operation);
    return fragments.filter((f) => f.kind === Kind.FRAGMENT_DEFINITION && names.has(f.name.value));
  }

  /** Every operation's cost under `range`, with the heaviest filter and a saved filter where it takes them. */
  function costs(range: { from: string; to: string }): Array<{ operation: string | undefined; cost: number }> {
    return operations.map((operation) => {
      const { document, variables, operationName } = request(operation, range);
      return { operation: operationName, cost: price({ variables, operationName }, document) };
    });
  }

  it('cost at most 60 % of the limit over 30 days, with the heaviest filter and a saved filter', () => {
    const priced = costs(rangeOf(30));
    if (process.env.TALLY_PRINT_COSTS) console.log(priced);
    expect(priced.filter(({ cost }) => cost > MAX_COMPLEXITY * 0.6)).toEqual([]);
  });

  it('all still run at the longest range the API takes, with the heaviest filter and a saved filter', () => {
    expect(costs(YEAR).filter(({ cost }) => cost > MAX_COMPLEXITY)).toEqual([]);
  });
});

/** A value of an input type: required fields only, one element per list. */
function sample(type: GraphQLInputType): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [sample(inner.ofType)];
  if (isInputObjectType(inner)) {
    return Object.fromEntries(
      Object.values(inner.getFields())
        .filter((field) => isNonNullType(field.type))
        .map((field) => [field.name, sample(field.type)]),
    );
  }
  if (isEnumType(inner)) return inner.getValues()[0]?.name;
  switch (getNamedType(inner).name) {
    case 'ID':
      return randomUUID();
    case 'Int':
      return 100;
    case 'Float':
      return 1;
    case 'Boolean':
      return true;
    case 'DateTime':
      return new Date(NOW).toISOString();
    case 'JSON':
      return {};
    default:
      return 'sample text';
  }
}
