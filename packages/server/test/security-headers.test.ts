import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestServer, startTestServer } from './harness';

/** The directives of a Content-Security-Policy header, by name. */
function directives(header: string | null): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) result.set(name, values);
  }
  return result;
}

const webDist = mkdtempSync(join(tmpdir(), 'tally-web-dist-'));
writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>Tally</title><div id="root"></div>');
afterAll(() => rmSync(webDist, { recursive: true, force: true }));

describe.each([
  ['http', 'http://tally.test:4000', false],
  ['https', 'https://tally.example.com', true],
])('security headers with an %s PUBLIC_URL', (_label, publicUrl, https) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PUBLIC_URL: publicUrl, WEB_DIST_DIR: webDist });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['the dashboard', '/', 'GET'],
    ['a dashboard route', '/w/some-team/overview', 'GET'],
    ['an unknown API path', '/v1/nothing', 'GET'],
    ['an unknown path', '/nothing.php', 'GET'],
  ])('on %s: the dashboard policy, nosniff, no referrer, no framing', async (_what, path, method) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { accept: 'text/html', 'content-type': 'application/json' },
      body: method === 'POST' ? '{}' : undefined,
    });
    const csp = directives(response.headers.get('content-security-policy'));
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('script-src-attr')).toEqual(["'none'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('frame-src')).toEqual(["'none'"]);
    // Apollo's origins are allowed on /graphql only.
    expect(response.headers.get('content-security-policy')).not.toContain('apollographql.com');
    expect(csp.has('upgrade-insecure-requests')).toBe(https);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const hsts = response.headers.get('strict-transport-security');
    if (https) expect(hsts).toBe('max-age=31536000; includeSubDomains');
    else expect(hsts).toBeNull();
  });

  it('on /graphql: the Sandbox policy, which allows exactly the inline script the page carries', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    const csp = directives(response.headers.get('content-security-policy'));
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
    expect(inline).toHaveLength(1);
    const hash = `'sha256-${createHash('sha256')
      .update(inline[0] ?? '')
      .digest('base64')}'`;
    expect(csp.get('script-src')).toEqual(["'self'", hash, 'https://embeddable-sandbox.cdn.apollographql.com']);
    // No inline handlers: the page loads Apollo's script from its inline one.
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect(csp.get('script-src-attr')).toEqual(["'none'"]);
    expect(csp.get('frame-src')).toEqual(['https://sandbox.embed.apollographql.com']);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.has('upgrade-insecure-requests')).toBe(https);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('strict-origin');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.has('strict-transport-security')).toBe(https);
  });

  /** The API's set: everything that protects an answer that is not rendered, nothing that acts only on documents. */
  function expectApiHeaders(headers: Headers): void {
    const csp = directives(headers.get('content-security-policy'));
    expect([...csp.keys()].sort()).toEqual(['default-src', 'frame-ancestors']);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(headers.get('vary')).toContain('Origin');
    const hsts = headers.get('strict-transport-security');
    if (https) expect(hsts).toBe('max-age=31536000; includeSubDomains');
    else expect(hsts).toBeNull();
    for (const documentOnly of [
      'cross-origin-opener-policy',
      'origin-agent-cluster',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
    ]) {
      expect(headers.has(documentOnly)).toBe(false);
    }
  }

  it('on GraphQL answers (the JSON of POST /graphql): the API set', async () => {
    const response = await server.gql('{ __typename }');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ __typename: 'Query' });
    expectApiHeaders(response.headers);
  });

  it.each([
    ['a health check', '/healthz', 'GET', 200],
    ['the readiness check', '/readyz', 'GET', 200],
    ['the ingest endpoint, refused', '/v1/events', 'POST', 401],
    ['the export endpoint, refused', '/v1/export/events', 'GET', 401],
    ['the schema as SDL', '/graphql/schema.graphql', 'GET', 200],
  ])('on %s: the API set', async (_what, path, method, status) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { accept: 'text/html', 'content-type': 'application/json' },
      body: method === 'POST' ? '{}' : undefined,
    });
    expect(response.status).toBe(status);
    expectApiHeaders(response.headers);
  });
});
