import { API_KEY_ROLES, type ApiKeyRole, Scope, can, scopesFor } from '@tally/shared';
import { createUser, createKey } from '@tally/server-test/factories';
import { type TestServer, startTestServer } from '@tally/server-test/harness';
import { KEY_PLACEHOLDER, WORKSPACE_QUERY, apiKeyExample, ingestCurl } from '../src/modules/api-keys/api-key-example';

/** The request a curl example of ours stands for: method, URL, headers and body. */
function parseCurl(curl: string): { method: string; url: string; headers: Record<string, string>; body: string } {
  const target = /^curl -X (\w+) (\S+)/.exec(curl);
  const body = / -d '(.*)'$/.exec(curl)?.[1];
  if (!target?.[1] || !target[2] || body === undefined) throw new Error(`not one of our curl examples: ${curl}`);
  const headers: Record<string, string> = {};
  for (const [, quoted1, quoted2] of curl.matchAll(/ -H (?:"([^"]*)"|'([^']*)')/g)) {
    const header = quoted1 ?? quoted2 ?? '';
    const colon = header.indexOf(':');
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return { method: target[1], url: target[2], headers, body };
}

describe('the example shown after creating a key fits its role', () => {
  it.each(API_KEY_ROLES)('a %s key gets an example its scopes allow', (role) => {
    const example = apiKeyExample(role, 'https://tally.example');
    const scopes = scopesFor({ kind: 'apiKey', role });
    expect(example).not.toBeNull();
    expect(can(scopes, example?.scope ?? Scope.AUDIT_READ)).toBe(true);
    // Keys that may read the workspace get a query they can run now; the others the ingest request.
    expect(example?.kind).toBe(can(scopes, Scope.WORKSPACE_READ) ? 'query' : 'ingest');
  });

  it('carries the real secret when it is given (the shown-once dialog)', () => {
    const secret = `tly_${'a'.repeat(49)}`;
    for (const role of API_KEY_ROLES) {
      const example = apiKeyExample(role, 'https://tally.example', secret);
      expect(example?.curl).toContain(`Bearer ${secret}"`);
      expect(example?.curl).not.toContain(KEY_PLACEHOLDER);
    }
  });

  it('is the README curl for the first event', () => {
    expect(ingestCurl('http://localhost:4000')).toBe(
      `curl -X POST http://localhost:4000/v1/events -H "authorization: Bearer tly_…" -H 'content-type: application/json' -d '{"events":[{"sessionId":"s1","name":"signup","type":"custom"}]}'`,
    );
  });
});

describe("each role's example, run against a real Tally with a key of that role", () => {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function keyOf(role: ApiKeyRole): Promise<{ secret: string; workspaceId: string }> {
    if (!server) throw new Error('the server starts in beforeAll');
    const owner = await createUser(server);
    const { secret } = await createKey(server, owner, owner.personalWorkspaceId, { name: `${role} example`, role });
    return { secret, workspaceId: owner.personalWorkspaceId };
  }

  it.each(API_KEY_ROLES)("a %s key's example works with that key", async (role) => {
    if (!server) throw new Error('the server starts in beforeAll');
    const { secret, workspaceId } = await keyOf(role);
    const example = apiKeyExample(role, server.url);
    if (!example) throw new Error(`no example for ${role}`);
    const request = parseCurl(example.curl.replace(KEY_PLACEHOLDER, secret));
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });

    if (example.kind === 'query') {
      const body = (await response.json()) as { data?: { workspace?: { id: string } }; errors?: unknown[] };
      expect(response.status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data?.workspace?.id).toBe(workspaceId);
    } else {
      // The event is accepted.
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ accepted: 1 });
      // And the query example would indeed be refused to this key: that is why it gets this one.
      const query = await server.gql(WORKSPACE_QUERY, {}, { token: secret });
      expect(query.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');
    }
  });
});
