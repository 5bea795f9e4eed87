import { startTestServer } from './harness';

describe('/graphql for browsers', () => {
  it.each([
    ['development', 'test', 200, '/graphql/schema.graphql'],
    ['production', 'production', 404, 'packages/server/schema.graphql'],
  ])(
    'in %s: the landing page points at the schema; the SDL file is served only without the introspection gate',
    async (_label, env, status, hint) => {
      const server = await startTestServer({ NODE_ENV: env });
      try {
        const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain('Apollo Sandbox could not be loaded');
        expect(html).toContain(hint);
        expect(html).toContain('runTelemetry: false');
        const sdl = await fetch(`${server.url}/graphql/schema.graphql`);
        expect(sdl.status).toBe(status);
        if (status === 200) expect(await sdl.text()).toContain('directive @requiresScopes');
      } finally {
        await server.close();
      }
    },
  );
});
