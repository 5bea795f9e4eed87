import { createUser, SIGN_UP, uniqueEmail } from './factories';
import { codeOf, startTestServer, type TestServer } from './harness';

const INTROSPECTION = `{ __schema { queryType { name } types { name } } }`;

describe('in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(() => server.close());

  it('refuses anonymous introspection with UNAUTHENTICATED and reveals no type', async () => {
    const res = await server.gql(INTROSPECTION);
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.data ?? null).toBeNull();
  });

  it('refuses a __type probe too', async () => {
    const res = await server.gql(`{ __type(name: "Workspace") { fields { name } } }`);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it('allows introspection with a credential', async () => {
    const user = await createUser(server);
    const res = await server.gql<{ __schema: { queryType: { name: string } } }>(
      INTROSPECTION,
      {},
      { token: user.accessToken },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.__schema.queryType.name).toBe('Query');
  });

  it('allows __typename without a credential (it is not introspection of the schema)', async () => {
    const res = await server.gql(`{ __typename }`);
    expect(res.data).toEqual({ __typename: 'Query' });
  });

  it('masks unexpected errors: no message, stack or SQL leaves the server', async () => {
    await server.tally.db.query('ALTER TABLE refresh_tokens RENAME TO refresh_tokens_gone');
    try {
      const res = await server.gql(SIGN_UP, { email: uniqueEmail(), password: 'long enough password', name: 'N' });
      expect(res.errors).toHaveLength(1);
      expect(res.errors?.[0]).toEqual({
        message: 'Internal server error.',
        path: ['signUp'],
        locations: expect.any(Array),
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(res)).not.toMatch(/refresh_tokens|relation|INSERT|stack|at /i);
    } finally {
      await server.tally.db.query('ALTER TABLE refresh_tokens_gone RENAME TO refresh_tokens');
    }
  });

  it('answers a malformed or oversized body on /graphql in GraphQL’s shape', async () => {
    const post = (body: string) =>
      fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const malformed = await post('{"query": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      errors: [{ message: expect.stringMatching(/not valid JSON/), extensions: { code: 'BAD_USER_INPUT' } }],
    });
    const oversized = await post(JSON.stringify({ query: `{ __typename }${' '.repeat(1_100_000)}` }));
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toEqual({
      errors: [{ message: expect.stringMatching(/too large/), extensions: { code: 'BAD_USER_INPUT' } }],
    });
  });

  it('keeps expected errors readable', async () => {
    const res = await server.gql(SIGN_UP, { email: 'nope', password: 'long enough password', name: 'N' });
    expect(res.errors?.[0]?.message).toBe('Enter a valid email address.');
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
  });
});

describe('in development', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'development' });
  });
  afterAll(() => server.close());

  it('opens introspection to anonymous callers', async () => {
    const res = await server.gql<{ __schema: { queryType: { name: string } } }>(INTROSPECTION);
    expect(res.data?.__schema.queryType.name).toBe('Query');
  });

  it('shows the real message of an unexpected error, still coded INTERNAL_SERVER_ERROR', async () => {
    await server.tally.db.query('ALTER TABLE refresh_tokens RENAME TO refresh_tokens_gone');
    try {
      const res = await server.gql(SIGN_UP, { email: uniqueEmail(), password: 'long enough password', name: 'N' });
      expect(codeOf(res)).toBe('INTERNAL_SERVER_ERROR');
      expect(res.errors?.[0]?.message).toMatch(/refresh_tokens/);
    } finally {
      await server.tally.db.query('ALTER TABLE refresh_tokens_gone RENAME TO refresh_tokens');
    }
  });

  it('serves the Apollo Sandbox landing page at /graphql to a browser', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/sandbox/i);
  });

  it('has CSRF prevention: a simple GET query without a preflight header is refused', async () => {
    const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
    const allowed = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(await allowed.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('admits the dashboard’s origin and Apollo Studio through CORS, and no one else', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });
    const studio = await preflight('https://studio.apollographql.com');
    expect(studio.headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
    const own = await preflight(new URL(server.tally.config.publicUrl).origin);
    expect(own.headers.get('access-control-allow-origin')).toBe(new URL(server.tally.config.publicUrl).origin);
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('does CORS only for requests with an Origin, and says Vary: Origin on every response', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const own = new URL(server.tally.config.publicUrl).origin;
    const withOrigin = await post({ origin: own });
    expect(withOrigin.headers.get('access-control-allow-origin')).toBe(own);
    expect(withOrigin.headers.get('access-control-allow-credentials')).toBe('true');
    expect(withOrigin.headers.get('vary')).toBe('Origin');
    const evil = await post({ origin: 'https://evil.example' });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const without = await post({});
    expect(await without.json()).toEqual({ data: { __typename: 'Query' } });
    expect(without.headers.get('vary')).toBe('Origin');
    expect([...without.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    for (const path of ['/healthz', '/v1/nothing']) {
      expect((await fetch(`${server.url}${path}`)).headers.get('vary')).toBe('Origin');
    }
  });

  it('tells caches to store no GraphQL answer, a success or an error', async () => {
    const ok = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const invalid = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ noSuchField }' }),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses batched HTTP arrays', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/batch/i);
  });

  it('refuses a query over the cost limit with BAD_USER_INPUT before running it', async () => {
    const fields = Array.from({ length: 2600 }, (_, i) => `a${i}: me { id }`).join(' ');
    const user = await createUser(server);
    const res = await server.gql(`{ ${fields} }`, {}, { token: user.accessToken });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.['maxComplexity']).toBe(5000);
    expect(res.data ?? null).toBeNull();
  });

  it('refuses fragment bombs (recursive selection limit)', async () => {
    const levels = 26;
    const fragments = [`fragment F0 on __Type { name }`];
    for (let i = 1; i <= levels; i += 1)
      fragments.push(`fragment F${i} on __Type { ...F${i - 1} ofType { ...F${i - 1} } }`);
    const query = `{ __type(name: "Query") { ...F${levels} } } ${fragments.join(' ')}`;
    const res = await server.gql(query);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.data ?? null).toBeNull();
  });

  it('answers malformed queries with BAD_USER_INPUT', async () => {
    const res = await server.gql(`{ me { `);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    const unknown = await server.gql(`{ nope }`);
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
  });
});
