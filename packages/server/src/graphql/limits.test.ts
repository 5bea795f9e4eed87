import { buildSchema, parse, validate } from 'graphql';
import { MAX_DEPTH, depthRule } from './limits';

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
