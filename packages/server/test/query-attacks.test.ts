import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYTICS_LIMITS, LIMITS } from '@tally/shared';
import {
  buildSchema,
  getNullableType,
  type GraphQLInputType,
  isInputObjectType,
  isListType,
  isObjectType,
} from 'graphql';
import { postEvents } from './analytics-fixtures';
import { createRoleTeam, type RoleTeam, createKeySecret } from './factories';
import { codeOf, startTestServer, type TestServer } from './harness';

/**
 * Issue 11, item 5: documents built to cost the server much (deep, costly, alias fans, recursive
 * fragments, introspection fan-out) are refused before anything runs — no resolver, no write —
 * and every list a caller can send or ask for has a cap that is enforced.
 * (Big alias and fragment documents of queries, the 413 and the malformed-JSON 400 are in
 * graphql-hardening.test.ts and graphql-hygiene.test.ts.)
 */

let server: TestServer;
let team: RoleTeam;
const RANGE = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() };

beforeAll(async () => {
  server = await startTestServer({ NODE_ENV: 'production' });
  team = await createRoleTeam(server, 'Attacked Team');
});
afterAll(() => server.close());
afterEach(() => jest.restoreAllMocks());

async function counts(): Promise<Record<string, number>> {
  const rows: Array<Record<string, string>> = await server.tally.db.query(
    `SELECT (SELECT count(*) FROM workspaces) AS workspaces, (SELECT count(*) FROM annotations) AS annotations,
            (SELECT count(*) FROM audit_entries) AS audit, (SELECT count(*) FROM members) AS members`,
  );
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

/** Sends `query` as the team's OWNER and checks that it was refused with `code` and wrote nothing. */
async function expectRefusedBeforeExecution(
  query: string,
  expected: { code: string; message?: RegExp; variables?: Record<string, unknown> },
): Promise<void> {
  const createTeam = jest.spyOn(server.tally.services.workspaces, 'createTeam');
  const before = await counts();
  const res = await server.gql(query, expected.variables ?? {}, { token: team.owner.accessToken });
  expect(res.status).toBe(400);
  expect(codeOf(res)).toBe(expected.code);
  if (expected.message) expect(res.errors?.[0]?.message).toMatch(expected.message);
  expect(res.data ?? null).toBeNull();
  expect(createTeam).not.toHaveBeenCalled();
  expect(await counts()).toEqual(before);
}

describe('attacks refused before execution', () => {
  it('a costly selection under a mutation: no team is created', async () => {
    await expectRefusedBeforeExecution(
      `mutation($range: DateRangeInput!) { createTeam(name: "Costly ${randomUUID()}") {
        analytics(range: $range) { sessions(first: 100) { nodes { events(first: 100) { nodes { id name type } } } } }
      } }`,
      { code: 'BAD_USER_INPUT', message: /costs \d+, more than the limit/, variables: { range: RANGE } },
    );
  });

  it.each([101, 1000])('an alias fan of %i mutations: none of them runs', async (count) => {
    const annotate = jest.spyOn(server.tally.services.annotations, 'create');
    const fan = Array.from({ length: count }, (_, i) => `a${i}: createAnnotation(workspaceId: $w, input: $i) { id }`);
    await expectRefusedBeforeExecution(`mutation($w: ID!, $i: AnnotationInput!) { ${fan.join(' ')} }`, {
      code: 'BAD_USER_INPUT',
      message: /costs \d+, more than the limit/,
      variables: { w: team.teamId, i: { at: RANGE.to, text: 'fan' } },
    });
    expect(annotate).not.toHaveBeenCalled();
  });

  it('a few mutations in one operation still run', async () => {
    const fan = Array.from({ length: 5 }, (_, i) => `a${i}: createAnnotation(workspaceId: $w, input: $i) { id }`);
    const res = await server.gql<Record<string, { id: string }>>(
      `mutation($w: ID!, $i: AnnotationInput!) { ${fan.join(' ')} }`,
      { w: team.teamId, i: { at: RANGE.to, text: 'five' } },
      { token: team.owner.accessToken },
    );
    expect(res.errors).toBeUndefined();
    expect(Object.keys(res.data ?? {})).toHaveLength(5);
  });

  it.each([
    ['a fragment spreading itself', `fragment W on Workspace { id ...W }`],
    ['two fragments spreading each other', `fragment W on Workspace { id ...V } fragment V on Workspace { name ...W }`],
  ])('%s: refused while validating, no team created', async (_what, fragments) => {
    await expectRefusedBeforeExecution(`mutation { createTeam(name: "Loop ${randomUUID()}") { ...W } } ${fragments}`, {
      code: 'BAD_USER_INPUT',
      message: /Cannot spread fragment "[WV]" within itself/,
    });
  });

  it('introspection fanning out (fields of the types of fields …) is refused, the rest of the query unrun', async () => {
    const findUser = jest.spyOn(server.tally.services.accounts, 'findUser');
    const res = await server.gql(
      `{ me { id } __schema { types { fields { type { ofType { fields { type { ofType { fields { name } } } } } } } } } }`,
      {},
      { token: team.owner.accessToken },
    );
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    // graphql-js's MaxIntrospectionDepthRule (Apollo runs it): graphql-depth-limit skips `__` fields.
    expect(res.errors?.[0]?.message).toBe('Maximum introspection depth exceeded');
    expect(res.data ?? null).toBeNull();
    expect(findUser).not.toHaveBeenCalled();
  });

  it('also when the fan-out hides in fragments', async () => {
    const res = await server.gql(
      `{ __type(name: "Workspace") { ...T } } fragment T on __Type { fields { type { ...U } } }
       fragment U on __Type { fields { args { type { fields { name } } } } }`,
      {},
      { token: team.owner.accessToken },
    );
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.data ?? null).toBeNull();
  });

  it('still answers the standard introspection query (Sandbox, Studio, codegen)', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const res = await server.gql<{ __schema: { types: unknown[] } }>(
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }),
      {},
      { token: team.owner.accessToken },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.__schema.types.length).toBeGreaterThan(20);
  });
});

