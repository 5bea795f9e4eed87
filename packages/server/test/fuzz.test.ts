import { randomUUID } from 'node:crypto';
import { ErrorCode, isErrorCode } from '@tally/shared';
import fc from 'fast-check';
import { postEvents } from './analytics-fixtures';
import { createRoleTeam, type RoleTeam, SIGN_UP, createKeySecret } from './factories';
import { type GqlResponse, startTestServer, type TestServer } from './harness';

/**
 * Issue 11, item 5: fuzzing GraphQL variables and ingest bodies. A seed-fixed 500 cases in CI,
 * over 10,000 under `pnpm test:long` (TALLY_LONG=1). Whatever is sent: no 5xx, no
 * INTERNAL_SERVER_ERROR, no stack trace, no SQL in any message, every error carries a code from
 * the shared list (the ingest's 400 shape for /v1/events), and refused input writes nothing.
 */
const LONG = process.env.TALLY_LONG === '1';
const SEED = 11_05;
/** Cases per target: [CI, long]. The CI ones add up to 500, the long ones to 10,000. */
const RUNS = {
  signUp: [50, 1000],
  logIn: [40, 800],
  createApiKey: [50, 1000],
  inviteMember: [50, 1000],
  createSavedFilter: [50, 1000],
  analytics: [50, 1000],
  createAnnotation: [50, 1000],
  rawGraphqlBody: [60, 1200],
  ingest: [100, 2000],
} as const;
const runs = (target: keyof typeof RUNS): number => RUNS[target][LONG ? 1 : 0];

jest.setTimeout(LONG ? 3_600_000 : 120_000);

/** What SQL or a driver's error looks like; none of it may reach a client. */
const SQL_TEXT =
  /\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b|relation "|syntax error at|violates (unique|check|foreign key|not-null)|duplicate key|invalid input syntax|QueryFailedError|pg_/i;
/** A JavaScript stack frame. */
const STACK_FRAME = /\bat .+(\.ts|\.js):\d+|node_modules|stacktrace/i;

// ---- input generators -------------------------------------------------------------------------

/** Strings an attacker or a broken client sends. */
const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    "'; DROP TABLE users; --",
    "' OR '1'='1",
    '" OR ""="',
    '1; SELECT pg_sleep(10)',
    '\\',
    '%s%s%n',
    '${process.exit()}',
    '{{constructor.constructor("return process")()}}',
    '../../../../etc/passwd',
    '<script>alert(1)</script>',
    '\u202etxt.exe',
    '\ud800',
    '\u0000',
    '\u001b[31m',
    '💥'.repeat(300),
    'a'.repeat(5000),
    '__proto__',
    'constructor',
    'NaN',
    '-1',
    '1e309',
    '00000000-0000-0000-0000-000000000000',
    'tly_0000000000000000000000000000000000000000',
    '2026-02-30T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '-000001-01-01T00:00:00Z',
  ),
  fc.emailAddress(),
  fc.uuid(),
);

/** Any JSON value at all, sometimes in the wrong place. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, 0, -1),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(nastyString, { maxLength: 80 }),
);

/** A value that is usually of the right kind (so the input reaches the deeper checks), else anything. */
const usually = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: anyJson });

/** An object whose keys may each be left out, plus a stray key now and then. */
function loose(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.record(shape, { requiredKeys: [] }),
      fc.option(fc.tuple(nastyString, anyJson), { freq: 5, nil: undefined }),
    )
    .map(([object, stray]) => (stray ? { ...object, [stray[0]]: stray[1] } : object));
}

