import 'reflect-metadata';
import { type GraphQLSchema, parse, validate } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { CREDENTIAL_COMPLEXITY, isCredentialField } from '../auth/credential-mutation';
import { oneCredentialPerOperation } from './credential-rule';
import { buildTallySchema } from './schema';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildTallySchema(null);
});

const LOG_IN = `logIn(email: "a@b.test", password: "x") { accessToken }`;
const SIGN_UP = `signUp(email: "a@b.test", password: "x", name: "N") { accessToken }`;

function problems(document: string): string[] {
  return validate(schema, parse(document), [oneCredentialPerOperation]).map((e) => e.message);
}

describe('credential mutations', () => {
  it('are signUp, logIn, refreshSession, acceptInvitation, the password reset pair and the account page’s password checks', () => {
    const mutation = schema.getMutationType();
    const marked = Object.values(mutation?.getFields() ?? {})
      .filter(isCredentialField)
      .map((f) => f.name)
      .sort();
    expect(marked).toEqual([
      'acceptInvitation',
      'changePassword',
      'confirmEmailChange',
      'deleteAccount',
      'logIn',
      'refreshSession',
      'requestEmailChange',
      'requestPasswordReset',
      'resetPassword',
      'signUp',
    ]);
  });

  it('are priced high by the cost estimators', () => {
    const complexity = getComplexity({
      schema,
      query: parse(`mutation { ${LOG_IN} }`),
      estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
    });
    expect(complexity).toBeGreaterThanOrEqual(CREDENTIAL_COMPLEXITY);
  });
});

describe('oneCredentialPerOperation', () => {
  it('accepts one credential mutation, beside other fields', () => {
    expect(problems(`mutation { logOut ${LOG_IN} }`)).toEqual([]);
  });

  it('counts one field under one response key once (it runs once)', () => {
    expect(problems(`mutation { ${LOG_IN} ${LOG_IN} }`)).toEqual([]);
  });

  it('judges each operation of a document on its own (only one runs)', () => {
    expect(problems(`mutation A { ${LOG_IN} } mutation B { ${SIGN_UP} }`)).toEqual([]);
  });

  it.each([
    ['two aliases', `mutation { a: ${LOG_IN} b: ${LOG_IN} }`],
    ['two kinds', `mutation { ${SIGN_UP} ${LOG_IN} }`],
    ['an inline fragment', `mutation { ${LOG_IN} ... on Mutation { again: ${LOG_IN} } }`],
    [
      'fragments, one spread twice',
      `mutation { ...F ...G ...F } fragment F on Mutation { ${LOG_IN} } fragment G on Mutation { r: refreshSession { accessToken } }`,
    ],
  ])('refuses %s with BAD_USER_INPUT', (_label, document) => {
    const errors = validate(schema, parse(document), [oneCredentialPerOperation]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/^Send one credential operation per request; this one has 2 /);
    expect(errors[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });
});