// ---- list caps --------------------------------------------------------------------------------

/**
 * Every list-typed argument and input field, with its cap. A new one fails the schema walk
 * below until it is capped in the code and listed here, where its cap is then proven.
 */
const LIST_INPUT_CAPS: Record<string, number> = {
  'EventFilterInput.names': ANALYTICS_LIMITS.filterValues,
  'EventFilterInput.types': ANALYTICS_LIMITS.filterValues,
  'EventFilterInput.userIds': ANALYTICS_LIMITS.filterValues,
  'EventFilterInput.properties': ANALYTICS_LIMITS.filterProperties,
  'CreateApiKeyInput.allowedIps': LIMITS.apiKeyAllowlistMaxEntries,
  'Mutation.setApiKeyAllowedIps(allowedIps)': LIMITS.apiKeyAllowlistMaxEntries,
};

/** Every page-size argument (an Int named first or limit) of a list field, with its cap. */
const PAGE_SIZE_CAPS: Record<string, number> = {
  'Workspace.auditLog(first)': 100,
  'Analytics.sessions(first)': 100,
  'Analytics.toolsUsage(limit)': 500,
  'Analytics.activity(first)': 100,
  'Analytics.breakdown(limit)': 100,
  'Session.events(first)': 100,
};

/** Whether a caller sends a list here (`[T]`, `[T!]!`, …). */
function isList(type: GraphQLInputType): boolean {
  return isListType(getNullableType(type));
}

