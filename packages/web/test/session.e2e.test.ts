import type { Page } from 'playwright-core';
import { createUser } from '@tally/server-test/factories';
import { type PageOptions, logIn, useDashboard } from './browser';

// Logging out in one tab logs out the other tabs of the browser at once (issue 9, item 9).
const dashboard = useDashboard();

/** Two tabs of one browser, both on the dashboard as `user`. */
async function twoTabs(options: PageOptions = {}): Promise<[Page, Page]> {
  const user = await createUser(dashboard.server);
  const first = await dashboard.newPage(options);
  await logIn(first, user);
  const second = await dashboard.newTab(first);
  await second.goto(`/w/${user.personalWorkspaceId}/teams`);
  await second.getByRole('heading', { name: 'Teams', level: 1 }).waitFor();
  return [first, second];
}

/** Marks the document, so that a later check tells a page that followed from one that reloaded. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    document.documentElement.dataset.sameDocument = 'yes';
  });
}

describe('log out in every tab', () => {
  it.each([
    ['through BroadcastChannel', {}],
    [
      'through storage events where BroadcastChannel is missing',
      {
        initScript: () => {
          Reflect.deleteProperty(window, 'BroadcastChannel');
        },
      },
    ],
  ])('logs out the other tab at once, %s', async (_how, options: PageOptions) => {
    const [first, second] = await twoTabs(options);
    if (options.initScript) expect(await second.evaluate(() => 'BroadcastChannel' in window)).toBe(false);
    await markDocument(second);

    await first.getByRole('button', { name: 'Log out' }).click();
    await first.getByRole('heading', { name: 'Log in to Tally' }).waitFor();

    // The other tab is on the log-in page within moments, with nothing of the dashboard left.
    await second.getByRole('heading', { name: 'Log in to Tally' }).waitFor({ timeout: 5_000 });
    expect(new URL(second.url()).pathname).toBe('/login');
    expect(await second.evaluate(() => document.documentElement.dataset.sameDocument)).toBe('yes');
    expect(await second.getByRole('heading', { name: 'Teams' }).count()).toBe(0);
    // And it stays logged out: the session is gone on the server too.
    await second.reload();
    await second.getByRole('heading', { name: 'Log in to Tally' }).waitFor();
    await first.context().close();
  });
});
