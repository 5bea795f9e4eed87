import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { uniqueEmail } from '@tally/server-test/factories';
import { RESULTS_DIR, useDashboard } from './browser';

const dashboard = useDashboard();
const newPage = () => dashboard.newPage();

async function signUp(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/signup');
  await page.getByLabel('Name').fill('Grace Hopper');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
}

describe('the dashboard in Chromium', () => {
  it('signs up, lands on Getting started, and shows the personal workspace and the navigation', async () => {
    const page = await newPage();
    const email = uniqueEmail('browser');
    await signUp(page, email, 'a long enough password');

    const selector = page.getByLabel('Workspace');
    await selector.waitFor();
    await expectSelected(page, 'Personal');
    // A new user lands on Getting started: a key, a first event, the team.
    await page.waitForURL(/\/w\/[^/]+\/getting-started$/);
    await page.getByRole('heading', { name: 'Getting started', level: 1 }).waitFor();
    for (const step of ['1. Create an API key', '2. Send a first event', '3. Invite your team']) {
      await page.getByRole('heading', { name: step, level: 2 }).waitFor();
    }
    const curl = await page.locator('main pre').first().textContent();
    expect(curl).toBe(
      `curl -X POST ${dashboard.server.url}/v1/events -H "authorization: Bearer tly_…" -H 'content-type: application/json' -d '{"events":[{"sessionId":"s1","name":"signup","type":"custom"}]}'`,
    );
    // Every page of the user guide's navigation is in the sidebar, after Getting started.
    const nav = page.getByRole('navigation', { name: 'Main' });
    const links = await nav.getByRole('link').allTextContents();
    expect(links.map((l) => l.trim())).toEqual([
      'Getting started',
      'Overview',
      'Sessions',
      'Tools & Usage',
      'Activity',
      'Teams',
      'API Keys',
      'Settings',
    ]);
    // The panel stays reachable: from another page, back through the sidebar.
    await nav.getByRole('link', { name: 'Teams', exact: true }).click();
    await page.getByRole('heading', { name: 'Teams', level: 1 }).waitFor();
    await nav.getByRole('link', { name: 'Getting started' }).click();
    await page.getByRole('heading', { name: 'Getting started', level: 1 }).waitFor();
    await page.screenshot({ path: join(RESULTS_DIR, 'signed-up.png'), fullPage: true });

    // The account really exists, with its personal workspace.
    const rows: Array<{ kind: string }> = await dashboard.server.tally.db.query(
      `SELECT w.kind FROM workspaces w JOIN users u ON u.id = w.personal_owner_id WHERE u.email = $1`,
      [email],
    );
    expect(rows).toEqual([{ kind: 'PERSONAL' }]);

    // The session survives a reload (refresh cookie → new access token).
    await page.reload();
    await page.getByLabel('Workspace').waitFor();
    await expectSelected(page, 'Personal');
    await page.context().close();
  });

  it('logs out, refuses a wrong password readably, and logs back in', async () => {
    const page = await newPage();
    const email = uniqueEmail('browser');
    await signUp(page, email, 'a long enough password');
    await page.getByLabel('Workspace').waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(/invalid email or password/i).waitFor();

    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Workspace').waitFor();
    await expectSelected(page, 'Personal');
    await page.context().close();
  });

  it('renames the workspace from Settings', async () => {
    const page = await newPage();
    await signUp(page, uniqueEmail('browser'), 'a long enough password');
    await page.getByLabel('Workspace').waitFor();
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const name = page.getByLabel('Name');
    await name.fill('My analytics');
    await page.getByRole('button', { name: 'Rename' }).click();
    await expectSelected(page, 'My analytics');
    await page.context().close();
  });
});

/** Waits until the workspace selector shows `label` as its selected option. */
async function expectSelected(page: Page, label: string): Promise<void> {
  const select = await page.getByLabel('Workspace').elementHandle();
  await page.waitForFunction(
    ([element, expected]) =>
      element instanceof HTMLSelectElement && element.selectedOptions[0]?.textContent?.trim() === expected,
    [select, label] as const,
    { timeout: 10_000 },
  );
}
