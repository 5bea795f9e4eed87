import { useDashboard } from './browser';

const dashboard = useDashboard();

describe('/graphql in a browser', () => {
  it('explains itself when Apollo Sandbox cannot be loaded, and links to the schema', async () => {
    const page = await dashboard.newPage();
    // As offline: Apollo's CDN cannot be reached.
    await page.route('https://embeddable-sandbox.cdn.apollographql.com/**', (route) => route.abort());
    await page.goto('/graphql', { waitUntil: 'load' });
    await page.getByRole('heading', { name: 'Apollo Sandbox could not be loaded' }).waitFor();
    await expect(page.title()).resolves.toBe('GraphQL · Tally');
    const body = await page.locator('main').innerText();
    expect(body).toContain('embeddable-sandbox.cdn.apollographql.com');
    expect(body).toContain(`POST ${dashboard.server.url}/graphql`);
    const link = page.getByRole('link', { name: '/graphql/schema.graphql' });
    expect(await link.getAttribute('href')).toBe('/graphql/schema.graphql');
    const schema = await page.request.get('/graphql/schema.graphql');
    expect(schema.status()).toBe(200);
    const sdl = await schema.text();
    expect(sdl).toContain('type Query');
    expect(sdl).toContain('@requiresScopes');
    await page.context().close();
  });
});
