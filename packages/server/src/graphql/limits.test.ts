import { GraphQLError, buildSchema, parse, validate } from 'graphql';
import { MAX_COMPLEXITY, MAX_DEPTH, MAX_SELECTIONS, createCostCheck, depthRule } from './limits';

// Apollo runs this rule after the built-in ones pass, and Tally's schema has no recursive
// type deep enough to reach the limit yet, so the rule is checked here on its own.
const schema = buildSchema('type Query { node: Node } type Node { child: Node id: ID }');

function nested(depth: number): string {
  return `{ node ${'{ child '.repeat(depth - 1)}{ id }${' }'.repeat(depth - 1)} }`;
}

describe('depth limit', () => {
  it(`accepts an operation ${MAX_DEPTH} levels deep`, () => {
    expect(validate(schema, parse(nested(MAX_DEPTH - 1)), [depthRule])).toEqual([]);
  });

  it('refuses one level deeper', () => {
    const errors = validate(schema, parse(nested(MAX_DEPTH + 1)), [depthRule]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/exceeds maximum operation depth of 10/)]);
  });
});

describe('cost limit', () => {
  const costSchema = buildSchema('type Query { node(id: ID!): Node, hello: String } type Node { id: ID }');
  const checkCost = createCostCheck(costSchema);
  const refusal = (query: string, variables?: Record<string, unknown>): unknown => {
    try {
      checkCost({ query, variables }, parse(query));
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it('lets a small query through', () => {
    expect(refusal('{ hello node(id: "1") { id } }')).toBeUndefined();
  });

  it('refuses, with BAD_USER_INPUT, a document too big for the estimator to walk (it used to run unpriced)', () => {
    const error = refusal(`{ ${'hello '.repeat(MAX_SELECTIONS)}}`);
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error).toMatchObject({
      message: expect.stringMatching(/cannot be priced/),
      extensions: { code: 'BAD_USER_INPUT', maxComplexity: MAX_COMPLEXITY },
    });
  });

  it('leaves invalid variables to execution, which refuses them with a clear message', () => {
    expect(refusal('query ($id: ID!) { node(id: $id) { id } }', {})).toBeUndefined();
    expect(refusal('query ($id: ID!) { node(id: $id) { id } }', { id: { not: 'an id' } })).toBeUndefined();
  });
});
