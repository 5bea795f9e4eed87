import { randomUUID } from 'node:crypto';
import { createKey, createTeamWithMembers, createUser } from '@tally/server-test/factories';
import { join } from 'node:path';
import { RESULTS_DIR, logIn, useDashboard } from './browser';

// Per-key usage in the browser: real events, a refused batch and GraphQL requests sent with a
// key show in its row ("Events, 7 days") and in its Usage drawer; an owner lowers its limit there
// and the next batch over it is refused (429); a viewer sees the limits but no form.

const dashboard = useDashboard();
jest.setTimeout(120_000);

async function send(secret: string, body: unknown): Promise<number> {
  const response = await fetch(`${dashboard.server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.text();
  return response.status;
}

const events = (n: number) => ({
  events: Array.from({ length: n }, () => ({ sessionId: `s-${randomUUID()}`, name: 'search_docs' })),
});

describe('API key usage in Chromium', () => {
  it('shows real counts in the row and the drawer, and an owner lowers the limit', async () => {
    const server = dashboard.server;
    const owner = await createUser(server, { name: 'Ada Lovelace' });
    const viewer = await createUser(server, { name: 'Grace Hopper' });
    const teamName = `Usage Team ${owner.id.slice(0, 6)}`;
    const teamId = await createTeamWithMembers(server, teamName, [
      { user: owner, role: 'OWNER' },
      { user: viewer, role: 'VIEWER' },
    ]);
    const key = await createKey(server, owner, teamId, { name: 'Ingest pipeline', role: 'EDITOR' });
    await createKey(server, owner, teamId, { name: 'Idle reporter', role: 'VIEWER' });
    expect(await send(key.secret, events(4))).toBe(202);
    expect(await send(key.secret, events(3))).toBe(202);
    expect(await send(key.secret, { events: [{ name: 'no session' }] })).toBe(400);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ workspace { id } }' }),
      });
      expect(res.status).toBe(200);
    }
    await server.tally.services.apiKeyUsage.flush();

    const page = await dashboard.newPage();
    await logIn(page, owner);
    await page.goto(`/w/${teamId}/api-keys`);
    const table = page.getByRole('table', { name: 'API keys' });
    await table.waitFor();
    const row = table.getByRole('row').filter({ hasText: 'Ingest pipeline' });
    await row.getByRole('cell', { name: '7', exact: true }).waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'api-key-usage-list.png') });

    await page.getByRole('button', { name: 'Usage of Ingest pipeline' }).click();
    const drawer = page.getByRole('dialog', { name: 'Usage of Ingest pipeline' });
    const figure = (label: string) =>
      drawer.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]');
    await figure('Events accepted').getByText('7', { exact: true }).waitFor();
    expect(await figure('Batches refused: invalid').textContent()).toBe('1');
    expect(await figure('Batches refused: rate limit').textContent()).toBe('0');
    expect(await figure('GraphQL requests').textContent()).toBe('2');
    await drawer.getByText('Events accepted per day').waitFor();
    await drawer.getByText('Server defaults').waitFor();

    await drawer.getByLabel('Events per minute').fill('8');
    await drawer.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Limits saved').waitFor();
    await drawer.getByText('Set for this key').waitFor();
    await figure('Events per minute').getByText('8', { exact: true }).waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'api-key-usage-drawer.png') });

    // Taken at once: 7 already this minute (or 0 in a new one), then one batch over the limit.
    let status = await send(key.secret, events(1));
    if (status === 202) status = await send(key.secret, events(8));
    expect(status).toBe(429);
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
    await page.context().close();

    // A viewer reads the usage and the limits, with no form to change them.
    const viewing = await dashboard.newPage();
    await logIn(viewing, viewer);
    await viewing.goto(`/w/${teamId}/api-keys`);
    await viewing.getByRole('button', { name: 'Usage of Ingest pipeline' }).click();
    const seen = viewing.getByRole('dialog', { name: 'Usage of Ingest pipeline' });
    await seen.getByText('Set for this key').waitFor();
    expect(await seen.getByRole('button', { name: 'Save limits' }).count()).toBe(0);
    await viewing.context().close();
  });
});