describe('every list argument is capped', () => {
  it('the schema has no list-typed argument or input field, and no page-size argument, without a proven cap', () => {
    // The printed schema is the code's (schema.test.ts fails on drift).
    const schema = buildSchema(readFileSync(join(__dirname, '../schema.graphql'), 'utf8'));
    const lists: string[] = [];
    const pageSizes: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (isList(field.type)) lists.push(`${type.name}.${field.name}`);
        }
      }
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          for (const arg of field.args) {
            if (isList(arg.type)) lists.push(`${type.name}.${field.name}(${arg.name})`);
            if (/^(first|last|limit|take|size|count)$/.test(arg.name)) {
              pageSizes.push(`${type.name}.${field.name}(${arg.name})`);
            }
          }
        }
      }
    }
    expect(lists.sort()).toEqual(Object.keys(LIST_INPUT_CAPS).sort());
    expect(pageSizes.sort()).toEqual(Object.keys(PAGE_SIZE_CAPS).sort());
  });

  const ANALYTICS_FILTER = `query($w: ID!, $range: DateRangeInput!, $filter: EventFilterInput) {
    workspace(id: $w) { analytics(range: $range, filter: $filter) { overview { events } } }
  }`;
  const SAVE_FILTER = `mutation($w: ID!, $input: SavedFilterInput!) { createSavedFilter(workspaceId: $w, input: $input) { id } }`;

  function listOf(field: string, length: number): unknown[] {
    if (field === 'properties') {
      return Array.from({ length }, (_, i) => ({ key: `k${i}`, op: 'EQ', value: 'v' }));
    }
    return Array.from({ length }, (_, i) => `value ${i}`);
  }

  it.each(Object.entries(LIST_INPUT_CAPS).filter(([path]) => path.startsWith('EventFilterInput.')))(
    '%s: %i items are taken, one more is BAD_USER_INPUT',
    async (path, cap) => {
      const field = path.split('.')[1] ?? '';
      const filter = (n: number) => ({ [field]: listOf(field, n) });
      const token = team.owner.accessToken;
      const within = await server.gql(
        ANALYTICS_FILTER,
        { w: team.teamId, range: RANGE, filter: filter(cap) },
        { token },
      );
      expect(within.errors).toBeUndefined();
      const over = await server.gql(
        ANALYTICS_FILTER,
        { w: team.teamId, range: RANGE, filter: filter(cap + 1) },
        { token },
      );
      expect(codeOf(over)).toBe('BAD_USER_INPUT');
      expect(over.data?.['workspace'] ?? null).toBeNull();

      // The same cap where the filter is stored: nothing is saved.
      const name = `Capped ${randomUUID()}`;
      const saved = await server.gql(
        SAVE_FILTER,
        { w: team.teamId, input: { name, filter: filter(cap + 1) } },
        { token },
      );
      expect(codeOf(saved)).toBe('BAD_USER_INPUT');
      const rows: Array<{ n: string }> = await server.tally.db.query(
        'SELECT count(*) AS n FROM saved_filters WHERE name = $1',
        [name],
      );
      expect(Number(rows[0]?.n)).toBe(0);
    },
  );

  it('an API key allowlist: 50 addresses are taken, 51 are BAD_USER_INPUT and change nothing', async () => {
    const token = team.owner.accessToken;
    const addresses = (n: number) => Array.from({ length: n }, (_, i) => `10.1.${Math.floor(i / 250)}.${i % 250}`);
    const cap = LIMITS.apiKeyAllowlistMaxEntries;
    const create = (n: number) =>
      server.gql<{ createApiKey: { apiKey: { id: string; allowedIps: string[] } } }>(
        `mutation($w: ID!, $ips: [String!]) { createApiKey(workspaceId: $w, input: { name: "Listed", role: VIEWER, allowedIps: $ips }) { apiKey { id allowedIps } } }`,
        { w: team.teamId, ips: addresses(n) },
        { token },
      );
    const within = await create(cap);
    expect(within.data?.createApiKey.apiKey.allowedIps).toHaveLength(cap);
    const over = await create(cap + 1);
    expect(codeOf(over)).toBe('BAD_USER_INPUT');
    expect(over.errors?.[0]?.extensions?.field).toBe('allowedIps');
    const set = (n: number) =>
      server.gql(
        `mutation($w: ID!, $k: ID!, $ips: [String!]) { setApiKeyAllowedIps(workspaceId: $w, apiKeyId: $k, allowedIps: $ips) { id } }`,
        { w: team.teamId, k: within.data?.createApiKey.apiKey.id, ips: addresses(n).reverse() },
        { token },
      );
    expect(codeOf(await set(cap + 1))).toBe('BAD_USER_INPUT');
    const rows: Array<{ n: string }> = await server.tally.db.query(
      'SELECT count(*) AS n FROM api_keys WHERE workspace_id = $1 AND name = $2',
      [team.teamId, 'Listed'],
    );
    expect(Number(rows[0]?.n)).toBe(1);
    expect((await set(cap)).errors).toBeUndefined();
  });

  describe('page sizes', () => {
    const ROWS = 130;
    /** More event names than toolsUsage's cap of 500. */
    const NAMES = 510;
    let sessionId: string;
    beforeAll(async () => {
      // NAMES sessions and event names, ROWS events in one session, ROWS audit entries.
      const key = await createKeySecret(server, team.owner, team.teamId, 'EDITOR');
      sessionId = `s-${randomUUID()}`;
      const at = new Date(Date.now() - 3_600_000).toISOString();
      const events = [
        ...Array.from({ length: NAMES }, (_, i) => ({
          sessionId: `${sessionId}-${i}`,
          name: `tool ${i}`,
          timestamp: at,
          properties: { variant: `v${i}` },
        })),
        ...Array.from({ length: ROWS }, (_, i) => ({ sessionId, name: 'step', timestamp: at, durationMs: i })),
      ];
      const res = await postEvents(server, key, { events });
      expect(res.status).toBe(202);
      await server.tally.db.query(
        `INSERT INTO audit_entries (workspace_id, action, actor_name)
         SELECT $1, 'test.filler', 'filler' FROM generate_series(1, $2)`,
        [team.teamId, ROWS],
      );
    });

    it.each([
      [
        'Workspace.auditLog(first)',
        `{ workspace(id: $w) { auditLog(first: $n) { nodes { id } } } }`,
        ['workspace', 'auditLog'],
      ],
      [
        'Analytics.sessions(first)',
        `{ workspace(id: $w) { analytics(range: $range) { sessions(first: $n) { nodes { id } } } } }`,
        ['workspace', 'analytics', 'sessions'],
      ],
      [
        'Analytics.toolsUsage(limit)',
        `{ workspace(id: $w) { analytics(range: $range) { toolsUsage(limit: $n) { name } } } }`,
        ['workspace', 'analytics', 'toolsUsage'],
      ],
      [
        'Analytics.activity(first)',
        `{ workspace(id: $w) { analytics(range: $range) { activity(first: $n) { nodes { id } } } } }`,
        ['workspace', 'analytics', 'activity'],
      ],
      [
        'Analytics.breakdown(limit)',
        `{ workspace(id: $w) { analytics(range: $range) { breakdown(by: { property: "variant" }, limit: $n) { value } } } }`,
        ['workspace', 'analytics', 'breakdown'],
      ],
      [
        'Session.events(first)',
        `{ workspace(id: $w) { analytics(range: $range) { session(id: $s) { events(first: $n) { nodes { id } } } } } }`,
        ['workspace', 'analytics', 'session', 'events'],
      ],
    ])('%s: a page of a million gives at most the cap', async (name, selection, path) => {
      const cap = PAGE_SIZE_CAPS[name] ?? 0;
      const declared = ['$w: ID!', '$n: Int'];
      if (selection.includes('$range')) declared.push('$range: DateRangeInput!');
      if (selection.includes('$s')) declared.push('$s: ID!');
      const query = `query(${declared.join(', ')}) ${selection}`;
      const wide = { from: new Date(Date.now() - 2 * 86_400_000).toISOString(), to: new Date().toISOString() };
      const variables: Record<string, unknown> = { w: team.teamId };
      if (selection.includes('$range')) variables['range'] = wide;
      if (selection.includes('$s')) variables['s'] = sessionId;
      const res = await server.gql(query, { ...variables, n: 1_000_000 }, { token: team.owner.accessToken });
      expect(res.errors).toBeUndefined();
      let node: unknown = res.data;
      for (const key of path) node = (node as Record<string, unknown> | null)?.[key];
      const items = Array.isArray(node) ? node : (node as { nodes: unknown[] }).nodes;
      expect(items).toHaveLength(cap);
      const negative = await server.gql(query, { ...variables, n: -1 }, { token: team.owner.accessToken });
      expect(codeOf(negative)).toBe('BAD_USER_INPUT');
    });
  });
});
