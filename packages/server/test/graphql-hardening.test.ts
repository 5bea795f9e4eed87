import { createLogger } from '../src/platform/logger';
import { createTally, type Tally } from '../src/server';
import { createUser, SIGN_UP, type TestUser, uniqueEmail } from './factories';
import {
  codeOf,
  createTestDatabase,
  jsonLogSink,
  gqlRequest,
  startTestServer,
  testConfig,
  type TestServer,
} from './harness';

const aliases = (count: number, selection: string) =>
  Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ');

async function userCount(server: TestServer, email: string): Promise<number> {
  const rows: Array<{ n: string }> = await server.tally.db.query('SELECT count(*) AS n FROM users WHERE email = $1', [
    email,
  ]);
  return Number(rows[0]?.n);
}

describe('in development', () => {
  let server: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'development' });
    user = await createUser(server);
  });
  afterAll(() => server.close());
  afterEach(() => jest.restoreAllMocks());

  describe('big documents are refused before anything runs', () => {
    it.each([
      ['10,000 __typename aliases', 10_000, '__typename'],
      ['20,000 me { id } aliases', 20_000, 'me { id }'],
    ])('%s', async (_what, count, selection) => {
      const findUser = jest.spyOn(server.tally.services.accounts, 'findUser');
      const res = await server.gql(`{ ${aliases(count, selection)} }`, {}, { token: user.accessToken });
      expect(res.status).toBe(400);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.data).toBeUndefined();
      expect(findUser).not.toHaveBeenCalled();
    });

    it('a document the cost estimator cannot walk fails closed (exactly 10,000 selections, in few tokens)', async () => {
      // 100 spreads of a fragment of 99 fields: 100 + 100 × 99 selections, within Apollo's
      // limit, at the estimator's node limit; its error used to be swallowed and the query run.
      const res = await server.gql(`{ ${'...F '.repeat(100)}} fragment F on Query { ${aliases(99, '__typename')} }`);
      expect(res.status).toBe(400);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(/cannot be priced/);
      expect(res.data).toBeUndefined();
    });

    it('fragments that multiply past 10,000 selections are refused while validating', async () => {
      const findUser = jest.spyOn(server.tally.services.accounts, 'findUser');
      const fragment = `fragment F on Query { ${'me { id } '.repeat(60)}}`;
      const res = await server.gql(`{ ${'...F '.repeat(100)}} ${fragment}`, {}, { token: user.accessToken });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.['reason']).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.data).toBeUndefined();
      expect(findUser).not.toHaveBeenCalled();
    });

    it('still answers an ordinary query', async () => {
      const res = await server.gql<{ me: { id: string } }>(`{ me { id } }`, {}, { token: user.accessToken });
      expect(res.data?.me.id).toBe(user.id);
    });
  });

  describe('control characters in string arguments', () => {
    it.each([
      ['a NUL', '\u0000'],
      ['a bell', '\u0007'],
      ['an escape', '\u001b'],
    ])('refuses %s in a variable with BAD_USER_INPUT, and stores nothing', async (_what, control) => {
      const email = uniqueEmail();
      const res = await server.gql(SIGN_UP, { email, password: 'long enough password', name: `Ada${control}` });
      expect(res.status).toBe(400);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(/^Variable \$name contains a control character/);
      expect(res.data).toBeUndefined();
      expect(await userCount(server, email)).toBe(0);
    });

    it('refuses an escaped NUL in a literal argument', async () => {
      const email = uniqueEmail();
      const res = await server.gql(
        `mutation { signUp(email: "${email}", password: "long enough\\u0000password", name: "N") { accessToken } }`,
      );
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(await userCount(server, email)).toBe(0);
    });

    it('accepts tabs and line breaks in free text', async () => {
      const res = await server.gql<{ createApiKey: { apiKey: { description: string } } }>(
        `mutation($workspaceId: ID!, $input: CreateApiKeyInput!) {
          createApiKey(workspaceId: $workspaceId, input: $input) { apiKey { description } }
        }`,
        {
          workspaceId: user.personalWorkspaceId,
          input: { name: 'Nightly', role: 'VIEWER', description: 'line one\nline two\tand a tab' },
        },
        { token: user.accessToken },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.createApiKey.apiKey.description).toBe('line one\nline two\tand a tab');
    });
  });

  it('answers a failed input check with the field and its rules, never the values sent', async () => {
    const password = 'my very secret password';
    const res = await server.gql(SIGN_UP, { email: `${'a'.repeat(400)}@example.test`, password, name: 'N' });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.['validationErrors']).toEqual([
      { property: 'email', constraints: { maxLength: expect.any(String) } },
    ]);
    expect(JSON.stringify(res.errors)).not.toContain(password);
    expect(JSON.stringify(res.errors)).not.toContain('aaaa');
  });

  it('sends no extensions.http to clients (the status is set, the extension stays inside)', async () => {
    const res = await server.gql(`{ me { id } }`, {}, { token: 'not-a-jwt' });
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('takes only API keys in X-API-Key: a user token there is UNAUTHENTICATED', async () => {
    const res = await server.gql(`{ me { id } }`, {}, { headers: { 'x-api-key': user.accessToken } });
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.data ?? null).toBeNull();
    const bearer = await server.gql<{ me: { id: string } }>(`{ me { id } }`, {}, { token: user.accessToken });
    expect(bearer.data?.me.id).toBe(user.id);
  });

  it('still suggests names while developing', async () => {
    const res = await server.gql(`{ workspacs { id } }`);
    expect(res.errors?.[0]?.message).toMatch(/Did you mean .*"workspaces"/);
  });
});