const isoDate = fc
  .date({ min: new Date('1999-06-01T00:00:00Z'), max: new Date('2028-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const recentDate = fc
  .date({ min: new Date(Date.now() - 40 * 86_400_000), max: new Date(), noInvalidDate: true })
  .map((d) => d.toISOString());
const password = fc.oneof(fc.string({ minLength: 10, maxLength: 40 }), nastyString);
const memberRole = fc.constantFrom('OWNER', 'ADMIN', 'EDITOR', 'VIEWER', 'viewer', 'ROOT');
const keyRole = fc.constantFrom('ADMIN', 'EDITOR', 'VIEWER', 'OWNER', 'admin');
const stringList = fc.array(nastyString, { maxLength: 60 });
const eventFilter = loose({
  names: usually(stringList),
  types: usually(stringList),
  userIds: usually(stringList),
  properties: usually(
    fc.array(
      loose({
        key: usually(nastyString),
        op: usually(fc.constantFrom('EQ', 'NEQ', 'CONTAINS', 'EXISTS', 'LIKE')),
        value: usually(nastyString),
      }),
      { maxLength: 14 },
    ),
  ),
});
const range = loose({ from: usually(isoDate), to: usually(isoDate) });

// ---- the server -------------------------------------------------------------------------------

let server: TestServer;
let team: RoleTeam;
let ingestKey: string;

beforeAll(async () => {
  server = await startTestServer({
    // Production: what clients see there is what matters (no stack traces, masked faults).
    NODE_ENV: 'production',
    // High limits, so fuzzed input reaches the deeper checks instead of RATE_LIMITED.
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000000',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
    INVITATIONS_PER_INVITER_PER_HOUR: '1000000',
    INVITATIONS_PER_WORKSPACE_PER_HOUR: '1000000',
    INVITATIONS_PER_EMAIL_PER_DAY: '1000000',
  });
  team = await createRoleTeam(server, 'Fuzz Team');
  ingestKey = await createKeySecret(server, team.owner, team.teamId, 'EDITOR');
}, 60_000);
afterAll(() => server.close());

const TABLES = [
  'users',
  'workspaces',
  'members',
  'api_keys',
  'invitations',
  'saved_filters',
  'annotations',
  'audit_entries',
  'refresh_tokens',
  'password_resets',
  'events',
  'sessions',
] as const;
type Counts = Record<(typeof TABLES)[number], number>;

async function rowCounts(): Promise<Counts> {
  const rows: Array<Record<string, string>> = await server.tally.db.query(
    `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ')}`,
  );
  const row = rows[0] ?? {};
  return Object.fromEntries(TABLES.map((t) => [t, Number(row[t])])) as Counts;
}

/** Every string (and key) in what was sent: messages may quote the input back, which is not a leak. */
function sentStrings(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) sentStrings(item, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, nested] of Object.entries(value)) {
      into.push(key);
      sentStrings(nested, into);
    }
  }
  return into;
}

/** `text` without the input it quotes back (as sent, and JSON-escaped). */
function withoutEcho(text: string, sent: unknown): string {
  let rest = text;
  const echoes = sentStrings(sent).filter((s) => s.length > 0);
  for (const echo of echoes.sort((a, b) => b.length - a.length)) {
    rest = rest.split(echo).join('').split(JSON.stringify(echo).slice(1, -1)).join('');
  }
  return rest;
}

/** The properties every GraphQL answer keeps, whatever was sent. */
function expectCleanGraphqlAnswer(res: GqlResponse<unknown>, sent: unknown): void {
  const context = { sent, status: res.status, errors: res.errors };
  expect({ ...context, serverError: res.status >= 500 }).toEqual({ ...context, serverError: false });
  for (const error of res.errors ?? []) {
    const code = error.extensions?.['code'];
    expect({ error, sharedCode: isErrorCode(code) }).toEqual({ error, sharedCode: true });
    expect({ code, sent }).not.toEqual({ code: ErrorCode.INTERNAL_SERVER_ERROR, sent });
    expect(withoutEcho(error.message, sent)).not.toMatch(SQL_TEXT);
  }
  const text = JSON.stringify(res.errors ?? []);
  expect(text).not.toMatch(STACK_FRAME);
}

/**
 * Runs `operation` with fuzzed variables; when the mutation's field is refused, nothing in the
 * database changed.
 */
