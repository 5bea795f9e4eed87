import { createKeySecret, createTeamWithMembers, createUser } from '@tally/server-test/factories';
import { waitFor } from '@tally/server-test/harness';
import type { Page } from 'playwright-core';
import { expectAccessible } from './axe';
import { DESKTOP, PHONE, expectSelectedWorkspace, logIn, useDashboard } from './browser';

const dashboard = useDashboard();
const TEAM = 'Acme Analytics 2026-12-06 with a name longer than the sidebar';

async function sendEvent(secret: string): Promise<void> {
  const response = await fetch(`${dashboard.server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: [{ sessionId: 's1', name: 'signup', type: 'custom' }] }),
  });
  expect(response.status).toBe(202);
}

/** The workspace name the selector shows, and whether any of it is cut. */
async function shownWorkspaceName(page: Page): Promise<{ text: string; cut: boolean }> {
  return page.locator('.tally-workspace-select p').evaluate((element) => ({
    text: element.textContent ?? '',
    cut: element.scrollWidth > element.clientWidth || element.scrollHeight > element.clientHeight + 1,
  }));
}

describe('a first day that leads somewhere, in Chromium', () => {
  it('opens the team with data, shows its whole name, and then the workspace used last, in any browser', async () => {
    const owner = await createUser(dashboard.server);
    const member = await createUser(dashboard.server, { password: 'a long enough password' });
    const teamId = await createTeamWithMembers(dashboard.server, TEAM, [
      { user: owner, role: 'OWNER' },
      { user: member, role: 'VIEWER' },
    ]);
    await sendEvent(await createKeySecret(dashboard.server, owner, teamId, 'EDITOR'));

    // Not an empty personal Getting started: the team with events, on its Overview.
    const page = await dashboard.newPage({ viewport: DESKTOP });
    await logIn(page, member);
    await page.waitForURL(`**/w/${teamId}/overview`);
    await expectSelectedWorkspace(page, TEAM);
    expect(await shownWorkspaceName(page)).toEqual({ text: TEAM, cut: false });

    // The personal workspace, chosen here, is where the next log-in opens, in another browser.
    await page.getByLabel('Workspace').selectOption({ label: 'Personal' });
    await expectSelectedWorkspace(page, 'Personal');
    await page.waitForFunction(() => document.querySelector('.tally-workspace-select p')?.textContent === 'Personal');
    const rows = async () =>
      (await dashboard.server.tally.db.query(`SELECT last_workspace_id FROM users WHERE id = $1`, [
        member.id,
      ])) as Array<{
        last_workspace_id: string | null;
      }>;
    await waitFor(
      async () => (await rows())[0]?.last_workspace_id === member.personalWorkspaceId,
      10_000,
      'remembered',
    );
    const elsewhere = await dashboard.newPage({ viewport: PHONE });
    await logIn(elsewhere, member);
    await elsewhere.waitForURL(`**/w/${member.personalWorkspaceId}/getting-started`);
    await page.context().close();
    await elsewhere.context().close();
  });

  it('Getting started: an Editor key by default, with the real key in its example, and each step done (1360 and 390 px)', async () => {
    const owner = await createUser(dashboard.server, { password: 'a long enough password' });
    const other = await createUser(dashboard.server);
    const teamId = await createTeamWithMembers(dashboard.server, TEAM, [
      { user: owner, role: 'OWNER' },
      { user: other, role: 'VIEWER' },
    ]);
    const page = await dashboard.newPage({ viewport: DESKTOP, reduceMotion: true, clipboard: true });
    await logIn(page, owner);
    await page.goto(`/w/${teamId}/getting-started`);
    await page.getByRole('heading', { name: 'Getting started', level: 1 }).waitFor();
    // Invited: the team has another member. No key, no events yet.
    await page.getByText('Done: the team is invited').waitFor();
    expect(await page.getByText('Done: events arrived').count()).toBe(0);

    await page.getByRole('button', { name: 'Create API Key' }).click();
    const form = page.getByRole('dialog', { name: 'Create API Key' });
    expect(await form.getByLabel('Role').inputValue()).toBe('EDITOR');
    await form.getByLabel('Name', { exact: true }).fill('Production SDK');
    await form.getByRole('button', { name: 'Create' }).click();
    const done = page.getByRole('dialog', { name: 'API key created' });
    const secret = await done.getByLabel('Secret').inputValue();
    const example = done.getByRole('region', { name: 'Try it: send a first event' });
    const curl = (await example.locator('pre').textContent()) ?? '';
    expect(curl).toContain(`Bearer ${secret}"`);
    expect(curl).not.toContain('tly_…');
    await done.getByRole('button', { name: 'Copy', exact: true }).click();
    await done.getByRole('button', { name: 'Done' }).click();
    await page.getByText('Done: 1 active key').waitFor();

    await sendEvent(secret);
    await page.reload();
    await page.getByText('Done: events arrived').waitFor();
    await expectAccessible(page, 'Getting started, every step done 1360');
    await page.setViewportSize(PHONE);
    await page.getByText('Done: events arrived').waitFor();
    await expectAccessible(page, 'Getting started, every step done 390');
    await page.context().close();
  });

  it("a team's Settings are one place: the sidebar's Settings opens its Settings tab", async () => {
    const owner = await createUser(dashboard.server, { password: 'a long enough password' });
    const teamId = await createTeamWithMembers(dashboard.server, 'Settings Team', [{ user: owner, role: 'OWNER' }]);
    const page = await dashboard.newPage({ viewport: DESKTOP });
    await logIn(page, owner);
    await page.goto(`/w/${teamId}/getting-started`);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(`**/w/${teamId}/teams/settings`);
    expect(await page.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected')).toBe('true');
    expect(await nav.getByRole('link', { name: 'Settings' }).getAttribute('aria-current')).toBe('page');
    // The old address leads to the same place.
    await page.goto(`/w/${teamId}/settings`);
    await page.waitForURL(`**/w/${teamId}/teams/settings`);
    await page.getByRole('heading', { name: 'Danger Zone' }).waitFor();
    await page.context().close();
  });
});