describe('in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(() => server.close());

  it('gives anonymous callers no "Did you mean …" to rebuild the schema from', async () => {
    const field = await server.gql(`{ workspacs { id } }`);
    expect(codeOf(field)).toBe('BAD_USER_INPUT');
    expect(field.errors?.[0]?.message).toBe('Cannot query field "workspacs" on type "Query".');

    const input = await server.gql(
      `mutation($workspaceId: ID!, $input: CreateApiKeyInput!) { createApiKey(workspaceId: $workspaceId, input: $input) { secret } }`,
      { workspaceId: 'w', input: { nmae: 'k', role: 'VIEWR' } },
    );
    expect(codeOf(input)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(input.errors)).not.toMatch(/Did you mean|"name"|"VIEWER"/);
  });
});

describe('logs', () => {
  let tally: Tally;
  let url: string;
  let drop: () => Promise<void>;
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const sink = jsonLogSink(lines);
    const database = await createTestDatabase();
    drop = () => database.drop();
    // At debug: the request line (`incoming request`) is written at debug only.
    const config = testConfig(database.url, { LOG_LEVEL: 'debug', NODE_ENV: 'production' });
    tally = await createTally(config, { logger: createLogger(config, sink) });
    url = await tally.listen();
  });
  afterAll(async () => {
    await tally.close();
    await drop();
  });

  it('write request URLs without their query string', async () => {
    lines.length = 0;
    await fetch(`${url}/graphql?query=${encodeURIComponent('{ __typename }')}&password=hunter2&token=abc`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    const requests = lines.filter((line) => line['msg'] === 'incoming request');
    expect(requests).toEqual([expect.objectContaining({ req: expect.objectContaining({ url: '/graphql' }) })]);
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|token=|__typename/);
  });

  it("never write a failed query's SQL, parameters or failing row (the new user's email and password hash)", async () => {
    lines.length = 0;
    const email = uniqueEmail();
    await tally.db.query('ALTER TABLE users ADD CONSTRAINT refuse_all CHECK (false) NOT VALID');
    try {
      const res = await gqlRequest(url, SIGN_UP, { email, password: 'long enough password', name: 'Logged Name' });
      expect(codeOf(res)).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await tally.db.query('ALTER TABLE users DROP CONSTRAINT refuse_all');
    }
    const errors = lines.filter((line) => line['level'] === 50);
    expect(errors).toEqual([
      expect.objectContaining({
        msg: 'unhandled GraphQL error',
        err: expect.objectContaining({ message: expect.stringMatching(/refuse_all/), code: '23514' }),
      }),
    ]);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(email);
    expect(logged).not.toMatch(/Logged Name|Failing row|INSERT|"parameters"|"query"/);
  });
});