async function fuzzOperation(
  target: keyof typeof RUNS,
  operation: string,
  field: string,
  variables: fc.Arbitrary<Record<string, unknown>>,
  options: { token?: string; writes: boolean } = { writes: true },
): Promise<void> {
  const token = options.token ?? team.owner.accessToken;
  await fc.assert(
    fc.asyncProperty(variables, async (vars) => {
      const before = options.writes ? await rowCounts() : undefined;
      const res = await server.gql<Record<string, unknown>>(operation, vars, { token });
      expectCleanGraphqlAnswer(res, vars);
      const refused = res.errors !== undefined && (res.data?.[field] ?? null) === null;
      if (before && refused) expect({ vars, counts: await rowCounts() }).toEqual({ vars, counts: before });
    }),
    { seed: SEED, numRuns: runs(target), endOnFailure: true },
  );
}

// ---- GraphQL variables -------------------------------------------------------------------------

describe('fuzzed GraphQL variables', () => {
  it('signUp', () =>
    fuzzOperation(
      'signUp',
      SIGN_UP,
      'signUp',
      loose({
        email: usually(fc.emailAddress().map((e) => `${randomUUID().slice(0, 6)}${e}`)),
        password: usually(password),
        name: usually(nastyString),
      }),
      { writes: true, token: '' },
    ));

  it('logIn', () =>
    fuzzOperation(
      'logIn',
      `mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { accessToken } }`,
      'logIn',
      loose({
        email: usually(fc.oneof(fc.constant(team.viewer.email), fc.emailAddress())),
        password: usually(password),
      }),
      { writes: true, token: '' },
    ));

  it('createApiKey', () =>
    fuzzOperation(
      'createApiKey',
      `mutation($workspaceId: ID!, $input: CreateApiKeyInput!) {
        createApiKey(workspaceId: $workspaceId, input: $input) { secret apiKey { id } }
      }`,
      'createApiKey',
      loose({
        workspaceId: usually(fc.constant(team.teamId)),
        input: usually(
          loose({
            name: usually(nastyString),
            description: usually(nastyString),
            role: usually(keyRole),
            expiresAt: usually(isoDate),
          }),
        ),
      }),
    ));

  it('inviteMember', () =>
    fuzzOperation(
      'inviteMember',
      `mutation($workspaceId: ID!, $email: String!, $role: MemberRole!) {
        inviteMember(workspaceId: $workspaceId, email: $email, role: $role) { id }
      }`,
      'inviteMember',
      loose({
        workspaceId: usually(fc.constantFrom(team.teamId, team.owner.personalWorkspaceId)),
        email: usually(fc.emailAddress()),
        role: usually(memberRole),
      }),
    ));

  it('createSavedFilter (EventFilterInput)', () =>
    fuzzOperation(
      'createSavedFilter',
      `mutation($workspaceId: ID!, $input: SavedFilterInput!) {
        createSavedFilter(workspaceId: $workspaceId, input: $input) { id filter }
      }`,
      'createSavedFilter',
      loose({
        workspaceId: usually(fc.constant(team.teamId)),
        input: usually(loose({ name: usually(nastyString), filter: usually(eventFilter) })),
      }),
    ));

  it('analytics (range, filter, interval, page sizes, cursors)', () =>
    fuzzOperation(
      'analytics',
      `query($w: ID, $range: DateRangeInput!, $filter: EventFilterInput, $saved: ID, $interval: Interval,
             $first: Int, $after: String, $limit: Int, $session: ID!) {
        workspace(id: $w) {
          analytics(range: $range, filter: $filter, savedFilterId: $saved) {
            overview(interval: $interval) { sessions events series { at } }
            toolsUsage(limit: $limit) { name count }
            sessions(first: $first, after: $after) { nodes { id } pageInfo { endCursor } }
            activity(first: $first, after: $after) { nodes { id } }
            session(id: $session) { id }
          }
        }
      }`,
      'workspace',
      loose({
        w: usually(fc.constant(team.teamId)),
        range: usually(range),
        filter: usually(eventFilter),
        saved: usually(fc.uuid()),
        interval: usually(fc.constantFrom('HOUR', 'DAY', 'WEEK')),
        first: usually(fc.integer({ min: -5, max: 2000 })),
        after: usually(
          fc.oneof(
            nastyString,
            fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
          ),
        ),
        limit: usually(fc.integer({ min: -5, max: 2000 })),
        session: usually(nastyString),
      }),
      { writes: false },
    ));

  it('createAnnotation', () =>
    fuzzOperation(
      'createAnnotation',
      `mutation($workspaceId: ID!, $input: AnnotationInput!) {
        createAnnotation(workspaceId: $workspaceId, input: $input) { id at text }
      }`,
      'createAnnotation',
      loose({
        workspaceId: usually(fc.constant(team.teamId)),
        input: usually(loose({ at: usually(isoDate), text: usually(nastyString) })),
      }),
    ));
});

/** `{ errors: [{ message, extensions: { code } }] }`, or null when the body has another shape. */
function graphqlErrors(body: unknown): Array<{ message: string; code: unknown }> | null {
  if (typeof body !== 'object' || body === null || !('errors' in body) || !Array.isArray(body.errors)) return null;
  const errors: Array<{ message: string; code: unknown }> = [];
  for (const error of body.errors as unknown[]) {
    if (typeof error !== 'object' || error === null || !('message' in error) || typeof error.message !== 'string') {
      return null;
    }
    const extensions = 'extensions' in error && typeof error.extensions === 'object' ? error.extensions : null;
    const code = extensions !== null && 'code' in extensions ? extensions.code : undefined;
    errors.push({ message: error.message, code });
  }
  return errors;
}

describe('found by the fuzzer', () => {
  it.each([
    ['signUp', SIGN_UP, { email: '\ud800', password: 'long enough password', name: 'N' }],
    [
      'inviteMember',
      `mutation($w: ID!, $e: String!) { inviteMember(workspaceId: $w, email: $e, role: VIEWER) { id } }`,
      { e: 'x\udc00@example.test' },
    ],
  ])(
    '%s: an unpaired surrogate in the email is BAD_USER_INPUT (validator threw "URI malformed": a 500)',
    async (_op, query, vars) => {
      const before = await rowCounts();
      const res = await server.gql(query, { w: team.teamId, ...vars }, { token: team.owner.accessToken });
      expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(await rowCounts()).toEqual(before);
    },
  );
});

describe('found in the second review (issue 16)', () => {
  it.each([
    ['an unused variable', `{ __typename }`, (deep: string) => `{"y":${deep}}`, 'y'],
    [
      'a filter',
      `query($w: ID!, $f: EventFilterInput) { workspace(id: $w) { analytics(range: { from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z" }, filter: $f) { overview { events } } } }`,
      (deep: string) => `{"w":"${team.teamId}","f":{"names":${deep}}}`,
      'f',
    ],
  ])(
    '%s nested 5,000 levels deep (10 KB) is BAD_USER_INPUT, 400: it overflowed the stack, a 500',
    async (_what, query, variables, name) => {
      const deep = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${team.owner.accessToken}` },
        body: `{"query":${JSON.stringify(query)},"variables":${variables(deep)}}`,
      });
      expect({ status: response.status, body: await response.json() }).toEqual({
        status: 400,
        body: {
          errors: [
            { message: `Variable $${name} nests deeper than 32 levels.`, extensions: { code: 'BAD_USER_INPUT' } },
          ],
        },
      });
    },
  );
});

// ---- raw request bodies ----------------------------------------------------------------------

describe('fuzzed /graphql request bodies', () => {
  const validBody = JSON.stringify({ query: '{ __typename }' });
  const body: fc.Arbitrary<string> = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    // A valid body cut short, or with one character replaced.
    fc.nat({ max: validBody.length - 1 }).map((n) => validBody.slice(0, n)),
    fc
      .tuple(fc.nat({ max: validBody.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }))
      .map(([n, c]) => validBody.slice(0, n) + c + validBody.slice(n + 1)),
    fc
      .record({ query: anyJson, variables: anyJson, operationName: anyJson, extensions: anyJson }, { requiredKeys: [] })
      .map((v) => JSON.stringify(v)),
    fc.constantFrom('[]', '[{"query":"{ __typename }"}]', '{"query":"{ __typename }","variables":"{"}', 'null', '""'),
  );

  it('get 200 or a GraphQL-shaped 4xx with a code from the shared list', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom('application/json', 'application/json; charset=utf-8'),
        async (raw, type) => {
          const response = await fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': type },
            body: raw,
          });
          const text = await response.text();
          const context = { raw, status: response.status, text: text.slice(0, 300) };
          expect({ ...context, ok: response.status < 500 }).toEqual({ ...context, ok: true });
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          if (response.status >= 400) {
            const errors = graphqlErrors(parsed);
            expect({ ...context, shaped: errors !== null && errors.length > 0 }).toEqual({ ...context, shaped: true });
            for (const error of errors ?? []) {
              expect({ ...context, error, shared: isErrorCode(error.code) }).toEqual({
                ...context,
                error,
                shared: true,
              });
            }
          }
          expect(text).not.toMatch(STACK_FRAME);
          expect(withoutEcho(text, raw)).not.toMatch(SQL_TEXT);
        },
      ),
      { seed: SEED, numRuns: runs('rawGraphqlBody'), endOnFailure: true },
    );
  });
});

// ---- POST /v1/events -------------------------------------------------------------------------

describe('fuzzed POST /v1/events bodies', () => {
  const event = loose({
    id: usually(fc.uuid()),
    sessionId: usually(fc.constantFrom('fuzz-a', 'fuzz-b', `fuzz-${randomUUID()}`)),
    name: usually(nastyString),
    type: usually(fc.constantFrom('custom', 'tool_call', 'pageview')),
    timestamp: usually(recentDate),
    userId: usually(nastyString),
    durationMs: usually(fc.double({ min: -10, max: 1e9, noNaN: true })),
    status: usually(fc.constantFrom('ok', 'error', 'OK')),
    properties: usually(fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 8 })),
  });
  const session = loose({
    id: usually(fc.constantFrom('fuzz-a', 'fuzz-b')),
    userId: usually(nastyString),
    attributes: usually(fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })),
  });
  const batch: fc.Arbitrary<unknown> = fc.oneof(
    {
      weight: 4,
      arbitrary: loose({
        events: usually(fc.array(event, { maxLength: 12 })),
        sessions: usually(fc.array(session, { maxLength: 3 })),
      }),
    },
    { weight: 1, arbitrary: anyJson },
  );

  async function eventCounts(): Promise<{ events: number; sessions: number }> {
    const rows: Array<{ events: string; sessions: string }> = await server.tally.db.query(
      `SELECT (SELECT count(*) FROM events WHERE workspace_id = $1) AS events,
              (SELECT count(*) FROM sessions WHERE workspace_id = $1) AS sessions`,
      [team.teamId],
    );
    return { events: Number(rows[0]?.events), sessions: Number(rows[0]?.sessions) };
  }

  it('get 202 with what was stored, or a 4xx in the ingest shape and nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(batch, async (body) => {
        const before = await eventCounts();
        const res = await postEvents(server, ingestKey, body);
        const after = await eventCounts();
        const context = { body, status: res.status, answer: res.body };
        expect({ ...context, known: [202, 400].includes(res.status) }).toEqual({ ...context, known: true });
        const text = JSON.stringify(res.body);
        expect(text).not.toMatch(STACK_FRAME);
        expect(withoutEcho(text, body)).not.toMatch(SQL_TEXT);
        if (res.status === 202) {
          const accepted = Number(res.body['accepted']);
          const duplicates = Number(res.body['duplicates'] ?? 0);
          expect({ ...context, stored: after.events - before.events }).toEqual({
            ...context,
            stored: accepted - duplicates,
          });
        } else {
          expect({ ...context, answer: res.body }).toEqual({
            ...context,
            answer: expect.objectContaining({ error: ErrorCode.BAD_USER_INPUT, message: expect.any(String) }),
          });
          expect({ ...context, after }).toEqual({ ...context, after: before });
        }
      }),
      { seed: SEED, numRuns: runs('ingest'), endOnFailure: true },
    );
  });
});
